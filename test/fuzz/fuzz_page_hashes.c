/*
 * fuzz_page_hashes.c — the page hashes column of a backup's catalog row
 * (core/backup/backup_page_hashes.c), read back from a row anyone who can
 * write the database may have edited: any bytes either read as one of the
 * three forms, whose per-page hashes lie inside the bytes and fill them to
 * the end, or fail with the error set. A version 2 or 3 column begins as
 * the hasher that read it would begin one, and its hasher digests a page
 * the same way twice, whatever its length (a page taken from the input).
 * Bytes that begin with a version 3 tag are read as version 3 or fail.
 */
#include "fuzz.h"
#include "backup/backup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &unit_host, NULL);
	dbc_page_hasher ph;
	const unsigned char *hashes = NULL;
	int64_t pages = -1;
	int rc = dbc_page_hasher_from(&ctx, data, size, &ph, &hashes, &pages);
	if (rc != DBC_OK) {
		FUZZ_ASSERT(ctx.failed && ctx.message, "bytes in neither form fail with a message");
	} else {
		FUZZ_ASSERT(!ctx.failed, "a column read leaves no error set");
		FUZZ_ASSERT(ph.version == 1 || ph.version == 2 || ph.version == 3,
		            "one of the three forms");
		FUZZ_ASSERT(ph.version != 3 || ph.nh_key, "a version 3 hasher has its key streams");
		FUZZ_ASSERT(size < 8 || size % DBC_PAGE_HASH == 0 || memcmp(data, "DBCPH3\0\0", 8) != 0 ||
		                ph.version == 3,
		            "a version 3 tag reads as version 3");
		FUZZ_ASSERT(pages >= 0 && hashes >= data && hashes <= data + size &&
		                hashes + pages * DBC_PAGE_HASH == data + size,
		            "the per-page hashes lie inside the bytes and fill them to the end");
		dbc_buf head;
		dbc_buf_init(&head, &ctx);
		FUZZ_ASSERT(dbc_page_hashes_begin(&head, &ph) == DBC_OK,
		            "a hasher read can begin a column");
		FUZZ_ASSERT(head.len == (size_t)(hashes - data) &&
		                (head.len == 0 || memcmp(head.data, data, head.len) == 0),
		            "it begins one as the column read begins");
		unsigned char page[512], a[DBC_PAGE_HASH], b[DBC_PAGE_HASH];
		for (size_t i = 0; i < sizeof page; i++)
			page[i] = size ? data[i % size] : (unsigned char)i;
		FUZZ_ASSERT(dbc_page_hash(&ctx, &ph, page, sizeof page, a) == DBC_OK &&
		                dbc_page_hash(&ctx, &ph, page, sizeof page, b) == DBC_OK &&
		                memcmp(a, b, sizeof a) == 0,
		            "a page hashes the same way twice");
		/* a page of any length, from the input's bytes */
		size_t n = size ? data[0] % 200 : 0;
		n = n <= size ? n : size;
		FUZZ_ASSERT(dbc_page_hash(&ctx, &ph, data, n, a) == DBC_OK &&
		                dbc_page_hash(&ctx, &ph, data, n, b) == DBC_OK &&
		                memcmp(a, b, sizeof a) == 0,
		            "a page of any length hashes the same way twice");
		dbc_page_hasher_end(&ph);
	}
	dbc_ctx_finish(&ctx);
	return 0;
}
