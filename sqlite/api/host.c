/*
 * host.c — the dbc_host over the sqlite3 API: statements, parameters bound by
 * name ($1..$n), savepoints named by depth, quoting by sqlite3_mprintf's %w/%Q,
 * and errors carried back with the failing statement's line.
 */
#include "sqlite/host/glue.h"

#include "health/health.h"

#include <stdio.h>
#include <string.h>

static sqldbc_conn *conn_of(dbc_ctx *ctx)
{
	return ((sqldbc_call *)ctx->host_data)->conn;
}

static int line_of(const char *sql, const char *pos)
{
	int line = 1;
	for (const char *p = sql; p < pos && *p; p++)
		if (*p == '\n')
			line++;
	return line;
}

/* Fills the ctx error from the connection; stmt_start locates the statement. */
static int fail(dbc_ctx *ctx, sqlite3 *db, int rc, const char *sql, const char *stmt_start)
{
	if (ctx->failed)
		return DBC_ERROR;
	const char *state = rc == SQLITE_INTERRUPT                     ? DBC_SQLSTATE_CANCELED
	                    : rc == SQLITE_BUSY || rc == SQLITE_LOCKED ? DBC_SQLSTATE_LOCK_TIMEOUT
	                    : rc == SQLITE_READONLY                    ? DBC_SQLSTATE_READ_ONLY
	                    : rc == SQLITE_NOMEM                       ? DBC_SQLSTATE_OUT_OF_MEMORY
	                    : rc == SQLITE_CONSTRAINT                  ? "23000"
	                                                               : "42000";
	sqldbc_conn *c = conn_of(ctx);
	if (c->sp_depth > 0 && sqlite3_get_autocommit(db) && rc == SQLITE_INTERRUPT) {
		/* SQLite rolled back the transaction of an interrupted write; the
		 * call's end says what that means for the caller (txn_guard.c) */
		c->sp_depth = 0;
		dbc_error(ctx, state, "%s", sqlite3_errmsg(db));
	} else if (c->sp_depth > 0 && sqlite3_get_autocommit(db)) {
		/* OR ROLLBACK / RAISE(ROLLBACK) ended the whole transaction, dbcare's
		 * savepoints and the caller's earlier work included: say so plainly. */
		c->sp_depth = 0;
		dbc_error(ctx, state, "the statement rolled back the enclosing transaction: %s",
		          sqlite3_errmsg(db));
		dbc_error_hint(ctx, "Do not use ON CONFLICT ROLLBACK or RAISE(ROLLBACK, ...) in a "
		                    "migration; use ABORT, which undoes only the failing statement.");
	} else if ((rc & 0xff) == SQLITE_NOTADB) {
		/* SQLite's text names no file and no way out: both are said here */
		const char *file = sqlite3_db_filename(db, "main");
		dbc_error(ctx, state, "\"%s\" is not a SQLite database: %s",
		          file && *file ? file : "(in memory)", sqlite3_errmsg(db));
		dbc_error_hint(ctx, "%s", DBC_SQLITE_NOTADB_HINT);
	} else {
		dbc_error(ctx, state, "%s", sqlite3_errmsg(db));
	}
	if (sql && stmt_start) {
		const char *at = stmt_start;
		int off = sqlite3_error_offset(db);
		if (off >= 0 && (size_t)off < strlen(stmt_start)) {
			at += off;
		} else { /* a run-time error: point at the statement's first token */
			for (;;) {
				while (*at == ' ' || *at == '\t' || *at == '\n' || *at == '\r')
					at++;
				if (at[0] != '-' || at[1] != '-')
					break;
				while (*at && *at != '\n')
					at++;
			}
		}
		ctx->error_line = line_of(sql, at);
		ctx->error_cursor = (int)(at - sql) + 1;
	}
	return DBC_ERROR;
}

/* What a statement's steps came to (rc: the last step's code), with one
 * correction. SQLite calls the progress handler once more as a statement
 * returns, after it ended: a handler that asks to stop then turns a
 * statement whose work stands into SQLITE_INTERRUPT -- a RELEASE that has
 * committed dbcare's transaction (a transaction-control statement is
 * read-only, and an interrupted read-only statement rolls nothing back,
 * so a transaction open before and gone after has ended by it), or a
 * write in autocommit whose rows counted (an interrupted write rolls back
 * and counts none). Reported as a failure, the call would say "dbcare:
 * interrupted" over work already committed. */
typedef struct {
	bool autocommit; /* before the statement */
	int64_t total_changes;
} step_start;

static step_start step_begin(sqlite3 *db)
{
	return (step_start){sqlite3_get_autocommit(db) != 0, sqlite3_total_changes64(db)};
}

static int step_end(sqlite3 *db, sqlite3_stmt *stmt, step_start start, int rc)
{
	if ((rc & 0xff) != SQLITE_INTERRUPT || !sqlite3_get_autocommit(db))
		return rc;
	bool read_only = sqlite3_stmt_readonly(stmt) != 0;
	if (!start.autocommit && read_only)
		return SQLITE_DONE; /* its COMMIT, RELEASE or ROLLBACK ran */
	if (start.autocommit && !read_only && sqlite3_total_changes64(db) > start.total_changes)
		return SQLITE_DONE;
	return rc;
}

/* Runs each statement of sql (savepoints and their releases, which change
 * no schema, come here directly). */
static int exec_script(dbc_ctx *ctx, const char *sql)
{
	sqlite3 *db = conn_of(ctx)->db;
	const char *p = sql;
	while (p && *p) {
		sqlite3_stmt *stmt = NULL;
		const char *tail = NULL;
		int rc = sqlite3_prepare_v2(db, p, -1, &stmt, &tail);
		if (rc != SQLITE_OK)
			return fail(ctx, db, rc, sql, p);
		if (!stmt) { /* only white space or comments left */
			p = tail;
			continue;
		}
		step_start start = step_begin(db);
		while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
			;
		rc = step_end(db, stmt, start, rc);
		if (rc != SQLITE_DONE) {
			fail(ctx, db, rc, sql, p);
			sqlite3_finalize(stmt);
			return DBC_ERROR;
		}
		bool wrote = !sqlite3_stmt_readonly(stmt);
		sqlite3_finalize(stmt);
		/* DDL may have expired the call's way out (txn_guard.c): made
		 * again at once, before an interrupt can stop every prepare */
		sqldbc_call_keep_rescue(ctx->host_data, wrote);
		p = tail;
	}
	return DBC_OK;
}

/* A script may change the schema: the call's cached statements go first
 * (stmt_cache.c). */
static int host_exec(dbc_ctx *ctx, const char *sql)
{
	sqldbc_stmt_cache_clear(ctx->host_data);
	return exec_script(ctx, sql);
}

static int bind_slots(dbc_ctx *ctx, sqlite3_stmt *stmt, int nparam, const int *slots,
                      const dbc_value *params)
{
	for (int i = 0; i < nparam; i++) {
		int idx = slots[i], rc;
		if (idx == 0)
			continue; /* a statement need not use every parameter */
		switch (params[i].type) {
		case DBC_NULL:
			rc = sqlite3_bind_null(stmt, idx);
			break;
		case DBC_INT:
		case DBC_BOOL:
			rc = sqlite3_bind_int64(stmt, idx, params[i].i);
			break;
		case DBC_FLOAT:
			rc = sqlite3_bind_double(stmt, idx, params[i].f);
			break;
		default:
			rc = sqlite3_bind_text(stmt, idx, params[i].s, -1, SQLITE_STATIC);
			break;
		}
		if (rc != SQLITE_OK)
			return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "could not bind parameter $%d", i + 1);
	}
	return DBC_OK;
}

/* The call's statement for sql (stmt_cache.c) with its parameter slots;
 * hand it back with sqldbc_stmt_put. */
static int prepare_with_slots(dbc_ctx *ctx, const char *sql, int nparam, sqlite3_stmt **stmt,
                              const int **slots)
{
	sqldbc_call *call = ctx->host_data;
	int *own = dbc_alloc(ctx, sizeof(int) * (size_t)(nparam > 0 ? nparam : 1));
	if (!own)
		return DBC_ERROR;
	int rc = sqldbc_stmt_get(call, sql, nparam, stmt, own, slots);
	if (rc != SQLITE_OK)
		return fail(ctx, call->db, rc, sql, sql);
	if (!*stmt)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "no statement in a query");
	return DBC_OK;
}

/* The dialect's changes query, answered without a statement: the count of
 * a write in autocommit is read after the write has committed, and a
 * statement reading it could still fail (a progress handler asking to
 * stop), leaving the call to report a failure over committed work. */
static int answer_changes(dbc_ctx *ctx, sqlite3 *db, dbc_row_fn fn, void *arg)
{
	dbc_value row[1] = {dbc_int(sqlite3_changes64(db))};
	return fn ? fn(ctx, arg, 1, row) : DBC_OK;
}

static int host_query(dbc_ctx *ctx, const char *sql, int nparam, const dbc_value *params,
                      dbc_row_fn fn, void *arg)
{
	sqldbc_call *call = ctx->host_data;
	sqlite3 *db = call->db;
	if (nparam == 0 && strcmp(sql, ctx->host->dialect->changes_query) == 0)
		return answer_changes(ctx, db, fn, arg);
	sqlite3_stmt *stmt;
	const int *slots;
	int rc = SQLITE_OK;
	if (prepare_with_slots(ctx, sql, nparam, &stmt, &slots) != DBC_OK)
		return DBC_ERROR;
	if (bind_slots(ctx, stmt, nparam, slots, params) != DBC_OK) {
		sqldbc_stmt_put(call, stmt);
		return DBC_ERROR;
	}
	int ncol = sqlite3_column_count(stmt);
	dbc_value cells[64];
	dbc_value *row = ncol <= 64 ? cells : dbc_alloc(ctx, sizeof(dbc_value) * (size_t)ncol);
	int status = row ? DBC_OK : DBC_ERROR;
	step_start start = step_begin(db);
	while (status == DBC_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (!fn)
			continue;
		for (int i = 0; i < ncol; i++) {
			switch (sqlite3_column_type(stmt, i)) {
			case SQLITE_NULL:
				row[i] = dbc_null();
				break;
			case SQLITE_INTEGER:
				row[i] = dbc_int(sqlite3_column_int64(stmt, i));
				break;
			case SQLITE_FLOAT:
				row[i] = dbc_float(sqlite3_column_double(stmt, i));
				break;
			default: {
				/* text (a blob as its bytes): sqlite3_column_bytes after
				 * sqlite3_column_text counts the text's bytes, which run
				 * past the C string when one is a NUL */
				const char *s = (const char *)sqlite3_column_text(stmt, i);
				size_t n = (size_t)sqlite3_column_bytes(stmt, i);
				row[i] = dbc_text(s ? s : "");
				if (s && strlen(s) != n)
					row[i].nul_len = n;
				break;
			}
			}
		}
		status = fn(ctx, arg, ncol, row);
	}
	rc = step_end(db, stmt, start, rc);
	if (status == DBC_OK && rc != SQLITE_DONE)
		status = fail(ctx, db, rc, sql, sql);
	sqldbc_stmt_put(call, stmt);
	return status;
}

static int host_query_each(dbc_ctx *ctx, const char *sql, int nparam, int nrows,
                           const dbc_value *params)
{
	sqldbc_call *call = ctx->host_data;
	sqlite3 *db = call->db;
	sqlite3_stmt *stmt;
	const int *slots;
	int rc = SQLITE_DONE;
	if (prepare_with_slots(ctx, sql, nparam, &stmt, &slots) != DBC_OK)
		return DBC_ERROR;
	int status = DBC_OK;
	for (int r = 0; status == DBC_OK && r < nrows; r++) {
		status = bind_slots(ctx, stmt, nparam, slots, params + (size_t)r * (size_t)nparam);
		step_start start = step_begin(db);
		while (status == DBC_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW)
			;
		rc = step_end(db, stmt, start, rc);
		if (status == DBC_OK && rc != SQLITE_DONE)
			status = fail(ctx, db, rc, sql, sql);
		sqlite3_reset(stmt);
	}
	sqldbc_stmt_put(call, stmt);
	return status;
}

static int run_simple(dbc_ctx *ctx, const char *fmt, int level)
{
	char sql[96];
	snprintf(sql, sizeof sql, fmt, level, level);
	return exec_script(ctx, sql);
}

static int host_savepoint(dbc_ctx *ctx)
{
	sqldbc_conn *c = conn_of(ctx);
	sqldbc_call *call = ctx->host_data;
	int level = c->sp_depth + 1;
	/* The way out should this savepoint become impossible to roll back
	 * (txn_guard.c), prepared while statements still can be: afresh for
	 * each transaction the call opens, since an earlier one's DDL (the
	 * bookkeeping a first use makes and commits) may have expired it. */
	if (c->sp_depth == call->sp_base) {
		int rc = sqldbc_call_prepare_rescue(call, true);
		if (rc != SQLITE_OK) {
			fail(ctx, c->db, rc, NULL, NULL);
			return -1;
		}
	}
	if (run_simple(ctx, "SAVEPOINT dbcare_sp_%d", level) != DBC_OK)
		return -1;
	c->sp_depth = level;
	return level;
}

static int host_release(dbc_ctx *ctx, int level)
{
	sqldbc_conn *c = conn_of(ctx);
	if (level < 1 || level > c->sp_depth)
		return DBC_OK;
	if (run_simple(ctx, "RELEASE dbcare_sp_%d", level) != DBC_OK)
		return DBC_ERROR;
	c->sp_depth = level - 1;
	return DBC_OK;
}

static int host_rollback(dbc_ctx *ctx, int level)
{
	sqldbc_conn *c = conn_of(ctx);
	sqldbc_call *call = ctx->host_data;
	/* The call's own transaction ends with one ROLLBACK, never with
	 * "ROLLBACK TO; RELEASE": an interrupt between those two would leave it
	 * open with the rescue expired by the rollback of the migration's DDL
	 * (txn_guard.c), and nothing could end it any more. */
	bool whole = sqldbc_call_owns_level(call, level);
	if (level < 1 || level > c->sp_depth)
		return DBC_OK;
	/* rolling back over DDL expires prepared statements (stmt_cache.c) */
	sqldbc_stmt_cache_clear(call);
	if (sqlite3_get_autocommit(c->db)) { /* the transaction, savepoints included, is gone */
		c->sp_depth = 0;
		return ctx->failed ? DBC_ERROR
		                   : dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
		                               "the enclosing transaction was rolled back");
	}
	/* The dbc.h contract: rollback never touches the ctx error. It must run
	 * after a failure too, so the statement runs on a clean slot and the
	 * caller's error is put back whole; its own failure shows only when no
	 * error was set. */
	dbc_ctx saved = *ctx;
	dbc_error_clear(ctx);
	int rc = whole ? host_exec(ctx, "ROLLBACK")
	               : run_simple(ctx, "ROLLBACK TO dbcare_sp_%d; RELEASE dbcare_sp_%d", level);
	/* A rollback that failed (interrupted) leaves the savepoint open: the
	 * depth keeps it, so the call's end still sees and ends it (txn_guard.c). */
	if (rc == DBC_OK || sqlite3_get_autocommit(c->db))
		c->sp_depth = level - 1;
	if (!whole)
		sqldbc_call_renew_rescue(call);
	if (saved.failed) {
		dbc_arena_block *arena = ctx->arena;
		*ctx = saved;
		ctx->arena = arena;
		return DBC_ERROR;
	}
	return rc;
}

static char *host_quote_ident(dbc_ctx *ctx, const char *ident)
{
	char *q = sqlite3_mprintf("\"%w\"", ident);
	char *out = q ? dbc_strdup(ctx, q) : NULL;
	sqlite3_free(q);
	if (!q)
		dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	return out;
}

static char *host_quote_literal(dbc_ctx *ctx, const char *literal)
{
	char *q = sqlite3_mprintf("%Q", literal);
	char *out = q ? dbc_strdup(ctx, q) : NULL;
	sqlite3_free(q);
	if (!q)
		dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	return out;
}

/* sqlite3_is_interrupted is newer than 3.40; a flagged connection makes any
 * statement fail with SQLITE_INTERRUPT, so stepping a trivial one tells. The
 * probe is the call's (stmt_cache.c): prepared once per call, finalized
 * with it, never alive when the application closes the connection. */
static int host_interrupted(dbc_ctx *ctx)
{
	sqldbc_call *call = ctx->host_data;
	sqlite3_stmt *probe = NULL;
	int own;
	const int *slots;
	/* An interrupted connection also refuses to prepare the probe (a call
	 * without a statement cache prepares it every time): that is the
	 * answer too, not a reason to go on. */
	int rc = sqldbc_stmt_get(call, "SELECT 1", 0, &probe, &own, &slots);
	if (rc == SQLITE_OK && probe) {
		rc = sqlite3_step(probe);
		sqldbc_stmt_put(call, probe);
	}
	if (rc == SQLITE_INTERRUPT) {
		dbc_error(ctx, DBC_SQLSTATE_CANCELED, "interrupted");
		return 1;
	}
	return 0;
}

/* SQLite returns no warnings with a statement: the warning goes to SQLite's
 * error log (sqlite3_log; an application sees it through SQLITE_CONFIG_LOG,
 * the shell through .log), and what the caller can query shows it too, with
 * the hint (dbcare_settings' problem column for settings). The log keeps
 * only the message: sqlite3_log cuts its text at about 200 bytes. */
static void host_warning(dbc_ctx *ctx, const char *message, const char *hint)
{
	(void)ctx;
	(void)hint;
	sqlite3_log(SQLITE_WARNING, "dbcare: %s", message);
}

static void host_notice(dbc_ctx *ctx, const char *message, const char *hint)
{
	(void)ctx;
	(void)hint;
	sqlite3_log(SQLITE_NOTICE, "dbcare: %s", message);
}

/* Only where the connection asked (dbcare_internal_state('progress'), as
 * the dbcare command does): SQLite's log is the application's. */
static void host_progress(dbc_ctx *ctx, const char *line)
{
	const sqldbc_call *call = ctx->host_data;
	if (call && call->conn && call->conn->progress_to_log)
		sqlite3_log(SQLITE_NOTICE, "%s", line);
}

static void *host_alloc(size_t size)
{
	return sqlite3_malloc64(size);
}

static void host_free(void *p)
{
	sqlite3_free(p);
}

/* The settings of the parts above core/settings. */
static const dbc_settings_source *const settings_sources[] = {&dbc_health_settings, NULL};

/* The parts' hook tables: empty until the entry point hands each part this
 * table to fill (sqlite/api/entry.c, once a process), before any call reads it. */
static dbc_api_hooks part_hooks;

dbc_api_hooks *sqldbc_hooks_to_fill(void)
{
	return &part_hooks;
}

const dbc_host sqldbc_host = {
    .dialect = &sqldbc_dialect,
    .api = &part_hooks,
    .read_schema = sqldbc_read_schema,
    .exec = host_exec,
    .query = host_query,
    .query_each = host_query_each,
    .savepoint = host_savepoint,
    .release = host_release,
    .rollback = host_rollback,
    .quote_ident = host_quote_ident,
    .quote_literal = host_quote_literal,
    .schema_expr_allowed = sqldbc_schema_expr_allowed,
    .interrupted = host_interrupted,
    .book_prefix = "main.dbcare_",
    .book_name_prefix = "dbcare_",
    .book_ensure = sqldbc_book_ensure,
    .book_exists = sqldbc_book_exists,
    .book_ensure_part = sqldbc_book_ensure_part,
    .book_has_column = sqldbc_book_has_column,
    .audit_entries_written = sqldbc_audit_entries_written,
    .status_cache = sqldbc_status_cache,
    .renames_writer = sqldbc_renames_writer,
    .json_registry_written = sqldbc_json_registry_written,
    .warning = host_warning,
    .notice = host_notice,
    .progress = host_progress,
    .settings_sources = settings_sources,
    .alloc = host_alloc,
    .free = host_free,
};
