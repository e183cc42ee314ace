/*
 * schema_probe.c — whether a table (or one of its columns) is in a database
 * of the connection, told apart from "could not tell". The one home of every
 * such look-up dbcare makes (its bookkeeping tables and columns).
 *
 * sqlite3_table_column_metadata answers from the connection's schema hash,
 * which it first loads from the file when the connection has not read it
 * yet. That load takes a read lock: while another connection holds the
 * write lock of a rollback-journal file it waits out the busy timeout and
 * then fails SQLITE_BUSY. Taken as "no such table", a reading call then
 * made up a state (a database without migrations, settings at their
 * defaults, a healthy report). Here the load's failure is the call's error
 * (SQLSTATE 55P03 for a busy or locked database, as every statement's).
 *
 * The hash loaded once is not checked against the file either: a table
 * another connection made since (the first migration run by another
 * process) read as absent until some statement noticed the new schema. So
 * "absent" is confirmed once per call by stepping a statement over the
 * schema table, whose start compares the file's schema cookie with the
 * connection's and reloads a stale schema; only with no transaction open,
 * where that read pins no snapshot (the write that may follow in a changing
 * call would fail busy at once on a stale one).
 */
#include "conn.h"

#include <string.h>

/* The error of a schema that could not be read, like the host's statements'. */
static int unreadable(dbc_ctx *ctx, sqlite3 *db, int rc)
{
	int code = rc & 0xff;
	const char *state = code == SQLITE_BUSY || code == SQLITE_LOCKED ? DBC_SQLSTATE_LOCK_TIMEOUT
	                    : code == SQLITE_NOMEM                       ? DBC_SQLSTATE_OUT_OF_MEMORY
	                    : code == SQLITE_INTERRUPT                   ? DBC_SQLSTATE_CANCELED
	                                                                 : "42000";
	const char *msg = sqlite3_errmsg(db);
	if (!msg || !*msg || strncmp(msg, "no such table column", 20) == 0)
		msg = sqlite3_errstr(rc);
	return dbc_error(ctx, state, "%s", msg);
}

/* The connection's schema as the file has it now (see above). */
static int schema_current(dbc_ctx *ctx, sqlite3 *db)
{
	sqldbc_call *call = ctx->host_data;
	if (call->schema_checked || !sqlite3_get_autocommit(db))
		return DBC_OK;
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, "SELECT 1 FROM main.sqlite_master LIMIT 1", -1, &st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE && rc != SQLITE_OK)
		return unreadable(ctx, db, rc);
	call->schema_checked = true;
	return DBC_OK;
}

int sqldbc_table_probe(dbc_ctx *ctx, const char *schema, const char *table, const char *column,
                       bool *exists)
{
	sqlite3 *db = sqldbc_call_conn(ctx)->db;
	*exists = false;
	int rc = sqlite3_table_column_metadata(db, schema, table, column, NULL, NULL, NULL, NULL, NULL);
	if (rc == SQLITE_OK) {
		*exists = true;
		return DBC_OK;
	}
	if (rc != SQLITE_ERROR) /* the schema's load failed: busy, locked, I/O, memory */
		return unreadable(ctx, db, rc);
	/* SQLITE_ERROR is "no such table column" once the schema is loaded; a
	 * load failing so (an unsupported file format) fails again here, the
	 * master table being in every loaded schema */
	rc = sqlite3_table_column_metadata(db, schema, "sqlite_master", NULL, NULL, NULL, NULL, NULL,
	                                   NULL);
	if (rc != SQLITE_OK)
		return unreadable(ctx, db, rc);
	sqldbc_call *call = ctx->host_data;
	if (call->schema_checked || !sqlite3_get_autocommit(db))
		return DBC_OK;
	/* absent from the hash: once per call, from the file */
	if (schema_current(ctx, db) != DBC_OK)
		return DBC_ERROR;
	*exists = sqlite3_table_column_metadata(db, schema, table, column, NULL, NULL, NULL, NULL,
	                                        NULL) == SQLITE_OK;
	return DBC_OK;
}
