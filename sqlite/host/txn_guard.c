/*
 * txn_guard.c — a dbcare call leaves the connection's transaction as it found
 * it. Savepoints normally see to that (host.c), but an interrupt defeats them:
 * sqlite3_interrupt() stays in force until the application's statement that
 * called dbcare ends, so every statement dbcare prepares or steps until then
 * fails, ROLLBACK TO included; and a progress handler that keeps returning
 * non-zero fails any statement long enough to reach it. A failed call whose
 * savepoint could not be rolled back would leave a transaction open that the
 * application does not know of: its next writes land in it, report success,
 * and vanish when the connection closes.
 *
 * SQLite's own rule gives a way out that needs no new statement: a writing
 * statement that is interrupted inside a transaction rolls the whole
 * transaction back (sqlite3_interrupt's documentation). So before the call's
 * first savepoint a harmless write is prepared -- setting temp.user_version,
 * which only this connection sees and which the rollback undoes anyway -- and
 * stepped only when even ROLLBACK cannot run, i.e. when it is interrupted
 * before it writes anything.
 *
 * The rescue must not be expired when it is needed. Rolling a savepoint back
 * over DDL (a migration's) expires every prepared statement of the
 * connection; sqlite3_step then compiles it again, and under an interrupt
 * that compilation fails (SQLite's tokenizer checks the interrupt), so the
 * write never starts and the transaction stays open. Hence: the transaction
 * the call began itself is rolled back with one ROLLBACK, which ends it in
 * the same step that expires the rescue (host.c, and below); after any other
 * savepoint rollback the rescue is prepared afresh. Other DDL expires it as
 * well -- CREATE INDEX and TEMP triggers, which a database's first use makes
 * for its bookkeeping and a part for its tables --: it is prepared afresh
 * for every transaction the call opens, and right after any statement that
 * expired it (host.c). Left open is only an interrupt that lands as an
 * expiring statement returns, before the fresh prepare: then no statement
 * can run until the caller's ends, and the error asks for the ROLLBACK.
 */
#include "conn.h"
#include "optional_api.h"

#include <stdio.h>
#include <string.h>

#define RESCUE_SQL "PRAGMA temp.user_version = 0"

void sqldbc_call_open(sqldbc_call *call, sqldbc_conn *conn)
{
	call->conn = conn;
	call->db = conn->db;
	call->sp_base = conn->sp_depth;
	call->was_autocommit = sqlite3_get_autocommit(conn->db) != 0;
	call->rescue = NULL;
	call->stmts = NULL;
	call->fn = NULL;
	call->schema_checked = false;
	dbc_ctx_init(&call->ctx, sqldbc_installed_host(), call);
}

int sqldbc_call_prepare_rescue(sqldbc_call *call, bool afresh)
{
	sqlite3_stmt *fresh = NULL;
	if (call->rescue && !afresh)
		return SQLITE_OK;
	int rc = sqlite3_prepare_v2(call->db, RESCUE_SQL, -1, &fresh, NULL);
	if (rc != SQLITE_OK)
		return rc; /* interrupted already: nothing will be begun */
	sqlite3_finalize(call->rescue);
	call->rescue = fresh;
	return SQLITE_OK;
}

void sqldbc_call_renew_rescue(sqldbc_call *call)
{
	sqlite3_stmt *fresh = NULL;
	if (!call->rescue)
		return;
	if (sqlite3_prepare_v2(call->db, RESCUE_SQL, -1, &fresh, NULL) != SQLITE_OK || !fresh)
		return; /* interrupted already: the old one is all there is */
	sqlite3_finalize(call->rescue);
	call->rescue = fresh;
}

void sqldbc_call_keep_rescue(sqldbc_call *call, bool wrote)
{
	if (call->rescue && sqldbc_stmt_expired(call->rescue, wrote))
		sqldbc_call_renew_rescue(call);
}

bool sqldbc_call_owns_level(const sqldbc_call *call, int level)
{
	return call->was_autocommit && call->sp_base == 0 && level == 1;
}

/* Appends text to the error's detail (the message itself stays the cause). */
static void add_detail(dbc_ctx *ctx, const char *text)
{
	char *d = ctx->detail ? dbc_printf(ctx, "%s\n%s", ctx->detail, text) : dbc_strdup(ctx, text);
	if (d)
		ctx->detail = d;
}

/* Ends the transaction when every statement fails: steps the prepared write,
 * which the interrupt stops before it writes, and SQLite rolls back. */
static void roll_back_all(sqldbc_call *call)
{
	if (sqlite3_exec(call->db, "ROLLBACK", NULL, NULL, NULL) == SQLITE_OK ||
	    sqlite3_get_autocommit(call->db) || !call->rescue)
		return;
	sqlite3_step(call->rescue);
	sqlite3_reset(call->rescue); /* the statement's end is where SQLite rolls back */
	if (!sqlite3_get_autocommit(call->db))
		sqlite3_exec(call->db, "ROLLBACK", NULL, NULL, NULL);
}

int sqldbc_call_settle(sqldbc_call *call, bool failed)
{
	sqlite3 *db = call->db;
	sqldbc_conn *c = call->conn;
	/* none of the call's statements runs any more: none may outlive it */
	sqldbc_stmt_cache_free(call);
	if (!failed &&
	    (sqlite3_get_autocommit(db) ? !call->was_autocommit
	                                : call->was_autocommit || c->sp_depth > call->sp_base)) {
		/* A call that went on after SQLite rolled the caller's transaction
		 * back under it (dbmigrate_verify reports a failed migration as a
		 * row), or that left one open: success would hide it. */
		dbc_error(&call->ctx, DBC_SQLSTATE_BAD_STATE,
		          sqlite3_get_autocommit(db)
		              ? "the enclosing transaction was rolled back during the call"
		              : "the call left a transaction open");
		failed = true;
	}
	if (failed) {
		/* dbcare's savepoints the error path could not roll back (the
		 * call's own transaction: ROLLBACK below, in one step) */
		if (!sqlite3_get_autocommit(db) && c->sp_depth > call->sp_base &&
		    !sqldbc_call_owns_level(call, call->sp_base + 1)) {
			char sql[96];
			snprintf(sql, sizeof sql, "ROLLBACK TO dbcare_sp_%d; RELEASE dbcare_sp_%d",
			         call->sp_base + 1, call->sp_base + 1);
			if (sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK)
				c->sp_depth = call->sp_base;
		}
		/* Still open: a transaction dbcare began, or the application's with
		 * dbcare's half-done work in it, which must never be committed. */
		if (!sqlite3_get_autocommit(db) && (call->was_autocommit || c->sp_depth > call->sp_base))
			roll_back_all(call);
		if (sqlite3_get_autocommit(db)) {
			c->sp_depth = 0;
			/* the caller's transaction is gone: say so, once */
			const char *msg = call->ctx.message ? call->ctx.message : "";
			if (!call->was_autocommit && !strstr(msg, "rolled back the enclosing transaction"))
				add_detail(&call->ctx,
				           strcmp(call->ctx.sqlstate, DBC_SQLSTATE_CANCELED) == 0
				               ? "The enclosing transaction was rolled back (SQLite rolls back a "
				                 "transaction whose write is interrupted): its earlier work is "
				                 "undone and no transaction is open."
				               : "The enclosing transaction was rolled back: its earlier work is "
				                 "undone and no transaction is open.");
		} else if (call->was_autocommit || c->sp_depth > call->sp_base) {
			add_detail(&call->ctx, "dbcare could not roll back its transaction: run ROLLBACK "
			                       "before anything else on this connection.");
		}
	}
	if (call->rescue)
		sqlite3_finalize(call->rescue);
	call->rescue = NULL;
	return failed ? DBC_ERROR : DBC_OK;
}
