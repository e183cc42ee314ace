/*
 * backup_base.c — what every file of the SQLite backups builds on
 * (backup_glue.h), below all of them and naming none: an error about a
 * connection's last failure; reading a database image (its fingerprint, its
 * tables' rows, counts and content hashes, its page count); the read
 * transaction a copy happens in (begun, its image read, ended on every
 * path); the copy's page steps; the database's canonical path, the proof of
 * origin a copy carries. The files above it (the hooks of core/backup,
 * one file a job under backup_hooks.c: backup_copy.c, backup_readback.c,
 * backup_target.c, ...; backup_exact.c, backup_incr*.c, backup_pageset.c,
 * backup_scratch.c, backup_seal.c, backup_drill.c) call down to it.
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include "backup/backup.h"
#include "base/clock.h"
#include "base/sha256.h"
#include "backup_glue.h"
#include "sqlite/host/glue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STEP_PAGES 4096

static void sleep_ms(int ms)
{
	struct timespec ts = {0, (long)ms * 1000000L};
	nanosleep(&ts, NULL);
}

/* An error about db's last failure, with the system's reason when SQLite
 * kept one (a full disk, a file too large). */
int sqldbc_backup_db_error(dbc_ctx *ctx, sqlite3 *db, const char *what)
{
	int sys = db ? sqlite3_system_errno(db) : 0;
	/* SQLite's "file is not a database" names no file and no way out */
	const char *file = db ? sqlite3_db_filename(db, "main") : NULL;
	bool notadb = db && (sqlite3_errcode(db) & 0xff) == SQLITE_NOTADB && file && *file;
	dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "%s: %s%s%s%s%s%s%s", what, notadb ? "\"" : "",
	          notadb ? file : "", notadb ? "\" is not a SQLite database: " : "",
	          db ? sqlite3_errmsg(db) : "out of memory", sys ? " (" : "", sys ? strerror(sys) : "",
	          sys ? ")" : "");
	if (notadb)
		dbc_error_hint(ctx, "%s", DBC_SQLITE_NOTADB_HINT);
	return DBC_ERROR;
}

int sqldbc_backup_rc_error(dbc_ctx *ctx, sqlite3 *db, int rc, const char *what)
{
	/* an interrupt is the call's cancel, said as every call says it */
	if ((rc & 0xff) == SQLITE_INTERRUPT && ctx->host->interrupted(ctx))
		return DBC_ERROR;
	if (db && sqlite3_errcode(db) != SQLITE_OK)
		return sqldbc_backup_db_error(ctx, db, what);
	/* the connection's message was reset since (a statement reset or
	 * finalized after the failure): the code still names the cause */
	return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "%s: %s", what, sqlite3_errstr(rc));
}

/* ---------------------------------------------------------------- reading an image */

/* Runs sql on db and hands each row's first column (text) to the buffer as
 * "<col0>\t<col1>...\n"; *rows counts rows. Returns the SQLite code. */
int sqldbc_backup_rows_text(sqlite3 *db, const char *sql, dbc_buf *out, int64_t *rows)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int n = sqlite3_column_count(st);
		for (int i = 0; i < n; i++) {
			const unsigned char *t = sqlite3_column_text(st, i);
			dbc_buf_append(out, t ? (const char *)t : "");
			dbc_buf_appendc(out, i + 1 < n ? '\t' : '\n');
		}
		if (rows)
			(*rows)++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int sqldbc_backup_int_pragma(sqlite3 *db, const char *sql, int64_t *out)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	*out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* The fingerprint (the stored schema text, every row of sqlite_schema) and,
 * with content, the row count and content hash of every ordinary table of
 * db's main database (virtual tables hold no rows of their own; their
 * shadow tables are counted), one scan of each table (backup_content.c);
 * without, img->table and img->rows_digest stay NULL. The first statement
 * is the one that takes the read lock: a busy database answers
 * SQLITE_BUSY here. */
int sqldbc_backup_read_whole(dbc_ctx *ctx, void *arg, sqlite3 *db, const sqldbc_table_at *at,
                             double deadline_ms, int version, dbc_backup_table *t, int *sqlite_rc)
{
	bool windows = arg && *(const bool *)arg && version == SQLDBC_CONTENT_VERSION;
	sqlite3_stmt *st = NULL;
	if (windows && sqldbc_backup_windows_open(ctx, db, at->name, &st) != DBC_OK)
		return DBC_ERROR;
	if (!st) /* no windows wanted, or no rowid to cut by */
		return sqldbc_backup_table_content(ctx, db, at->name, version, deadline_ms, &t->rows,
		                                   t->hash, sqlite_rc);
	dbc_windows ws = {.shift = DBC_WINDOW_FIRST_SHIFT, .root = at->root};
	int rc = sqldbc_backup_windows_read(ctx, st, INT64_MIN, INT64_MAX, deadline_ms, &ws, true,
	                                    sqlite_rc);
	sqlite3_finalize(st);
	if (rc == DBC_OK) {
		dbc_windows_settle(&ws);
		rc = sqldbc_backup_windows_record(ctx, at, &ws, t);
	}
	dbc_windows_free(&ws);
	return rc;
}

int sqldbc_backup_windows_record(dbc_ctx *ctx, const sqldbc_table_at *at, dbc_windows *ws,
                                 dbc_backup_table *t)
{
	char hex[DBC_SHA256_HEX_LEN + 1];
	if (dbc_sha256_hex(ctx, at->sql, strlen(at->sql), hex) != DBC_OK)
		return DBC_ERROR;
	memcpy(ws->sql_hash, hex, DBC_WINDOWS_SQL_HASH);
	ws->sql_hash[DBC_WINDOWS_SQL_HASH] = '\0';
	ws->root = at->root;
	uint64_t sum[2];
	dbc_windows_totals(ws, &t->rows, sum);
	snprintf(t->hash, DBC_BACKUP_CONTENT_HEX + 1, "%016llx%016llx", (unsigned long long)sum[0],
	         (unsigned long long)sum[1]);
	return (t->windows = dbc_windows_text(ctx, ws)) ? DBC_OK : DBC_ERROR;
}

int sqldbc_backup_read_tables(dbc_ctx *ctx, sqlite3 *db, double deadline_ms,
                              sqldbc_table_reader read, void *arg, dbc_backup_image *img,
                              int *sqlite_rc)
{
	dbc_buf counts;
	dbc_buf_init(&counts, ctx);
	img->tables = 0;
	img->rows = 0;
	img->table = NULL;
	int cap = 0, rc;
	/* each table read while its name is the statement's row: a name may
	 * hold any character, a newline too */
	sqlite3_stmt *names = NULL;
	rc = sqlite3_prepare_v2(db,
	                        "SELECT name, rootpage, coalesce(sql, '') FROM main.sqlite_schema"
	                        " WHERE type = 'table'"
	                        " AND coalesce(sql, '') NOT LIKE 'CREATE VIRTUAL%'"
	                        " AND name <> '" STAMP_TABLE "' COLLATE NOCASE ORDER BY name",
	                        -1, &names, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(names)) == SQLITE_ROW) {
		sqldbc_table_at at = {(const char *)sqlite3_column_text(names, 0),
		                      sqlite3_column_int64(names, 1),
		                      (const char *)sqlite3_column_text(names, 2)};
		if (!at.name || !at.sql ||
		    dbc_grow(ctx, &img->table, (int)img->tables, &cap, sizeof(*img->table), 16) != DBC_OK) {
			rc = SQLITE_NOMEM;
			break;
		}
		dbc_backup_table *t = &img->table[img->tables];
		memset(t, 0, sizeof *t);
		t->name = dbc_strdup(ctx, at.name);
		if (!t->name ||
		    read(ctx, arg, db, &at, deadline_ms, img->content_version, t, &rc) != DBC_OK) {
			if (rc == SQLITE_OK || rc == SQLITE_ROW)
				rc = SQLITE_ERROR; /* the error is set in ctx */
			break;
		}
		rc = SQLITE_OK;
		dbc_buf_appendf(&counts, "%s\t%lld\n", at.name, (long long)t->rows);
		img->tables++;
		img->rows += t->rows;
	}
	if (rc == SQLITE_DONE)
		rc = SQLITE_OK;
	sqlite3_finalize(names);
	*sqlite_rc = rc;
	if (rc != SQLITE_OK)
		return DBC_ERROR;
	char *c = dbc_buf_finish(&counts);
	char hex[DBC_SHA256_HEX_LEN + 1];
	if (!c || dbc_sha256_hex(ctx, c, strlen(c), hex) != DBC_OK ||
	    !(img->rows_digest = dbc_strdup(ctx, hex)))
		return DBC_ERROR;
	return DBC_OK;
}

int sqldbc_backup_read_image(dbc_ctx *ctx, sqlite3 *db, double deadline_ms, bool content,
                             dbc_backup_image *img, int *sqlite_rc)
{
	dbc_buf schema;
	dbc_buf_init(&schema, ctx);
	img->tables = 0;
	img->rows = 0;
	img->table = NULL;
	if (img->content_version <= 0 || img->content_version > SQLDBC_CONTENT_VERSION)
		img->content_version = SQLDBC_CONTENT_VERSION;
	int rc = sqldbc_backup_rows_text(db, FINGERPRINT_SQL, &schema, NULL);
	/* a full backup's record keeps rowid windows: it is the next
	 * incremental's base */
	bool windows = img->hash_pages;
	if (rc == SQLITE_OK && content &&
	    sqldbc_backup_read_tables(ctx, db, deadline_ms, sqldbc_backup_read_whole, &windows, img,
	                              &rc) != DBC_OK) {
		*sqlite_rc = rc;
		return DBC_ERROR;
	}
	if (rc == SQLITE_OK)
		rc = sqldbc_backup_int_pragma(db, "PRAGMA main.page_count", &img->pages);
	*sqlite_rc = rc;
	if (rc != SQLITE_OK)
		return DBC_ERROR;
	char *s = dbc_buf_finish(&schema);
	char hex[DBC_SHA256_HEX_LEN + 1];
	if (!s || dbc_sha256_hex(ctx, s, strlen(s), hex) != DBC_OK ||
	    !(img->fingerprint = dbc_strdup(ctx, hex)))
		return DBC_ERROR;
	return DBC_OK;
}

/* The canonical path of db's main database file; "" for an in-memory or
 * temporary database (whose copies prune never deletes: nothing names
 * them). */
char *sqldbc_backup_identity(dbc_ctx *ctx, sqlite3 *db)
{
	const char *file = sqlite3_db_filename(db, "main");
	if (!file || !file[0])
		return dbc_strdup(ctx, "");
	char *real = realpath(file, NULL);
	char *out = dbc_strdup(ctx, real ? real : file);
	free(real);
	return out;
}

/* ---------------------------------------------------------------- the copy */

/* Ends the copy's read transaction on every path. Under an interrupt
 * (which lasts until the caller's statement ends) COMMIT and ROLLBACK fail
 * too; the call's rescue write, prepared before BEGIN, then ends it: an
 * interrupted write rolls the whole transaction back (txn_guard.c). */
void sqldbc_backup_end_read(sqlite3 *db, sqldbc_call *call)
{
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	if (!sqlite3_get_autocommit(db) && call->rescue) {
		sqlite3_step(call->rescue);
		sqlite3_reset(call->rescue);
	}
}

/* The read transaction the copy happens in: BEGIN and the first read,
 * retried while the database is busy (a writer committing in rollback
 * journal mode) until the deadline. */
int sqldbc_backup_begin_snapshot(dbc_ctx *ctx, sqlite3 *db, double deadline, bool content,
                                 dbc_backup_image *source)
{
	for (;;) {
		int rc = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
		if (rc != SQLITE_OK)
			return sqldbc_backup_db_error(ctx, db, "could not begin the backup's read transaction");
		if (sqldbc_backup_read_image(ctx, db, deadline, content, source, &rc) == DBC_OK)
			return DBC_OK;
		/* the read's own message, before ending the read resets it */
		if (!ctx->failed && (rc & 0xff) != SQLITE_BUSY && (rc & 0xff) != SQLITE_LOCKED)
			sqldbc_backup_rc_error(ctx, db, rc, "could not read the database to back up");
		sqldbc_backup_end_read(db, ctx->host_data);
		if (ctx->failed)
			return DBC_ERROR;
		if (dbc_monotonic_ms() >= deadline)
			return dbc_error(ctx, DBC_SQLSTATE_LOCK_TIMEOUT,
			                 "the database stayed locked: no consistent read within "
			                 "backup.timeout_ms");
		if (ctx->host->interrupted(ctx))
			return DBC_ERROR;
		sleep_ms(5);
	}
}

/* Copies every page of the snapshot into dest, checking the deadline and
 * an interrupt between steps. */
int sqldbc_backup_copy_pages(dbc_ctx *ctx, sqlite3 *src, sqlite3 *dest, double deadline)
{
	sqlite3_backup *b = sqlite3_backup_init(dest, "main", src, "main");
	if (!b)
		return sqldbc_backup_db_error(ctx, dest, "could not start the copy");
	int rc;
	/* each step says how far the copy is (a terminal draws it) */
	while ((rc = sqlite3_backup_step(b, STEP_PAGES)) == SQLITE_OK || rc == SQLITE_DONE) {
		int total = sqlite3_backup_pagecount(b);
		dbc_progress(ctx, total - sqlite3_backup_remaining(b), total, "pages copied");
		if (rc == SQLITE_DONE)
			break;
		if (dbc_monotonic_ms() >= deadline) {
			sqlite3_backup_finish(b);
			return dbc_error(ctx, DBC_SQLSTATE_LOCK_TIMEOUT,
			                 "the copy did not finish within backup.timeout_ms");
		}
		if (ctx->host->interrupted(ctx)) {
			sqlite3_backup_finish(b);
			return DBC_ERROR;
		}
	}
	int fin = sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE || fin != SQLITE_OK)
		return sqldbc_backup_db_error(ctx, dest, "could not write the backup copy");
	return DBC_OK;
}

int sqldbc_backup_prepare(dbc_ctx *ctx, sqlite3 *db)
{
	if (!sqlite3_get_autocommit(db)) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "a backup cannot be taken inside a transaction");
		dbc_error_hint(ctx, "COMMIT or ROLLBACK first: the copy needs a read transaction of its "
		                    "own, and a backup holds only committed work.");
		return DBC_ERROR;
	}
	if (sqldbc_call_prepare_rescue(ctx->host_data, false) != SQLITE_OK)
		return sqldbc_backup_db_error(ctx, db, "could not prepare the backup");
	/* outside a transaction: the bookkeeping committed before the copy */
	if (dbc_backup_book_before_copy(ctx) != DBC_OK)
		return DBC_ERROR;
	/* A first backup's bookkeeping made tables, which expired the rescue:
	 * expired, it could not run under an interrupt (its new compilation
	 * fails) and the copy's read transaction would stay open. It is made
	 * again here, before BEGIN; nothing changes the schema until the read
	 * ends. Interrupted already: no read transaction is begun. */
	sqldbc_call_renew_rescue(ctx->host_data);
	return ctx->host->interrupted(ctx) ? DBC_ERROR : DBC_OK;
}
