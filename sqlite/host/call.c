/*
 * call.c — the life of one SQLite function call: bind a ctx to the connection,
 * decode arguments with errors that name them, report the core's error with
 * the "dbcare: " prefix, free the arena.
 */
#include "conn.h"

#include <string.h>

sqldbc_conn *sqldbc_conn_of(sqlite3_context *fctx)
{
	return sqlite3_user_data(fctx);
}

void sqldbc_begin(sqldbc_call *call, sqlite3_context *fctx)
{
	sqldbc_call_open(call, sqldbc_conn_of(fctx));
	call->fn = fctx;
}

/* SQLite's result code for an error of this SQLSTATE: the code SQLite gave
 * the failing statement where the host mapped one to the SQLSTATE (an
 * interrupt, a busy database, a write to a read-only one), so an application
 * can tell them apart; SQLITE_ERROR otherwise. */
int sqldbc_result_code(const char *sqlstate)
{
	if (strcmp(sqlstate, DBC_SQLSTATE_CANCELED) == 0)
		return SQLITE_INTERRUPT;
	if (strcmp(sqlstate, DBC_SQLSTATE_LOCK_TIMEOUT) == 0)
		return SQLITE_BUSY;
	if (strcmp(sqlstate, DBC_SQLSTATE_READ_ONLY) == 0)
		return SQLITE_READONLY;
	if (strcmp(sqlstate, DBC_SQLSTATE_OUT_OF_MEMORY) == 0)
		return SQLITE_NOMEM;
	return SQLITE_ERROR;
}

/* "dbcare: message" + detail/hint/context on their own lines, as psql shows them. */
char *sqldbc_error_text(dbc_ctx *ctx)
{
	const char *msg = ctx->message ? ctx->message : "unknown error";
	char *text = sqlite3_mprintf("%s%s", strncmp(msg, "dbcare: ", 8) == 0 ? "" : "dbcare: ", msg);
	if (text && ctx->detail) {
		char *t = sqlite3_mprintf("%s\nDETAIL: %s", text, ctx->detail);
		sqlite3_free(text);
		text = t;
	}
	if (text && ctx->hint) {
		char *t = sqlite3_mprintf("%s\nHINT: %s", text, ctx->hint);
		sqlite3_free(text);
		text = t;
	}
	if (text && ctx->context) {
		char *t = sqlite3_mprintf("%s\nCONTEXT: %s", text, ctx->context);
		sqlite3_free(text);
		text = t;
	}
	return text;
}

void sqldbc_finish(sqldbc_call *call, sqlite3_context *fctx, int rc)
{
	if (sqldbc_call_settle(call, rc != DBC_OK || call->ctx.failed) != DBC_OK)
		rc = DBC_ERROR;
	if (rc != DBC_OK || call->ctx.failed) {
		if (strcmp(call->ctx.sqlstate, DBC_SQLSTATE_OUT_OF_MEMORY) == 0) {
			sqlite3_result_error_nomem(fctx);
		} else {
			char *text = sqldbc_error_text(&call->ctx);
			if (text)
				sqlite3_result_error(fctx, text, -1);
			else
				sqlite3_result_error_nomem(fctx);
			sqlite3_free(text);
			int code = sqldbc_result_code(call->ctx.sqlstate);
			if (code != SQLITE_ERROR)
				sqlite3_result_error_code(fctx, code);
		}
	}
	dbc_ctx_finish(&call->ctx);
}

int sqldbc_arg_text(sqldbc_call *call, sqlite3_value **argv, int i, const char *argname,
                    const char **out)
{
	if (sqlite3_value_type(argv[i]) == SQLITE_NULL)
		return dbc_error(&call->ctx, DBC_SQLSTATE_BAD_ARGUMENT, "argument \"%s\" must not be NULL",
		                 argname);
	*out = (const char *)sqlite3_value_text(argv[i]);
	if (!*out)
		return dbc_error(&call->ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	if ((size_t)sqlite3_value_bytes(argv[i]) != strlen(*out))
		return dbc_error(&call->ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "argument \"%s\" contains a NUL character", argname);
	return DBC_OK;
}

int sqldbc_arg_int(sqldbc_call *call, sqlite3_value **argv, int i, const char *argname,
                   int64_t *out)
{
	int type = sqlite3_value_numeric_type(argv[i]);
	if (type == SQLITE_NULL)
		return dbc_error(&call->ctx, DBC_SQLSTATE_BAD_ARGUMENT, "argument \"%s\" must not be NULL",
		                 argname);
	if (type != SQLITE_INTEGER)
		return dbc_error(&call->ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "argument \"%s\" must be an integer", argname);
	*out = sqlite3_value_int64(argv[i]);
	return DBC_OK;
}

sqldbc_conn *sqldbc_call_conn(dbc_ctx *ctx)
{
	return ((sqldbc_call *)ctx->host_data)->conn;
}
