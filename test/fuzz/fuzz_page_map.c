/*
 * fuzz_page_map.c — the page map of incremental backups (core/backup/
 * page_map.c) over any bytes: the input's first two bytes choose the page
 * size (512 or 1024) and the reserve, the rest is cut into pages taken in
 * order (a few twice, as a cache spill then a commit would give them), then
 * every page is asked for as a root with the changed pages the last byte's
 * bits say. Whatever the bytes, nothing is read outside a page, a walk ends,
 * and an answer "known" gives ranges with first <= last.
 */
#include "fuzz.h"
#include "backup/page_map.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &unit_host, NULL);
	int64_t page = data[0] & 1 ? 1024 : 512, reserve = data[1] % 64;
	const uint8_t *pages = data + 2;
	int64_t n = (int64_t)(size - 2) / page;
	dbc_page_map *pm = dbc_page_map_new(&ctx, page - reserve);
	FUZZ_ASSERT(pm, "a map");
	for (int64_t i = 0; i < n; i++) {
		dbc_page_map_take(pm, i + 1, pages + i * page, page);
		if (pages[i * page] & 0x80) /* again, as a later write of the same page */
			dbc_page_map_take(pm, i + 1, pages + i * page, page);
	}
	unsigned char changed[64];
	for (int i = 0; i < 64; i++)
		changed[i] = (data[size - 1] >> (i % 8)) & 1;
	for (int64_t root = 0; root <= n + 1; root++) {
		dbc_rowid_range *r;
		int64_t nr, rows;
		bool known;
		FUZZ_ASSERT(dbc_page_map_ranges(&ctx, pm, root, changed, n < 64 ? n : 64, &r, &nr, &rows,
		                                &known) == DBC_OK,
		            "a walk answers");
		FUZZ_ASSERT(rows >= 0 && (known || rows == 0), "a row count, none when unknown");
		FUZZ_ASSERT(known || (!r && nr == 0), "unknown gives no ranges");
		for (int64_t k = 0; k < nr; k++)
			FUZZ_ASSERT(r[k].first <= r[k].last, "a range is first..last");
		free(r);
	}
	dbc_page_map_free(pm);
	FUZZ_ASSERT(!ctx.failed, "no error left");
	dbc_ctx_finish(&ctx);
	return 0;
}
