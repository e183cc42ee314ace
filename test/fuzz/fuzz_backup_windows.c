/*
 * fuzz_backup_windows.c — a table's rowid windows as the catalog keeps
 * them (core/backup/backup_windows.c), read back from a row anyone who can
 * write the database may have edited: any text either reads (shift
 * DBC_WINDOW_FIRST_SHIFT..62, windows ascending, none empty, each one a
 * rowid falls in, rows an int64 holds, the SQL hash 16 hex digits) or
 * reads as none with no error left set. A record that reads is written
 * again and reads back the same, its totals and its windows' bounds are
 * computed (no overflow under UBSan); replacing a span of its windows by
 * none keeps the others in order.
 */
#include "fuzz.h"
#include "backup/backup_windows.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &unit_host, NULL);
	char *text = fuzz_cstr(&ctx, data, size);
	dbc_windows ws;
	if (dbc_windows_parse(&ctx, text, &ws) == DBC_OK) {
		FUZZ_ASSERT(!ctx.failed, "a record read leaves no error");
		FUZZ_ASSERT(ws.shift >= DBC_WINDOW_FIRST_SHIFT && ws.shift <= 62,
		            "the shift is one a record can have");
		FUZZ_ASSERT(strlen(ws.sql_hash) == DBC_WINDOWS_SQL_HASH, "a whole SQL hash");
		for (int64_t i = 0; i < ws.n; i++) {
			FUZZ_ASSERT(ws.w[i].rows > 0 && (i == 0 || ws.w[i - 1].number < ws.w[i].number),
			            "windows ascend, none empty");
			int64_t first, last;
			dbc_window_bounds(ws.w[i].number, ws.shift, &first, &last);
			FUZZ_ASSERT(first <= last && dbc_window_of(first, ws.shift) == ws.w[i].number &&
			                dbc_window_of(last, ws.shift) == ws.w[i].number,
			            "a window's bounds fall in it");
		}
		int64_t rows;
		uint64_t sum[2];
		dbc_windows_totals(&ws, &rows, sum);
		FUZZ_ASSERT(rows >= ws.n, "the totals count every window's rows");
		char *again = dbc_windows_text(&ctx, &ws);
		FUZZ_ASSERT(again, "a record read can be written");
		dbc_windows back;
		FUZZ_ASSERT(dbc_windows_parse(&ctx, again, &back) == DBC_OK && back.n == ws.n &&
		                back.shift == ws.shift && back.root == ws.root &&
		                (ws.n == 0 || memcmp(back.w, ws.w, (size_t)ws.n * sizeof *ws.w) == 0),
		            "it reads back the same");
		dbc_windows_free(&back);
		if (ws.n > 0) {
			int64_t first = ws.w[0].number, last = ws.w[ws.n / 2].number;
			dbc_windows none = {.shift = ws.shift};
			FUZZ_ASSERT(dbc_windows_replace(&ctx, &ws, first, last, &none) == DBC_OK,
			            "a span replaced by none");
			for (int64_t i = 0; i < ws.n; i++)
				FUZZ_ASSERT(ws.w[i].number > last &&
				                (i == 0 || ws.w[i - 1].number < ws.w[i].number),
				            "the windows after the span stay, in order");
		}
		dbc_windows_free(&ws);
	} else {
		FUZZ_ASSERT(!ctx.failed && ws.n == 0 && !ws.w, "no record, no error, nothing kept");
	}
	dbc_ctx_finish(&ctx);
	return 0;
}
