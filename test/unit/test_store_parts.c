/*
 * test_store_parts.c — the S3 upload's part size (cli/store/store_s3_parts.h,
 * engine- and curl-free): the profile's chunk, unless the object would then
 * need more than S3's 10,000 parts; then the least whole MiB that fits.
 */
#include "unit.h"

#include "cli/store/store_s3_parts.h"

int main(void)
{
	const off_t mib = (off_t)1 << 20, chunk = 16 * mib;
	CHECK(store_s3_part_size(chunk, 0) == chunk, "an empty object: the chunk");
	CHECK(store_s3_part_size(chunk, 12 * mib) == chunk, "a small object: the chunk");
	CHECK(store_s3_part_size(chunk, 10000 * chunk) == chunk, "10,000 chunks exactly: the chunk");
	CHECK(store_s3_part_size(chunk, 10000 * chunk + 1) == 17 * mib,
	      "one byte past 10,000 chunks: the next whole MiB");
	off_t big = (off_t)200 << 30, part = store_s3_part_size(chunk, big);
	CHECK(part == 21 * mib, "200 GiB: 20.48 MiB a part, rounded up to 21 MiB");
	CHECK((big + part - 1) / part <= 10000, "200 GiB goes up in at most 10,000 parts");
	off_t top = (off_t)5 << 40;
	part = store_s3_part_size(5 * mib, top);
	CHECK(part % mib == 0 && (top + part - 1) / part <= 10000,
	      "5 TiB (S3's largest object) in at most 10,000 whole-MiB parts");
	CHECK(part - mib < (top + 9999) / 10000, "the part is the least whole MiB that fits");
	CHECK(store_s3_part_size(64 * mib, big) == 64 * mib, "a bigger configured chunk is kept");
	return unit_done();
}
