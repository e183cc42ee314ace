/*
 * backup_content.c — what a table holds, as a backup's logical
 * verification compares it (docs/backups.md, "Logical verification"): its
 * row count and an order-independent content hash, read with one scan.
 *
 * Each row is encoded canonically (per column: a type byte, then an
 * integer's or a real's 8 bytes big-endian, or a text's or blob's 4-byte
 * length and bytes, nothing for NULL) and hashed with SHA-256; the table's
 * hash is two 64-bit sums (mod 2^64) of the first and second 8 bytes of
 * every row's digest. A sum does not depend on the order the rows are read
 * in (a copy's b-tree pages may be laid out otherwise), two equal rows do
 * not cancel as they would under xor, and one row deleted, added or
 * changed moves it. The rowid is not part of a row: the content is what
 * the columns say.
 */
#include "base/clock.h"
#include "base/sha256.h"
#include "backup_glue.h"

#include <stdio.h>
#include <string.h>

/* A row's encoding, grown as needed (sqlite3_realloc64: freed here). */
typedef struct row_buf {
	unsigned char *data;
	size_t len, cap;
} row_buf;

static bool put(row_buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n)
			cap *= 2;
		unsigned char *d = sqlite3_realloc64(b->data, cap);
		if (!d)
			return false;
		b->data = d;
		b->cap = cap;
	}
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	return true;
}

static bool put_u64(row_buf *b, uint64_t v)
{
	unsigned char be[8];
	for (int i = 7; i >= 0; i--, v >>= 8)
		be[i] = (unsigned char)(v & 0xff);
	return put(b, be, 8);
}

static bool put_column(row_buf *b, sqlite3_stmt *st, int i)
{
	int type = sqlite3_column_type(st, i);
	unsigned char tag = (unsigned char)type;
	if (!put(b, &tag, 1))
		return false;
	switch (type) {
	case SQLITE_INTEGER:
		return put_u64(b, (uint64_t)sqlite3_column_int64(st, i));
	case SQLITE_FLOAT: {
		double d = sqlite3_column_double(st, i);
		uint64_t bits;
		memcpy(&bits, &d, sizeof bits);
		return put_u64(b, bits);
	}
	case SQLITE_TEXT:
	case SQLITE_BLOB: {
		const void *p = type == SQLITE_TEXT ? (const void *)sqlite3_column_text(st, i)
		                                    : sqlite3_column_blob(st, i);
		int n = sqlite3_column_bytes(st, i);
		unsigned char len[4] = {(unsigned char)(n >> 24), (unsigned char)(n >> 16),
		                        (unsigned char)(n >> 8), (unsigned char)n};
		return put(b, len, 4) && put(b, p, (size_t)n);
	}
	default:
		return true; /* NULL: the tag alone */
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

int sqldbc_backup_table_content(dbc_ctx *ctx, sqlite3 *db, const char *table, double deadline_ms,
                                int64_t *rows, char hash[DBC_BACKUP_CONTENT_HEX + 1],
                                int *sqlite_rc)
{
	char *sql = sqlite3_mprintf("SELECT * FROM main.\"%w\"", table);
	sqlite3_stmt *st = NULL;
	*rows = 0;
	*sqlite_rc = sql ? sqlite3_prepare_v2(db, sql, -1, &st, NULL) : SQLITE_NOMEM;
	sqlite3_free(sql);
	if (*sqlite_rc != SQLITE_OK)
		return DBC_ERROR;
	dbc_sha256 *h = dbc_sha256_begin(ctx);
	if (!h) {
		sqlite3_finalize(st);
		return DBC_ERROR;
	}
	row_buf b = {0};
	uint64_t sum[2] = {0, 0};
	int n = sqlite3_column_count(st), rc, out = DBC_OK;
	unsigned char md[32];
	while (out == DBC_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		b.len = 0;
		for (int i = 0; i < n && out == DBC_OK; i++)
			if (!put_column(&b, st, i))
				out = dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
		if (out == DBC_OK && dbc_sha256_digest(ctx, h, b.data ? b.data : md, b.len, md) != DBC_OK)
			out = DBC_ERROR;
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
	sqlite3_finalize(st);
	dbc_sha256_abort(h);
	if (out == DBC_OK)
		snprintf(hash, DBC_BACKUP_CONTENT_HEX + 1, "%016llx%016llx", (unsigned long long)sum[0],
		         (unsigned long long)sum[1]);
	return out;
}
