/*
 * backup_content.c — what a table holds, as a backup's logical
 * verification compares it (docs/backups.md, "Logical verification"): its
 * row count and an order-independent content hash, read with one scan.
 *
 * Each row is encoded canonically (per column: a type byte, then an
 * integer's or a real's 8 bytes big-endian, or a text's or blob's 4-byte
 * length and bytes, nothing for NULL) and digested to 128 bits; the
 * table's hash is two 64-bit sums (mod 2^64) of the first and second 8
 * bytes of every row's digest. A sum does not depend on the order the
 * rows are read in (a copy's b-tree pages may be laid out otherwise), two
 * equal rows do not cancel as they would under xor, and one row deleted,
 * added or changed moves it. The rowid is not part of a row: the content
 * is what the columns say.
 *
 * The row digest, by content version (the catalog says which one a
 * record used, core/backup/backup_content.c):
 *   1  SHA-256 of the encoding, its first 16 bytes (records of 0.3.5);
 *   2  SipHash-1-3 with a 128-bit output under the fixed key CONTENT_KEY,
 *      the encoding fed as it is read (no row buffer, no allocation).
 * Why version 2 is enough: one changed row moves a sum unless the old and
 * the new row's digests are equal in all 128 bits; SipHash is a keyed
 * pseudo-random function, so for rows that were not chosen with its key in
 * hand that happens with probability about 2^-128 per changed row (for
 * 10^7 rows each changed once, about 2^-105 in all); a deleted row also
 * changes the row count, and its digest is zero in both halves only with
 * probability 2^-128; several changes cancel only if their digests'
 * differences sum to zero in both 64-bit lanes, again about 2^-128. What
 * it does not resist: someone who knows the key (it is in this file) can
 * build two sets of rows with equal sums (a generalized-birthday search) --
 * but rows written into the source reach the copy unchanged either way:
 * the content hash guards against copies that lose or alter rows, and a
 * backup file edited afterwards is caught by its SHA-256.
 */
#include "base/clock.h"
#include "base/sha256.h"
#include "base/siphash.h"
#include "backup_glue.h"
#include "sqlite/host/glue.h"

#include <stdio.h>
#include <string.h>

/* Version 2's key: 16 fixed bytes (the digest must be the same in every
 * process that reads a copy, years later). */
static const unsigned char CONTENT_KEY[16] = "dbcare content 2";

/* Where a row's encoding goes: version 1's buffer (sqlite3_realloc64, kept
 * across rows and freed at the end), or version 2's SipHash state. */
typedef struct row_sink {
	int version;
	unsigned char *data;
	size_t len, cap;
	dbc_siphash sip;
} row_sink;

static bool put(row_sink *b, const void *p, size_t n)
{
	if (b->version >= 2) {
		dbc_siphash_update(&b->sip, p, n);
		return true;
	}
	if (!sqldbc_reserve(&b->data, b->len + n, &b->cap, 1, 256))
		return false;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	return true;
}

/* The tag and, for an integer or a real, its 8 bytes big-endian; for a
 * text or a blob, its 4-byte length: one piece. */
static bool put_column(row_sink *b, sqlite3_stmt *st, int i)
{
	unsigned char head[9];
	int type = sqlite3_column_type(st, i);
	head[0] = (unsigned char)type;
	switch (type) {
	case SQLITE_INTEGER:
	case SQLITE_FLOAT: {
		uint64_t v;
		if (type == SQLITE_INTEGER) {
			v = (uint64_t)sqlite3_column_int64(st, i);
		} else {
			double d = sqlite3_column_double(st, i);
			memcpy(&v, &d, sizeof v);
		}
		for (int k = 8; k >= 1; k--, v >>= 8)
			head[k] = (unsigned char)(v & 0xff);
		return put(b, head, 9);
	}
	case SQLITE_TEXT:
	case SQLITE_BLOB: {
		const void *p = type == SQLITE_TEXT ? (const void *)sqlite3_column_text(st, i)
		                                    : sqlite3_column_blob(st, i);
		int n = sqlite3_column_bytes(st, i);
		head[1] = (unsigned char)(n >> 24), head[2] = (unsigned char)(n >> 16);
		head[3] = (unsigned char)(n >> 8), head[4] = (unsigned char)n;
		return put(b, head, 5) && (n == 0 || put(b, p, (size_t)n));
	}
	default:
		return put(b, head, 1); /* NULL: the tag alone */
	}
}

static uint64_t load_u64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

/* Rows read between two looks at the deadline. */
#define DEADLINE_EVERY 1024

/* Digests every row st gives (its columns from first_col on): the count
 * and the two sums, and each row into ws by the rowid in column 0 where
 * ws is given. */
static int digest_rows(dbc_ctx *ctx, sqlite3_stmt *st, int first_col, int version,
                       double deadline_ms, dbc_windows *ws, bool coarsen, int64_t *rows,
                       uint64_t sum[2], int *sqlite_rc)
{
	dbc_sha256 *h = NULL;
	if (version < 2 && !(h = dbc_sha256_begin(ctx)))
		return DBC_ERROR;
	row_sink b = {.version = version};
	int n = sqlite3_column_count(st), rc, out = DBC_OK;
	unsigned char md[32];
	while (out == DBC_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		b.len = 0;
		if (version >= 2)
			dbc_siphash_begin(&b.sip, CONTENT_KEY);
		for (int i = first_col; i < n && out == DBC_OK; i++)
			if (!put_column(&b, st, i))
				out = dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
		if (out != DBC_OK)
			break;
		if (version >= 2)
			dbc_siphash_finish(&b.sip, md);
		else if (dbc_sha256_digest(ctx, h, b.data ? b.data : md, b.len, md) != DBC_OK)
			out = DBC_ERROR;
		if (out == DBC_OK && ws)
			out = dbc_windows_add(ctx, ws, sqlite3_column_int64(st, 0), md, coarsen);
		sum[0] += load_u64(md);
		sum[1] += load_u64(md + 8);
		(*rows)++;
		if (out == DBC_OK && deadline_ms > 0 && *rows % DEADLINE_EVERY == 0 &&
		    dbc_monotonic_ms() >= deadline_ms)
			out = dbc_error(ctx, DBC_SQLSTATE_LOCK_TIMEOUT,
			                "the backup's content was not read within backup.timeout_ms");
	}
	if (out == DBC_OK && rc != SQLITE_DONE) {
		*sqlite_rc = rc;
		out = DBC_ERROR;
	}
	sqlite3_free(b.data);
	if (h)
		dbc_sha256_abort(h);
	return out;
}

int sqldbc_backup_table_content(dbc_ctx *ctx, sqlite3 *db, const char *table, int version,
                                double deadline_ms, int64_t *rows,
                                char hash[DBC_BACKUP_CONTENT_HEX + 1], int *sqlite_rc)
{
	char *sql = sqlite3_mprintf("SELECT * FROM main.\"%w\"", table);
	sqlite3_stmt *st = NULL;
	*rows = 0;
	*sqlite_rc = sql ? sqlite3_prepare_v2(db, sql, -1, &st, NULL) : SQLITE_NOMEM;
	sqlite3_free(sql);
	if (*sqlite_rc != SQLITE_OK)
		return DBC_ERROR;
	uint64_t sum[2] = {0, 0};
	int out = digest_rows(ctx, st, 0, version, deadline_ms, NULL, false, rows, sum, sqlite_rc);
	sqlite3_finalize(st);
	if (out == DBC_OK)
		snprintf(hash, DBC_BACKUP_CONTENT_HEX + 1, "%016llx%016llx", (unsigned long long)sum[0],
		         (unsigned long long)sum[1]);
	return out;
}

/* A name the rowid goes by in table (one its columns do not take), or
 * NULL where they take all three. */
static const char *rowid_name(sqlite3 *db, const char *table)
{
	static const char *const names[] = {"_rowid_", "rowid", "oid"};
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db,
	                       "SELECT 1 FROM pragma_table_xinfo(?1, 'main') WHERE name = ?2 COLLATE "
	                       "NOCASE",
	                       -1, &st, NULL) != SQLITE_OK)
		return NULL;
	const char *found = NULL;
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	for (size_t i = 0; !found && i < sizeof names / sizeof *names; i++) {
		sqlite3_bind_text(st, 2, names[i], -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_DONE)
			found = names[i];
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return found;
}

int sqldbc_backup_windows_open(dbc_ctx *ctx, sqlite3 *db, const char *table, sqlite3_stmt **st)
{
	(void)ctx;
	*st = NULL;
	const char *rowid = rowid_name(db, table);
	if (!rowid)
		return DBC_OK;
	char *sql = sqlite3_mprintf("SELECT %s, * FROM main.\"%w\" WHERE %s BETWEEN ?1 AND ?2 "
	                            "ORDER BY %s",
	                            rowid, table, rowid, rowid);
	if (!sql)
		return dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	/* a table WITHOUT ROWID has no rowid to read by: no statement */
	if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK) {
		sqlite3_finalize(*st);
		*st = NULL;
	}
	sqlite3_free(sql);
	return DBC_OK;
}

int sqldbc_backup_windows_read(dbc_ctx *ctx, sqlite3_stmt *st, int64_t first, int64_t last,
                               double deadline_ms, dbc_windows *ws, bool coarsen, int *sqlite_rc)
{
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, first);
	sqlite3_bind_int64(st, 2, last);
	int64_t rows = 0;
	uint64_t sum[2] = {0, 0};
	return digest_rows(ctx, st, 1, SQLDBC_CONTENT_VERSION, deadline_ms, ws, coarsen, &rows, sum,
	                   sqlite_rc);
}
