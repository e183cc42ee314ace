/*
 * backup_windows.c — a table's content record by rowid window (declared
 * and described in backup_windows.h).
 *
 * Invariant: ws->w is ascending by number with no two windows alike and
 * none empty, so the totals are the sums of whole-table reads and two
 * records of the same rows under the same shift are equal window by
 * window.
 *
 * why (raw heap, the whole file): the array grows by doubling (one window
 * per DBC_WINDOW_MIN_ROWS rows at least, on average, so large for a large
 * table) and is rebuilt per table; the call's arena would keep every block
 * outgrown until the call ends, so it is malloc'd and dbc_windows_free
 * frees it.
 */
#include "backup/backup_windows.h"

#include "base/json.h"
#include "base/heap_grow.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int64_t dbc_window_of(int64_t rowid, int shift)
{
	/* floor division by 2^shift, whatever the sign (no reliance on how the
	 * compiler shifts a negative number): for a negative rowid, ~rowid is
	 * -rowid - 1 >= 0, and floor(r / 2^s) = ~(~r / 2^s), with no overflow
	 * at INT64_MIN under any shift */
	if (rowid >= 0)
		return rowid >> shift;
	return ~(~rowid >> shift);
}

void dbc_window_bounds(int64_t number, int shift, int64_t *first, int64_t *last)
{
	/* the window's rowids are [number * 2^shift, (number + 1) * 2^shift - 1],
	 * clipped to int64 */
	if (number <= dbc_window_of(INT64_MIN, shift))
		*first = INT64_MIN;
	else
		*first = (int64_t)((uint64_t)number << shift);
	if (number >= dbc_window_of(INT64_MAX, shift))
		*last = INT64_MAX;
	else
		*last = (int64_t)((uint64_t)(number + 1) << shift) - 1;
}

static int reserve(dbc_ctx *ctx, dbc_windows *ws, int64_t n)
{
	size_t cap = (size_t)ws->cap;
	if (!dbc_heap_reserve(&ws->w, (size_t)n, &cap, sizeof *ws->w, 64))
		return dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	ws->cap = (int64_t)cap;
	return DBC_OK;
}

/* Doubles the windows' width: neighbours merge (the order stays). */
static void coarsen_once(dbc_windows *ws)
{
	ws->shift++;
	int64_t out = 0;
	for (int64_t i = 0; i < ws->n; i++) {
		dbc_window w = ws->w[i];
		w.number = dbc_window_of(w.number, 1);
		if (out > 0 && ws->w[out - 1].number == w.number) {
			ws->w[out - 1].rows += w.rows;
			ws->w[out - 1].sum[0] += w.sum[0];
			ws->w[out - 1].sum[1] += w.sum[1];
		} else {
			ws->w[out++] = w;
		}
	}
	ws->n = out;
}

static int64_t total_rows(const dbc_windows *ws)
{
	int64_t r = 0;
	for (int64_t i = 0; i < ws->n; i++)
		r += ws->w[i].rows;
	return r;
}

static void coarsen(dbc_windows *ws)
{
	int64_t rows = total_rows(ws);
	while (ws->shift < 62 && ws->n > 1 && ws->n * DBC_WINDOW_MIN_ROWS > rows)
		coarsen_once(ws);
}

static uint64_t load_u64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

int dbc_windows_add(dbc_ctx *ctx, dbc_windows *ws, int64_t rowid, const unsigned char digest[16],
                    bool coarsen_now)
{
	int64_t number = dbc_window_of(rowid, ws->shift);
	dbc_window *last = ws->n ? &ws->w[ws->n - 1] : NULL;
	if (last && number < last->number)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "rows came out of rowid order");
	if (!last || number != last->number) {
		/* a new window: a good time to look at the average (amortized: the
		 * check runs when the count of windows doubles) */
		if (coarsen_now && ws->n >= 1024 && (ws->n & (ws->n - 1)) == 0) {
			coarsen(ws);
			number = dbc_window_of(rowid, ws->shift);
			last = &ws->w[ws->n - 1];
		}
		if (!last || number != last->number) {
			if (reserve(ctx, ws, ws->n + 1) != DBC_OK)
				return DBC_ERROR;
			last = &ws->w[ws->n++];
			memset(last, 0, sizeof *last);
			last->number = number;
		}
	}
	last->rows++;
	last->sum[0] += load_u64(digest);
	last->sum[1] += load_u64(digest + 8);
	return DBC_OK;
}

void dbc_windows_settle(dbc_windows *ws)
{
	coarsen(ws);
}

int dbc_windows_replace(dbc_ctx *ctx, dbc_windows *ws, int64_t first, int64_t last,
                        const dbc_windows *fresh)
{
	/* ws: [0, a) below first, [a, b) inside, [b, n) above last */
	int64_t a = 0, b;
	while (a < ws->n && ws->w[a].number < first)
		a++;
	b = a;
	while (b < ws->n && ws->w[b].number <= last)
		b++;
	int64_t keep = fresh->n;
	for (int64_t i = 0; i < fresh->n; i++)
		if (fresh->w[i].number < first || fresh->w[i].number > last)
			return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "a window read outside its range");
	if (reserve(ctx, ws, ws->n - (b - a) + keep) != DBC_OK)
		return DBC_ERROR;
	if (ws->n > b)
		memmove(ws->w + a + keep, ws->w + b, (size_t)(ws->n - b) * sizeof *ws->w);
	if (keep)
		memcpy(ws->w + a, fresh->w, (size_t)keep * sizeof *ws->w);
	ws->n = ws->n - (b - a) + keep;
	return DBC_OK;
}

void dbc_windows_totals(const dbc_windows *ws, int64_t *rows, uint64_t sum[2])
{
	*rows = 0;
	sum[0] = sum[1] = 0;
	for (int64_t i = 0; i < ws->n; i++) {
		*rows += ws->w[i].rows;
		sum[0] += ws->w[i].sum[0];
		sum[1] += ws->w[i].sum[1];
	}
}

char *dbc_windows_text(dbc_ctx *ctx, const dbc_windows *ws)
{
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	dbc_buf_appendf(&b, "%d:%" PRId64 ":%s", ws->shift, ws->root, ws->sql_hash);
	for (int64_t i = 0; i < ws->n; i++)
		dbc_buf_appendf(&b, "|%" PRId64 ":%" PRId64 ":%016" PRIx64 "%016" PRIx64, ws->w[i].number,
		                ws->w[i].rows, ws->w[i].sum[0], ws->w[i].sum[1]);
	return dbc_buf_finish(&b);
}

/* A decimal int64 at *p (an optional '-', then digits; no overflow). */
static bool read_int(const char **p, int64_t *out)
{
	const char *s = *p;
	bool neg = *s == '-';
	if (neg)
		s++;
	if (*s < '0' || *s > '9')
		return false;
	uint64_t v = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; *s >= '0' && *s <= '9'; s++) {
		unsigned d = (unsigned)(*s - '0');
		if (v > (limit - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	*p = s;
	return true;
}

static bool read_hex(const char **p, int digits, uint64_t *out)
{
	uint64_t v = 0;
	for (int i = 0; i < digits; i++) {
		int d = dbc_hex_digit((*p)[i]);
		if (d < 0)
			return false;
		v = (v << 4) | (unsigned)d;
	}
	*p += digits;
	*out = v;
	return true;
}

static int parse(dbc_ctx *ctx, const char *s, dbc_windows *ws)
{
	/* a record starts at the first shift and only coarsens (a smaller one
	 * is not ours: at shift 0 the windows reach INT64_MAX, where the
	 * window after the last one overflows), and its row count is one an
	 * int64 holds: the totals are sums of windows */
	int64_t shift, total = 0;
	if (!read_int(&s, &shift) || shift < DBC_WINDOW_FIRST_SHIFT || shift > 62 || *s++ != ':' ||
	    !read_int(&s, &ws->root) || *s++ != ':')
		return DBC_ERROR;
	ws->shift = (int)shift;
	for (int i = 0; i < DBC_WINDOWS_SQL_HASH; i++)
		if (dbc_hex_digit(s[i]) < 0)
			return DBC_ERROR;
	memcpy(ws->sql_hash, s, DBC_WINDOWS_SQL_HASH);
	ws->sql_hash[DBC_WINDOWS_SQL_HASH] = '\0';
	s += DBC_WINDOWS_SQL_HASH;
	while (*s == '|') {
		s++;
		dbc_window w;
		if (!read_int(&s, &w.number) || *s++ != ':' || !read_int(&s, &w.rows) || w.rows <= 0 ||
		    *s++ != ':' || !read_hex(&s, 16, &w.sum[0]) || !read_hex(&s, 16, &w.sum[1]))
			return DBC_ERROR;
		if (ws->n && w.number <= ws->w[ws->n - 1].number)
			return DBC_ERROR; /* ascending, no two alike */
		if (w.number < dbc_window_of(INT64_MIN, ws->shift) ||
		    w.number > dbc_window_of(INT64_MAX, ws->shift) || w.rows > INT64_MAX - total)
			return DBC_ERROR; /* a window no rowid falls in, or too many rows */
		total += w.rows;
		if (reserve(ctx, ws, ws->n + 1) != DBC_OK)
			return DBC_ERROR;
		ws->w[ws->n++] = w;
	}
	return *s == '\0' ? DBC_OK : DBC_ERROR;
}

int dbc_windows_parse(dbc_ctx *ctx, const char *text, dbc_windows *ws)
{
	memset(ws, 0, sizeof *ws);
	if (text && parse(ctx, text, ws) == DBC_OK)
		return DBC_OK;
	dbc_windows_free(ws);
	dbc_error_clear(ctx);
	return DBC_ERROR;
}

void dbc_windows_free(dbc_windows *ws)
{
	free(ws->w);
	memset(ws, 0, sizeof *ws);
}
