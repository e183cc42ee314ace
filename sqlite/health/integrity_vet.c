/*
 * sqlite/health/integrity_vet.c — may PRAGMA quick_check / integrity_check run on
 * the caller's connection? There they evaluate schema code of the file with
 * neither trusted_schema = OFF nor SQLITE_DIRECTONLY limiting what it calls
 * (load_extension(), the shell's sha3_query() and writefile(), an
 * application's functions): every CHECK of every table (a read-write
 * connection only), a VIRTUAL generated column's expression (NOT NULL, and
 * under an index), and in integrity_check every index's key expressions and
 * partial-index WHERE clause. Each of them, in every table of main --
 * dbcare_* bookkeeping tables included, since a hostile file names its
 * tables as it likes -- must pass the allow-list (check_expr.c).
 *
 * When one does not, the pragma runs on a connection of its own instead:
 * read-only (SQLite evaluates no CHECK there), on the same file and VFS,
 * where no application function exists and load_extension() stays off.
 */
#include "health_glue.h"
#include "sqlite/host/glue.h"
#include "check/check.h"
#include "schema/ddl_lex.h"
#include "schema/ddl_text.h"

#include <string.h>
#include <strings.h>

typedef struct vet_state {
	bool full; /* integrity_check: index keys and predicates are evaluated too */
	sqldbc_integrity_vet *out;
} vet_state;

static int refuse(vet_state *st, bool index_key, char *why)
{
	if (!why)
		return DBC_ERROR;
	if (!st->out->refused)
		st->out->refused = why;
	if (index_key && !st->out->refused_key)
		st->out->refused_key = why;
	return DBC_OK;
}

/* Records expr's refusal as what (the first one found of each kind wins). */
static int vet_expr(dbc_ctx *ctx, vet_state *st, const char *expr, bool index_key, const char *what)
{
	char *reason = NULL;
	if (!expr || ctx->host->schema_expr_allowed(ctx, expr, &reason) != DBC_OK)
		return DBC_ERROR;
	return reason ? refuse(st, index_key, dbc_printf(ctx, "%s: %s", what, reason)) : DBC_OK;
}

static bool out_of_memory(const dbc_ctx *ctx)
{
	return ctx->failed && strcmp(ctx->sqlstate, DBC_SQLSTATE_OUT_OF_MEMORY) == 0;
}

/* Text the DDL reader does not understand cannot be vetted: refused, as
 * anything the pragma may evaluate. */
static int vet_unreadable(dbc_ctx *ctx, vet_state *st, const char *what)
{
	dbc_error_clear(ctx);
	return refuse(st, true, dbc_printf(ctx, "%s: its text could not be read", what));
}

static int vet_table(dbc_ctx *ctx, vet_state *st, const char *name, const char *sql)
{
	char *what = dbc_printf(ctx, "table %s", name);
	dbc_ddl_table cons;
	dbc_ddl_columns cols;
	if (!what)
		return DBC_ERROR;
	if (dbc_ddl_parse_table(ctx, sql, &cons) != DBC_OK ||
	    dbc_ddl_parse_columns(ctx, sql, &cols) != DBC_OK)
		return out_of_memory(ctx) ? DBC_ERROR : vet_unreadable(ctx, st, what);
	if (!cols.sure) /* a column this reader does not know may be generated */
		return vet_unreadable(ctx, st, what);
	for (int k = 0; k < cons.n; k++) {
		const dbc_ddl_constraint *c = &cons.items[k];
		if (c->kind != DBC_CON_CHECK || !c->expr)
			continue;
		char *label = dbc_printf(ctx, "CHECK constraint %s of table %s",
		                         c->name ? c->name : "(unnamed)", name);
		if (!label || vet_expr(ctx, st, dbc_check_body(ctx, c->expr), false, label) != DBC_OK)
			return DBC_ERROR;
	}
	for (int k = 0; k < cols.n; k++) {
		const dbc_ddl_column *c = &cols.items[k];
		if (!c->generated || strcmp(c->generated, "virtual") != 0)
			continue; /* a STORED column's value is read, never computed, by the pragmas */
		char *label = dbc_printf(ctx, "generated column %s of table %s", c->name, name);
		if (!label || vet_expr(ctx, st, c->generated_expr, true, label) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

/* The text between the parentheses of "CREATE ... INDEX name ON table (...)". */
static char *index_keys_text(dbc_ctx *ctx, const char *sql)
{
	const char *p = sql;
	for (;;) {
		dbc_token t = dbc_lex_next(&p);
		if (t.kind == TK_END)
			return NULL;
		if (dbc_lex_is_word(t, "ON"))
			break;
	}
	dbc_lex_next(&p); /* the table's name */
	if (!dbc_lex_is_punct(dbc_lex_next(&p), '('))
		return NULL;
	const char *open = p;
	dbc_lex_skip_paren(&p);
	if (p[-1] != ')')
		return NULL;
	return dbc_strndup(ctx, open, (size_t)(p - 1 - open));
}

static int vet_index(dbc_ctx *ctx, vet_state *st, const char *name, const char *sql)
{
	char *what = dbc_printf(ctx, "index %s", name);
	dbc_ddl_index ix;
	if (!what)
		return DBC_ERROR;
	if (dbc_ddl_parse_index(ctx, sql, &ix) != DBC_OK)
		return out_of_memory(ctx) ? DBC_ERROR : vet_unreadable(ctx, st, what);
	if (!ix.sure) { /* an expression key */
		char *keys = index_keys_text(ctx, sql);
		if (!keys)
			return ctx->failed ? DBC_ERROR : vet_unreadable(ctx, st, what);
		if (vet_expr(ctx, st, keys, true, what) != DBC_OK)
			return DBC_ERROR;
	}
	char *where = dbc_ddl_index_predicate(ctx, sql);
	if (where) {
		char *label = dbc_printf(ctx, "the WHERE clause of index %s", name);
		if (!label || vet_expr(ctx, st, where, true, label) != DBC_OK)
			return DBC_ERROR;
	}
	return ctx->failed ? DBC_ERROR : DBC_OK;
}

static int on_schema_row(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	vet_state *st = arg;
	(void)ncol;
	const char *type = c[0].s, *name = c[1].s, *sql = c[2].s;
	/* compared here: LIKE in the query would call an application's like() */
	if (strcmp(type, "table") == 0)
		return strncasecmp(sql, "CREATE VIRTUAL", 14) == 0 ? DBC_OK : vet_table(ctx, st, name, sql);
	return st->full ? vet_index(ctx, st, name, sql) : DBC_OK;
}

int sqldbc_integrity_vet_schema(dbc_ctx *ctx, bool full, sqldbc_integrity_vet *out)
{
	memset(out, 0, sizeof(*out));
	vet_state st = {full, out};
	/* sqlite_schema itself, not the schema model: the model leaves dbcare_*
	 * tables out, the pragma does not; a virtual table has no CHECK the
	 * pragma evaluates (its shadow tables are ordinary tables, read here) */
	return ctx->host->query(
	    ctx,
	    "SELECT type, name, sql FROM main.sqlite_schema WHERE type IN ('table', "
	    "'index') AND sql IS NOT NULL",
	    0, NULL, on_schema_row, &st);
}

/* ------------------------------------------------ the connection of its own */

typedef struct own_watch {
	dbc_ctx *ctx;
	bool stopped; /* the caller was interrupted: the error is set in ctx */
} own_watch;

#define WATCH_EVERY 1000 /* virtual machine steps between two looks */
#define OWN_BUSY_MS 2000 /* a writer's lock on a rollback-journal file */

static int watch_caller(void *arg)
{
	own_watch *w = arg;
	if (!w->stopped && w->ctx->host->interrupted(w->ctx))
		w->stopped = true;
	return w->stopped;
}

int sqldbc_integrity_elsewhere(dbc_ctx *ctx, sqlite3 *caller, const char *sql, dbc_row_fn fn,
                               void *arg, char **not_run)
{
	*not_run = NULL;
	const char *file = sqlite3_db_filename(caller, "main");
	sqlite3_vfs *vfs = NULL;
	if (sqlite3_file_control(caller, "main", SQLITE_FCNTL_VFS_POINTER, &vfs) != SQLITE_OK)
		vfs = NULL;
	if (!file || !*file || !vfs || strcmp(vfs->zName, "memdb") == 0) {
		*not_run = dbc_strdup(ctx, "the main database has no file another connection could open");
		return *not_run ? DBC_OK : DBC_ERROR;
	}
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(file, &db, SQLITE_OPEN_READONLY, vfs->zName);
	own_watch watch = {ctx, false};
	if (rc == SQLITE_OK) {
		sqlite3_busy_timeout(db, OWN_BUSY_MS);
		/* without a progress handler (SQLITE_OMIT_PROGRESS_CALLBACK) the
		 * pragma runs to its end: the interrupt is looked at after it */
		sqldbc_watch_progress(db, WATCH_EVERY, watch_caller, &watch);
	}
	sqlite3_stmt *stmt = NULL;
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, sql, -1, &stmt, NULL);
	int out = DBC_OK;
	while (rc == SQLITE_OK && out == DBC_OK) {
		int step = sqlite3_step(stmt);
		if (step == SQLITE_DONE)
			break;
		if (step != SQLITE_ROW) {
			rc = step;
			break;
		}
		const unsigned char *text = sqlite3_column_text(stmt, 0);
		dbc_value v = {.type = text ? DBC_TEXT : DBC_NULL, .s = (const char *)text};
		out = fn(ctx, arg, 1, &v);
	}
	if (out == DBC_OK && (watch.stopped || watch_caller(&watch)))
		out = DBC_ERROR;
	else if (out == DBC_OK && rc == SQLITE_NOMEM)
		out = dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	else if (out == DBC_OK && rc != SQLITE_OK) {
		const char *msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
		int code = rc & 0xff;
		/* cannot open, read (an application's VFS may need a key the
		 * caller's connection was given: "not a database") or lock the file,
		 * or the file's schema calls a function only the application
		 * defines: the pragma did not run; any other failure is the
		 * pragma's finding (a malformed file) */
		if (code == SQLITE_BUSY || code == SQLITE_LOCKED || code == SQLITE_CANTOPEN ||
		    code == SQLITE_PERM || code == SQLITE_AUTH || code == SQLITE_NOTADB ||
		    strncmp(msg, "unknown function", 16) == 0 || strncmp(msg, "no such function", 16) == 0)
			*not_run =
			    dbc_printf(ctx, "a read-only connection of its own could not run it: %s", msg);
		else
			dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "%s", msg);
		out = *not_run ? DBC_OK : DBC_ERROR;
	}
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return out;
}
