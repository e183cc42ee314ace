/*
 * backup_incr_content.c — an incremental backup's content record (every
 * table's rows and content hash at its snapshot), re-reading only the rows
 * its changed pages can hold.
 *
 * A table's record is taken over from the base's window by window
 * (core/backup/backup_windows.h) when the base kept windows for it, its
 * root page is the same and its CREATE statement hashes the same (a
 * schema change, ALTER TABLE ADD COLUMN among them, changes what every row
 * reads as without changing a page); the rowid ranges of its changed pages
 * name the windows read again, inside the snapshot's read transaction,
 * and the windows' rows must then add up to the cells of the table's
 * leaves (core/backup/page_map.h says why that holds exactly when every
 * window is right). Any other table is read whole, keeping windows for
 * the next one. So the record equals a whole read of every table
 * (test/script/sqlite_backup_incr_content.sh compares them after random
 * work).
 */
#include "backup_glue.h"

#include <stdlib.h>
#include <string.h>

typedef struct incr_reader {
	dbc_page_map *pm;
	const unsigned char *changed;
	int64_t nchanged;
	const dbc_backup_base *base;
	int64_t rows_read;
} incr_reader;

static const dbc_backup_table *base_table(const dbc_backup_base *base, const char *name)
{
	/* the record is by name, as the tables are read (sqlite_schema ORDER
	 * BY name, the binary collation: strcmp's order) */
	int64_t lo = 0, hi = base->tables;
	while (lo < hi) {
		int64_t mid = lo + (hi - lo) / 2;
		int c = strcmp(base->table[mid].name, name);
		if (c == 0)
			return &base->table[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int by_first(const void *a, const void *b)
{
	const dbc_rowid_range *x = a, *y = b;
	return x->first < y->first ? -1 : x->first > y->first;
}

/* The ranges as windows (first..last window numbers), sorted and merged
 * where they touch: each becomes one read. */
static int64_t to_windows(dbc_rowid_range *r, int64_t n, int shift)
{
	if (n == 0)
		return 0; /* r may be NULL: nothing changed in the table */
	for (int64_t i = 0; i < n; i++) {
		r[i].first = dbc_window_of(r[i].first, shift);
		r[i].last = dbc_window_of(r[i].last, shift);
	}
	qsort(r, (size_t)n, sizeof *r, by_first);
	int64_t out = 0;
	for (int64_t i = 0; i < n; i++) {
		if (out > 0 && r[i].first <= r[out - 1].last + 1) {
			if (r[i].last > r[out - 1].last)
				r[out - 1].last = r[i].last;
		} else {
			r[out++] = r[i];
		}
	}
	return out;
}

/* The base's windows of table at, where they may be taken over: *usable. */
static int base_windows(dbc_ctx *ctx, const incr_reader *r, const sqldbc_table_at *at, int version,
                        dbc_windows *ws, bool *usable)
{
	*usable = false;
	const dbc_backup_table *bt = base_table(r->base, at->name);
	if (!bt || !bt->windows || version != SQLDBC_CONTENT_VERSION ||
	    r->base->content_version != version || dbc_windows_parse(ctx, bt->windows, ws) != DBC_OK)
		return DBC_OK;
	char hex[DBC_SHA256_HEX_LEN + 1];
	if (dbc_sha256_hex(ctx, at->sql, strlen(at->sql), hex) != DBC_OK)
		return DBC_ERROR;
	*usable = ws->root == at->root && memcmp(ws->sql_hash, hex, DBC_WINDOWS_SQL_HASH) == 0;
	return DBC_OK;
}

/* Re-reads the windows of ranges into ws. */
static int reread(dbc_ctx *ctx, incr_reader *r, sqlite3_stmt *st, dbc_rowid_range *win, int64_t n,
                  double deadline_ms, dbc_windows *ws, int *sqlite_rc)
{
	for (int64_t i = 0; i < n; i++) {
		int64_t first, last, unused;
		dbc_window_bounds(win[i].first, ws->shift, &first, &unused);
		dbc_window_bounds(win[i].last, ws->shift, &unused, &last);
		dbc_windows fresh = {.shift = ws->shift};
		int rc =
		    sqldbc_backup_windows_read(ctx, st, first, last, deadline_ms, &fresh, false, sqlite_rc);
		for (int64_t k = 0; k < fresh.n; k++)
			r->rows_read += fresh.w[k].rows;
		if (rc == DBC_OK)
			rc = dbc_windows_replace(ctx, ws, win[i].first, win[i].last, &fresh);
		dbc_windows_free(&fresh);
		if (rc != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

static int read_table(dbc_ctx *ctx, void *arg, sqlite3 *db, const sqldbc_table_at *at,
                      double deadline_ms, int version, dbc_backup_table *t, int *sqlite_rc)
{
	incr_reader *r = arg;
	dbc_windows ws;
	memset(&ws, 0, sizeof ws);
	bool usable, known = false, whole = true;
	dbc_rowid_range *ranges = NULL;
	int64_t n = 0, leaf_rows = 0;
	sqlite3_stmt *st = NULL;
	int rc = base_windows(ctx, r, at, version, &ws, &usable);
	if (rc == DBC_OK && usable)
		rc = dbc_page_map_ranges(ctx, r->pm, at->root, r->changed, r->nchanged, &ranges, &n,
		                         &leaf_rows, &known);
	if (rc == DBC_OK && known)
		rc = sqldbc_backup_windows_open(ctx, db, at->name, &st);
	if (rc == DBC_OK && st) {
		n = to_windows(ranges, n, ws.shift);
		rc = reread(ctx, r, st, ranges, n, deadline_ms, &ws, sqlite_rc);
		/* the windows taken over are exact only if the rows add up to the
		 * leaves' cells (core/backup/page_map.h): else one counts rows
		 * that are gone */
		int64_t rows;
		uint64_t sum[2];
		dbc_windows_totals(&ws, &rows, sum);
		whole = rows != leaf_rows;
		if (rc == DBC_OK && !whole)
			rc = sqldbc_backup_windows_record(ctx, at, &ws, t);
	}
	if (rc == DBC_OK && whole) {
		/* no base to take over from, or its windows do not add up: read
		 * whole, keeping windows */
		bool windows = true;
		rc = sqldbc_backup_read_whole(ctx, &windows, db, at, deadline_ms, version, t, sqlite_rc);
		r->rows_read += t->rows;
	}
	sqlite3_finalize(st);
	free(ranges);
	dbc_windows_free(&ws);
	return rc;
}

int sqldbc_backup_incr_content(dbc_ctx *ctx, sqlite3 *db, double deadline_ms,
                               const dbc_backup_base *base, dbc_page_map *pm,
                               const unsigned char *changed, int64_t nchanged,
                               dbc_backup_image *img)
{
	incr_reader r = {pm, changed, nchanged, base, 0};
	int sqlite_rc = SQLITE_OK;
	int rc = sqldbc_backup_read_tables(ctx, db, deadline_ms, read_table, &r, img, &sqlite_rc);
	/* as the full copy's reader says it (backup_base.c): an interrupt is
	 * the call's cancel, a reset statement's code still names the cause */
	if (rc != DBC_OK && !ctx->failed)
		sqldbc_backup_rc_error(ctx, db, sqlite_rc, "could not read the database to back up");
	img->rows_read = r.rows_read;
	return rc;
}
