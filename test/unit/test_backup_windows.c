/*
 * test_backup_windows.c — core/backup/backup_windows.c at the edges of the
 * rowid range: a rowid's window is floor(rowid / 2^shift) for every shift,
 * INT64_MIN and INT64_MAX included (the arithmetic must not overflow: the
 * ASan/UBSan build runs this too), each window's bounds fall in it, and a
 * record read from the catalog, a row anyone who writes the database may
 * have edited, is refused where its shift, window numbers or row counts
 * would make that arithmetic overflow later (an incremental backup reads
 * its windows' bounds and adds its rows up): the table is then read whole.
 */
#include "backup/backup_windows.h"
#include "unit.h"

/* floor(rowid / 2^shift) by long division on 128 bits */
static int64_t floor_div(int64_t rowid, int shift)
{
	__int128 d = (__int128)1 << shift, q = (__int128)rowid / d;
	if ((__int128)rowid % d != 0 && rowid < 0)
		q--;
	return (int64_t)q;
}

static void test_window_of(void)
{
	static const int64_t rowids[] = {
	    INT64_MIN, INT64_MIN + 1, -4096, -513, -512,          -511,     -1, 0,
	    1,         511,           512,   4096, INT64_MAX - 1, INT64_MAX};
	int wrong = 0, outside = 0;
	for (int shift = 0; shift <= 62; shift++)
		for (size_t i = 0; i < sizeof rowids / sizeof *rowids; i++) {
			int64_t w = dbc_window_of(rowids[i], shift), first, last;
			if (w != floor_div(rowids[i], shift))
				wrong++;
			dbc_window_bounds(w, shift, &first, &last);
			if (first > rowids[i] || last < rowids[i] || dbc_window_of(first, shift) != w ||
			    dbc_window_of(last, shift) != w)
				outside++;
		}
	CHECK(wrong == 0, "a rowid's window is its floor division, at every shift and edge");
	CHECK(outside == 0, "a window's bounds hold its rowids and fall in it");
}

static bool reads(const char *text)
{
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &unit_host, NULL);
	dbc_windows ws;
	bool ok = dbc_windows_parse(&ctx, text, &ws) == DBC_OK;
	if (ok) {
		int64_t rows;
		uint64_t sum[2];
		dbc_windows_totals(&ws, &rows, sum);
	}
	bool clean = !ctx.failed;
	dbc_windows_free(&ws);
	dbc_ctx_finish(&ctx);
	return ok && clean;
}

#define H    "0123456789abcdef"
#define SUMS "00000000000000010000000000000002"

static void test_hostile_records(void)
{
	CHECK(reads("9:2:" H "|0:5:" SUMS "|3:1:" SUMS), "a record as written reads");
	CHECK(reads("62:2:" H "|-2:1:" SUMS "|1:1:" SUMS), "the widest windows read");
	CHECK(!reads("0:2:" H "|-9223372036854775808:1:" SUMS),
	      "shift 0 (never written: windows start at the first shift) is refused");
	CHECK(!reads("8:2:" H "|0:1:" SUMS), "a shift below the first is refused");
	CHECK(!reads("9:2:" H "|0:9223372036854775807:" SUMS "|1:9223372036854775807:" SUMS),
	      "rows an int64 cannot total are refused");
	CHECK(reads("9:2:" H "|0:9223372036854775806:" SUMS "|1:1:" SUMS),
	      "rows that total INT64_MAX read");
	CHECK(!reads("62:2:" H "|2:1:" SUMS), "a window above the last rowid's is refused");
	CHECK(!reads("62:2:" H "|-3:1:" SUMS), "a window below the first rowid's is refused");
	CHECK(!reads("9:2:" H "|18014398509481984:1:" SUMS),
	      "a window past INT64_MAX at the first shift is refused");
}

int main(void)
{
	test_window_of();
	test_hostile_records();
	return unit_done();
}
