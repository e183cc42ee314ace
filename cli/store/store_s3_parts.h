/*
 * store_s3_parts.h — how big a multipart upload's parts are: the
 * profile's multipart_chunksize, unless the object would then need more
 * parts than S3 takes (10,000): then the least whole number of MiB that
 * fits it in 10,000 parts. Private to cli/store/; engine- and curl-free,
 * so the unit suite tests the rule (test/unit/test_store_parts.c).
 */
#ifndef DBCARE_CLI_STORE_S3_PARTS_H
#define DBCARE_CLI_STORE_S3_PARTS_H

#include <sys/types.h>

#define STORE_S3_MAX_PARTS 10000
#define STORE_S3_MIB       ((off_t)1 << 20)

/* The part size for an object of size bytes: chunk, or
 * ceil(size / 10000) rounded up to a MiB when that is bigger. */
static inline off_t store_s3_part_size(off_t chunk, off_t size)
{
	off_t least = (size + STORE_S3_MAX_PARTS - 1) / STORE_S3_MAX_PARTS;
	least = (least + STORE_S3_MIB - 1) / STORE_S3_MIB * STORE_S3_MIB;
	return least > chunk ? least : chunk;
}

#endif
