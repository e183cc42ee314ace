/*
 * migrate_lint.c — SQLite's facts for the migration lint
 * (core/migrate/lint_rules.c reads them): no lock levels (a write takes the
 * database's one write lock), an ALTER TABLE that only renames, adds and
 * drops columns, case-insensitive names, row counts bounded by a LIMIT, and
 * notices through sqlite3_log.
 */
#include "migrate/migrate.h"
#include "sqlite/host/glue.h"

#include <string.h>

/* Rows counted at most this far: enough to tell empty from not. */
#define COUNT_BOUND 10000

static int take_int(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	(void)ctx;
	if (ncol > 0 && c[0].type == DBC_INT)
		*(int64_t *)arg = c[0].i;
	return DBC_OK;
}

/* Rows up to COUNT_BOUND; -1 (unknown) for a table the schema does not hold
 * (a lint lookup never stops plan or apply). */
static int sqlite_rows(dbc_ctx *ctx, const char *schema, const char *table, int64_t *rows)
{
	int64_t columns = 0;
	dbc_value p[2] = {dbc_text(table), schema ? dbc_text(schema) : dbc_null()};
	*rows = -1;
	if (ctx->host->query(ctx, "SELECT count(*) FROM pragma_table_xinfo($1, $2)", 2, p, take_int,
	                     &columns) != DBC_OK)
		return DBC_ERROR;
	if (columns == 0)
		return DBC_OK;
	char *sql = dbc_printf(ctx, "SELECT count(*) FROM (SELECT 1 FROM %s LIMIT %d)",
	                       dbc_quoted_name(ctx, schema, table), COUNT_BOUND);
	return sql ? ctx->host->query(ctx, sql, 0, NULL, take_int, rows) : DBC_ERROR;
}

/* SQLite has no notices a statement returns: the error log, as warnings go. */
static int take_bool(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	(void)ctx;
	if (ncol > 0 && (c[0].type == DBC_INT || c[0].type == DBC_BOOL))
		*(bool *)arg = c[0].i != 0;
	return DBC_OK;
}

static int sqlite_foreign_keys_on(dbc_ctx *ctx, bool *on)
{
	*on = false;
	return ctx->host->query(ctx, "SELECT foreign_keys FROM pragma_foreign_keys", 0, NULL, take_bool,
	                        on);
}

/* ------------------------------------------------------------ renames
 *
 * SQLite (3.25 on) rewrites a rename into every view and trigger by
 * re-reading each of them, and the ALTER fails when any one, even one that
 * never names the table, does not resolve ("error in view v: no such table:
 * main.gone"). Whether it fails is SQLite's own verdict: the rename runs on a
 * copy of the schema (no rows) in a private in-memory database, never on
 * the live one. With legacy_alter_table on, RENAME TO neither re-reads nor
 * rewrites them: the views and triggers naming the table keep the old name.
 */

typedef struct schema_copy {
	sqlite3 *mem;
	bool any; /* a view or trigger exists */
} schema_copy;

/* The statement kinds a schema row may hold (sqlite_schema stores them
 * with these first words, normalised); nothing else is ever copied. */
static bool create_kind(const char *sql)
{
	static const char *const kinds[] = {"CREATE TABLE ", "CREATE INDEX ",   "CREATE UNIQUE INDEX ",
	                                    "CREATE VIEW ",  "CREATE TRIGGER ", NULL};
	for (int i = 0; kinds[i]; i++)
		if (sqlite3_strnicmp(sql, kinds[i], (int)strlen(kinds[i])) == 0)
			return true;
	return false;
}

/* Whether text holds no statement: only white space and comments. */
static bool no_statement(sqlite3 *db, const char *text)
{
	while (text && *text) {
		sqlite3_stmt *st = NULL;
		const char *tail = NULL;
		if (sqlite3_prepare_v2(db, text, -1, &st, &tail) != SQLITE_OK || st) {
			sqlite3_finalize(st);
			return false;
		}
		text = tail;
	}
	return true;
}

/* Copies one schema row as ONE statement. SQLite reads only the first
 * statement of a row when it opens a file, so a hostile file's row may carry
 * more ("CREATE VIEW v AS SELECT 1; ATTACH ..."): a row whose text is not
 * exactly one CREATE of a table, index, view or trigger is refused before
 * anything of it runs. */
static int copy_object(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	schema_copy *copy = arg;
	if (ncol < 3 || c[1].type != DBC_TEXT)
		return DBC_OK;
	const char *type = c[0].type == DBC_TEXT ? c[0].s : "object";
	const char *name = c[2].type == DBC_TEXT ? c[2].s : "?";
	if (strcmp(type, "view") == 0 || strcmp(type, "trigger") == 0)
		copy->any = true;
	sqlite3_stmt *st = NULL;
	const char *tail = NULL;
	int rc = sqlite3_prepare_v2(copy->mem, c[1].s, -1, &st, &tail);
	if (rc == SQLITE_OK && st && (!create_kind(c[1].s) || !no_statement(copy->mem, tail))) {
		sqlite3_finalize(st);
		dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
		          "the stored text of %s %s is not one CREATE statement: the rename check does "
		          "not run it",
		          type, name);
		dbc_error_hint(ctx, "The database file's schema was edited (PRAGMA writable_schema); "
		                    "recreate the object from its intended definition.");
		return DBC_ERROR;
	}
	/* an object the copy cannot hold only weakens the verdict to "not known" */
	if (rc == SQLITE_OK && st)
		sqlite3_step(st);
	sqlite3_finalize(st);
	return DBC_OK;
}

/* The private copy: no extensions, no attached files, no schema edits, no
 * application functions from the schema (it has none; the settings keep it
 * so should that change). */
static int open_copy(dbc_ctx *ctx, sqlite3 **mem)
{
	if (sqlite3_open_v2(":memory:", mem, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	        SQLITE_OK ||
	    sqlite3_db_config(*mem, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, NULL) != SQLITE_OK ||
	    sqlite3_db_config(*mem, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL) != SQLITE_OK ||
	    sqlite3_db_config(*mem, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL) != SQLITE_OK) {
		sqlite3_close(*mem);
		*mem = NULL;
		return dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY,
		                 "cannot open an in-memory database to check a rename");
	}
	sqlite3_limit(*mem, SQLITE_LIMIT_ATTACHED, 0);
	return DBC_OK;
}

typedef struct stale_scan {
	dbc_ctx *ctx;
	const char *table;
	dbc_buf names;
	int n;
} stale_scan;

static bool is_ident_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '_' || (unsigned char)ch >= 0x80;
}

/* Whether sql names word as a whole name (any case, quoted or not). */
static bool names_word(const char *sql, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = sql; *p; p++)
		if (sqlite3_strnicmp(p, word, (int)n) == 0 && (p == sql || !is_ident_char(p[-1])) &&
		    !is_ident_char(p[n]))
			return true;
	return false;
}

static int note_stale(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	stale_scan *scan = arg;
	(void)ctx;
	if (ncol < 4 || c[0].type != DBC_TEXT || c[1].type != DBC_TEXT || c[3].type != DBC_TEXT)
		return DBC_OK;
	const char *sql = c[3].s;
	/* a trigger ON the table moves with it: only its body counts */
	if (strcmp(c[0].s, "trigger") == 0 && c[2].type == DBC_TEXT &&
	    sqlite3_stricmp(c[2].s, scan->table) == 0) {
		const char *body = NULL;
		for (const char *p = sql; *p && !body; p++)
			if (sqlite3_strnicmp(p, "BEGIN", 5) == 0 && (p == sql || !is_ident_char(p[-1])) &&
			    !is_ident_char(p[5]))
				body = p;
		sql = body ? body : "";
	}
	if (!names_word(sql, scan->table))
		return DBC_OK;
	dbc_buf_append(&scan->names, scan->n++ ? ", " : "");
	dbc_buf_append(&scan->names, c[0].s);
	dbc_buf_appendc(&scan->names, ' ');
	dbc_buf_append(&scan->names, c[1].s);
	return DBC_OK;
}

static int sqlite_rename_check(dbc_ctx *ctx, const char *schema, const char *table,
                               const char *column, const char *new_name, bool *fails, bool *stale,
                               char **problem)
{
	const char *in = schema ? schema : "main";
	bool legacy = false;
	*fails = *stale = false;
	*problem = NULL;
	if (ctx->host->query(ctx, "SELECT legacy_alter_table FROM pragma_legacy_alter_table", 0, NULL,
	                     take_bool, &legacy) != DBC_OK)
		return DBC_ERROR;
	if (legacy && !column) {
		stale_scan scan = {ctx, table, {0}, 0};
		dbc_buf_init(&scan.names, ctx);
		char *sql = dbc_printf(ctx,
		                       "SELECT type, name, tbl_name, sql FROM %s.sqlite_schema "
		                       "WHERE type IN ('view', 'trigger') ORDER BY type, name",
		                       ctx->host->quote_ident(ctx, in));
		if (!sql || ctx->host->query(ctx, sql, 0, NULL, note_stale, &scan) != DBC_OK)
			return DBC_ERROR;
		*problem = dbc_buf_finish(&scan.names);
		*stale = scan.n > 0;
		return *problem ? DBC_OK : DBC_ERROR;
	}
	int64_t dependents = 0;
	char *count = dbc_printf(ctx,
	                         "SELECT count(*) FROM %s.sqlite_schema WHERE type IN ('view', "
	                         "'trigger')",
	                         ctx->host->quote_ident(ctx, in));
	if (!count || ctx->host->query(ctx, count, 0, NULL, take_int, &dependents) != DBC_OK)
		return DBC_ERROR;
	if (dependents == 0)
		return DBC_OK; /* nothing the rename re-reads: it cannot fail this way */
	schema_copy copy = {NULL, false};
	/* tables first (a trigger needs its table), virtual tables as plain
	 * tables of their columns (the copy has no modules), sqlite_ internals
	 * left out; creation order otherwise */
	char *sql = dbc_printf(
	    ctx,
	    "SELECT type, CASE WHEN sql LIKE 'CREATE VIRTUAL %%' THEN 'CREATE TABLE ' || "
	    "quote(name) || ' (' || (SELECT group_concat(quote(c.name), ', ') FROM "
	    "pragma_table_xinfo(m.name, %s) AS c) || ')' ELSE sql END, name "
	    "FROM %s.sqlite_schema AS m WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite\\_%%' "
	    "ESCAPE '\\' ORDER BY type <> 'table', rowid",
	    ctx->host->quote_literal(ctx, in), ctx->host->quote_ident(ctx, in));
	if (!sql)
		return DBC_ERROR;
	if (open_copy(ctx, &copy.mem) != DBC_OK)
		return DBC_ERROR;
	int rc = ctx->host->query(ctx, sql, 0, NULL, copy_object, &copy);
	if (rc == DBC_OK && copy.any) {
		char *alter = column ? dbc_printf(ctx, "ALTER TABLE %s RENAME COLUMN %s TO %s",
		                                  ctx->host->quote_ident(ctx, table),
		                                  ctx->host->quote_ident(ctx, column),
		                                  ctx->host->quote_ident(ctx, new_name))
		                     : dbc_printf(ctx, "ALTER TABLE %s RENAME TO %s",
		                                  ctx->host->quote_ident(ctx, table),
		                                  ctx->host->quote_ident(ctx, new_name));
		if (!alter)
			rc = DBC_ERROR;
		else if (sqlite3_exec(copy.mem, alter, NULL, NULL, NULL) != SQLITE_OK) {
			/* only a view or trigger that does not resolve: a table a pending
			 * migration creates is not in the copy ("no such table") */
			const char *msg = sqlite3_errmsg(copy.mem);
			if (strncmp(msg, "error in view ", 14) == 0 ||
			    strncmp(msg, "error in trigger ", 17) == 0) {
				*fails = true;
				if (!(*problem = dbc_strdup(ctx, msg)))
					rc = DBC_ERROR;
			}
		}
	}
	sqlite3_close(copy.mem);
	return rc;
}

const dbc_lint_hooks sqldbc_lint_hooks = {
    .rows = sqlite_rows,
    .foreign_keys_on = sqlite_foreign_keys_on,
    .deleting_children = sqldbc_keys_deleting_children,
    .rename_check = sqlite_rename_check,
};
