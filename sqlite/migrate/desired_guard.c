/*
 * desired_guard.c — the desired schema is a description, not a program
 * (docs/schema-as-code.md, docs/security.md): its statements run on the
 * generator's in-memory scratch connection only when SQLite's own parser,
 * through the authorizer, shows each one to be a schema statement (CREATE,
 * DROP or ALTER of a table, index, view or trigger; CREATE VIRTUAL TABLE of
 * a module that reads no file; BEGIN, COMMIT, SAVEPOINT; PRAGMA
 * foreign_keys). Refused, before the statement runs: ATTACH and DETACH (of
 * the live file or any other), VACUUM (INTO writes a file anywhere), a query
 * (SELECT, WITH, CREATE TABLE ... AS, so no endless WITH RECURSIVE), rows
 * written to a table, any other PRAGMA, load_extension.
 *
 * Invariants: while the guard is on, the connection attaches nothing
 * (SQLITE_LIMIT_ATTACHED 0, besides the authorizer), and, where the build
 * has the progress handler, no statement runs more than STEP_BUDGET steps.
 * A build without the authorizer cannot evaluate a desired schema: said,
 * never run unguarded.
 */
#include "sqlite/host/glue.h"

#include "schema/ddl_lex.h"

#include <string.h>

#define STEP_EVERY  1000
#define STEP_BUDGET (50 * 1000 * 1000) /* virtual machine steps of one statement */

typedef struct guard {
	bool preparing;      /* the statement is being prepared (not a nested one run by step) */
	bool schema;         /* its prepare asked for a schema action */
	bool holds_query;    /* ... for a query of its own (SELECT, WITH) */
	bool shapes_query;   /* ... as the body of a view (not run here) */
	int first;           /* the first action its prepare asked for: the statement's kind */
	char dropped[256];   /* the table or view a DROP names ("": none, or too long) */
	const char *refused; /* why it was refused (static text), NULL: not */
	long steps;
} guard;

static bool is_schema_table(const char *table)
{
	return table &&
	       (strcmp(table, "sqlite_master") == 0 || strcmp(table, "sqlite_temp_master") == 0 ||
	        strcmp(table, "sqlite_schema") == 0 || strcmp(table, "sqlite_temp_schema") == 0);
}

/* Virtual table modules SQLite ships that read nothing but their own tables. */
static bool is_plain_module(const char *module)
{
	static const char *const plain[] = {"fts3",      "fts4",    "fts5", "rtree",
	                                    "rtree_i32", "geopoly", NULL};
	for (int i = 0; module && plain[i]; i++)
		if (strcmp(module, plain[i]) == 0)
			return true;
	return false;
}

static int refuse(guard *g, const char *why)
{
	if (!g->refused)
		g->refused = why;
	return SQLITE_DENY;
}

/* The engine's own bookkeeping tables a DROP or an ALTER TABLE updates
 * (AUTOINCREMENT's counters, ANALYZE's statistics). */
static bool is_engine_table(const char *table)
{
	return table &&
	       (strcmp(table, "sqlite_sequence") == 0 || strncmp(table, "sqlite_stat", 11) == 0);
}

static bool drops(int action)
{
	return action == SQLITE_DROP_TABLE || action == SQLITE_DROP_TEMP_TABLE ||
	       action == SQLITE_DROP_VIEW || action == SQLITE_DROP_TEMP_VIEW;
}

/* The rows SQLite itself writes for a DROP or an ALTER TABLE: the dropped
 * table's own (a DROP deletes them), its counter and statistics. */
static bool engine_writes(const guard *g, int action, const char *table)
{
	if (!drops(g->first) && g->first != SQLITE_ALTER_TABLE)
		return false;
	return is_engine_table(table) || (action == SQLITE_DELETE && drops(g->first) && table &&
	                                  g->dropped[0] && sqlite3_stricmp(table, g->dropped) == 0);
}

/* Schema actions of a statement being prepared. The first one (but for a
 * write of the schema table) is the statement's kind: what SQLite asks for
 * after it, for the statement's own work (a DROP deleting the dropped
 * table's rows, ALTER TABLE checking the schema and the rows with queries
 * of its own), is the engine's, not the file's; an ALTER TABLE cannot
 * carry a query of the file's (a column's CHECK or generated value may
 * hold none, a DEFAULT is a constant). */
static int schema_action(guard *g, int action, const char *p1, const char *p2)
{
	bool schema_row =
	    (action == SQLITE_INSERT || action == SQLITE_UPDATE || action == SQLITE_DELETE) &&
	    is_schema_table(p1);
	if (!g->first && !schema_row) { /* DROP TABLE asks for its schema row first */
		g->first = action;
		if (drops(action) && p1 && strlen(p1) < sizeof g->dropped)
			strcpy(g->dropped, p1);
	}
	switch (action) {
	case SQLITE_CREATE_VIEW:
	case SQLITE_CREATE_TEMP_VIEW:
		g->shapes_query = true;
		g->schema = true;
		return SQLITE_OK;
	case SQLITE_CREATE_VTABLE:
		if (!is_plain_module(p2))
			return refuse(g, "makes a virtual table of a module that may read or write files");
		g->schema = true;
		return SQLITE_OK;
	case SQLITE_PRAGMA:
		if (p1 && strcmp(p1, "foreign_keys") == 0) {
			g->schema = true;
			return SQLITE_OK;
		}
		return refuse(g, "sets or reads a PRAGMA (only PRAGMA foreign_keys is a schema's)");
	case SQLITE_INSERT:
	case SQLITE_UPDATE:
	case SQLITE_DELETE:
		/* the engine's own writes of the schema table, by CREATE and ALTER */
		return is_schema_table(p1) || engine_writes(g, action, p1)
		           ? SQLITE_OK
		           : refuse(g, "writes rows, which a schema has none of");
	case SQLITE_SELECT:
	case SQLITE_RECURSIVE:
		g->holds_query = g->holds_query || g->first != SQLITE_ALTER_TABLE;
		return SQLITE_OK;
	case SQLITE_READ:
	case SQLITE_FUNCTION:
	case SQLITE_ANALYZE:
	case SQLITE_REINDEX: /* CREATE INDEX asks for it too; alone it is no schema statement */
		return SQLITE_OK;
	default: /* CREATE, DROP, ALTER of tables, indexes, triggers; BEGIN, COMMIT, SAVEPOINT */
		g->schema = true;
		return SQLITE_OK;
	}
}

static int authorize(void *arg, int action, const char *p1, const char *p2, const char *db,
                     const char *inner)
{
	guard *g = arg;
	(void)db, (void)inner;
	/* at any depth: the statement's own and the ones SQLite runs for it */
	if (action == SQLITE_ATTACH || action == SQLITE_DETACH)
		return refuse(g, "attaches or detaches a database file");
	if (action == SQLITE_FUNCTION && p2 && strcmp(p2, "load_extension") == 0)
		return refuse(g, "loads an extension");
	return g->preparing ? schema_action(g, action, p1, p2) : SQLITE_OK;
}

static int count_steps(void *arg)
{
	guard *g = arg;
	g->steps += STEP_EVERY;
	if (g->steps <= STEP_BUDGET)
		return 0;
	g->refused = "ran longer than any schema statement does";
	return 1;
}

/* The statement at p, shortened for an error message. */
static char *shown(dbc_ctx *ctx, const char *p, const char *tail)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	size_t n = tail && tail > p ? (size_t)(tail - p) : strlen(p);
	while (n && (p[n - 1] == ' ' || p[n - 1] == '\n' || p[n - 1] == ';' || p[n - 1] == '\r'))
		n--;
	char *s = dbc_strndup(ctx, p, n > 80 ? 80 : n);
	for (char *c = s; c && *c; c++)
		if (*c == '\n' || *c == '\r' || *c == '\t')
			*c = ' ';
	return n > 80 ? dbc_printf(ctx, "%s...", s) : s;
}

static int line_at(const char *sql, const char *p)
{
	int line = 1;
	for (const char *c = sql; c < p && *c; c++)
		line += *c == '\n';
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		line += *p++ == '\n';
	return line;
}

static int refused_error(dbc_ctx *ctx, const char *sql, const char *p, const char *tail,
                         const char *why)
{
	dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
	          "the desired schema may hold only schema statements: line %d (%s) %s",
	          line_at(sql, p), shown(ctx, p, tail), why);
	dbc_error_hint(ctx, "A desired schema describes tables, indexes, views and triggers; "
	                    "data, queries, ATTACH, VACUUM and PRAGMAs belong in a migration.");
	return DBC_ERROR;
}

/* The verdict on a statement just prepared: NULL, it may run. */
static const char *verdict(const guard *g, sqlite3_stmt *stmt, const char *p)
{
	if (g->refused)
		return g->refused;
	if (sqlite3_stmt_isexplain(stmt))
		return "is not a schema statement";
	if (g->holds_query && !g->shapes_query)
		return "runs a query, which a schema needs none of";
	if (g->schema)
		return NULL;
	/* no action asked for: a DROP ... IF EXISTS of nothing, or a statement
	 * that is none of a schema's (VACUUM) */
	dbc_token t = dbc_lex_next(&p);
	return dbc_lex_is_word(t, "DROP") ? NULL : "is not a schema statement";
}

/* Runs one statement of sql at *p under the guard; *p moves past it. */
static int run_one(dbc_ctx *ctx, sqlite3 *db, guard *g, const char *sql, const char **p)
{
	sqlite3_stmt *stmt = NULL;
	const char *tail = NULL, *at = *p;
	memset(g, 0, sizeof(*g));
	g->preparing = true;
	int rc = sqlite3_prepare_v2(db, at, -1, &stmt, &tail);
	g->preparing = false;
	if (rc != SQLITE_OK && g->refused)
		return refused_error(ctx, sql, at, tail, g->refused);
	if (rc != SQLITE_OK)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "the desired schema does not apply at line %d: %s", line_at(sql, at),
		                 sqlite3_errmsg(db));
	*p = tail;
	if (!stmt)
		return DBC_OK;
	const char *why = verdict(g, stmt, at);
	if (why) {
		sqlite3_finalize(stmt);
		return refused_error(ctx, sql, at, tail, why);
	}
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		;
	sqlite3_finalize(stmt);
	if (rc == SQLITE_DONE)
		return DBC_OK;
	if (g->refused)
		return refused_error(ctx, sql, at, tail, g->refused);
	return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
	                 "the desired schema does not apply at line %d: %s", line_at(sql, at),
	                 sqlite3_errmsg(db));
}

int sqldbc_desired_apply(dbc_ctx *ctx, sqlite3 *db, const char *sql)
{
	/* both looks (optional_api.c): a build without the authorizer has no
	 * routine in its slot, and one may also leave out the option list */
	if (!sqlite3_api->set_authorizer || sqldbc_compiled_with("OMIT_AUTHORIZATION"))
		return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
		                 "this SQLite build has no authorizer: the generator cannot tell a "
		                 "desired schema's statements from a program's, so it evaluates none");
	guard g;
	memset(&g, 0, sizeof(g));
	sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0);
	sqlite3_set_authorizer(db, authorize, &g);
	bool bounded = sqldbc_watch_progress(db, STEP_EVERY, count_steps, &g);
	int rc = DBC_OK;
	for (const char *p = sql; rc == DBC_OK && p && *p;)
		rc = run_one(ctx, db, &g, sql, &p);
	if (bounded)
		sqldbc_watch_progress(db, 0, NULL, NULL);
	sqlite3_set_authorizer(db, NULL, NULL);
	return rc;
}
