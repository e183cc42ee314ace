/*
 * lint_rebuild.c — dbmigrate_rebuild_script: the table rebuild that the
 * lint suggests where the engine's ALTER TABLE cannot change a table (its
 * constraints, a column's type). The procedure is the one the engine
 * documents: foreign keys off, one transaction, a new table, the rows
 * copied, the old table dropped, the new one renamed, the indexes, triggers
 * and views made again, every foreign key checked, commit, foreign keys on.
 * The engine's own statements for the frame come from its dialect.
 *
 * Only names are pasted into the script, each quoted by the host; the new
 * table's definition must be exactly one CREATE TABLE of the table named,
 * and the other definitions are the catalog's own.
 */
#include "migrate/generate_render.h"
#include "migrate/lint.h"
#include "migrate/migrate_script.h"
#include "schema/ddl_lex.h"
#include "schema/ddl_text.h"

#include <string.h>
#include <strings.h>

static int refuse(dbc_ctx *ctx, const char *why)
{
	dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "new_create_sql %s", why);
	dbc_error_hint(ctx, "Give one CREATE TABLE statement of the table to rebuild, as it should "
	                    "be afterwards.");
	return DBC_ERROR;
}

/* Where the table name of "CREATE TABLE name (" starts and ends in sql;
 * refuses any other statement, several statements, or another table. */
static int name_span(dbc_ctx *ctx, const char *sql, const char *table, const char **start,
                     const char **end)
{
	dbc_script_info info;
	if (dbc_script_analyse(ctx, ctx->host->dialect, sql, &info) != DBC_OK)
		return DBC_ERROR;
	if (info.nstmts != 1 || info.open_line)
		return refuse(ctx, "must be exactly one statement");
	const char *p = info.stmts[0].text;
	dbc_token t = dbc_lex_next(&p);
	if (!dbc_lex_is_word(t, "CREATE"))
		return refuse(ctx, "must be a CREATE TABLE statement");
	t = dbc_lex_next(&p);
	if (!dbc_lex_is_word(t, "TABLE"))
		return refuse(ctx, "must be a CREATE TABLE statement (no TEMP, no IF NOT EXISTS)");
	t = dbc_lex_next(&p);
	if (t.kind != TK_WORD && t.kind != TK_QIDENT && t.kind != TK_STRING)
		return refuse(ctx, "must name the table");
	char *name = dbc_lex_ident(ctx, t);
	const char *after = p;
	dbc_token next = dbc_lex_next(&p);
	if (!name || strcasecmp(name, table) != 0 || !dbc_lex_is_punct(next, '('))
		return refuse(ctx, "must create the table being rebuilt, unqualified, with a column list");
	*start = t.start;
	*end = after;
	return DBC_OK;
}

static bool in_new(const dbc_ddl_columns *cols, const char *name)
{
	for (int i = 0; i < cols->n; i++)
		if (!cols->items[i].generated && strcasecmp(cols->items[i].name, name) == 0)
			return true;
	return false;
}

static void line(dbc_buf *b, const char *s)
{
	dbc_buf_append(b, s);
	dbc_buf_append(b, ";\n");
}

int dbc_migrate_rebuild_script(dbc_ctx *ctx, const dbc_migrate_hooks *env, const char *table,
                               const char *new_create_sql, char **script)
{
	const dbc_lint_hooks *eng = env ? env->lint : NULL;
	const char *ns, *ne;
	dbc_schema s;
	dbc_ddl_columns cols;
	bool fk = false;
	*script = NULL;
	if (!ctx->host->dialect->rebuild_check)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
		                 "this engine's ALTER TABLE changes tables without a rebuild");
	if (name_span(ctx, new_create_sql, table, &ns, &ne) != DBC_OK)
		return DBC_ERROR;
	dbc_schema_init(&s, ctx);
	if (ctx->host->read_schema(ctx, &s) != DBC_OK)
		return DBC_ERROR;
	const dbc_table *old = NULL;
	for (int i = 0; i < s.ntables && !old; i++)
		if (strcasecmp(s.tables[i].name, table) == 0)
			old = &s.tables[i];
	if (!old) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "table %s does not exist", table);
		return DBC_ERROR;
	}
	if (dbc_ddl_parse_columns(ctx, new_create_sql, &cols) != DBC_OK)
		return DBC_ERROR;
	if (cols.n == 0)
		return refuse(ctx, "declares no column this reader understands");
	if (eng && eng->foreign_keys_on && eng->foreign_keys_on(ctx, &fk) != DBC_OK)
		return DBC_ERROR;

	char *qold = ctx->host->quote_ident(ctx, old->name);
	char *tmp = dbc_printf(ctx, "%s_dbcare_rebuild", old->name);
	char *qtmp = tmp ? ctx->host->quote_ident(ctx, tmp) : NULL;
	if (!qold || !qtmp)
		return DBC_ERROR;
	dbc_buf b, list;
	dbc_buf_init(&b, ctx);
	dbc_buf_init(&list, ctx);
	dbc_buf_append(&b, "-- dbcare:no-transaction\n");
	dbc_buf_append(&b, dbc_printf(ctx, "-- rebuilds %s as new_create_sql declares it\n",
	                              dbc_comment_text(ctx, qold)));
	dbc_buf_append(&b, ctx->host->dialect->rebuild_begin[fk]);
	/* views naming the table go first and come back last */
	for (int i = 0; i < s.nobjects; i++) {
		const dbc_object *o = &s.objects[i];
		if (strcmp(o->type, "view") == 0 && o->definition &&
		    dbc_gen_names_token(ctx, o->definition, old->name))
			line(&b, dbc_printf(ctx, "DROP VIEW %s", ctx->host->quote_ident(ctx, o->name)));
	}
	/* the new table under the temporary name */
	dbc_buf_appendn(&b, new_create_sql, (size_t)(ns - new_create_sql));
	dbc_buf_append(&b, qtmp);
	const char *rest = ne;
	size_t restlen = strlen(rest);
	while (restlen &&
	       (rest[restlen - 1] == ';' || rest[restlen - 1] == ' ' || rest[restlen - 1] == '\n' ||
	        rest[restlen - 1] == '\t' || rest[restlen - 1] == '\r'))
		restlen--;
	dbc_buf_appendn(&b, rest, restlen);
	dbc_buf_append(&b, ";\n");
	/* the rows: every column both tables have (generated ones are computed) */
	int k = 0;
	for (int i = 0; i < old->ncolumns; i++) {
		const dbc_column *c = &old->columns[i];
		if (c->generated || c->hidden || !in_new(&cols, c->name))
			continue;
		if (k++)
			dbc_buf_append(&list, ", ");
		dbc_buf_append(&list, ctx->host->quote_ident(ctx, c->name));
	}
	char *cl = dbc_buf_finish(&list);
	if (k)
		line(&b, dbc_printf(ctx, "INSERT INTO %s (%s) SELECT %s FROM %s", qtmp, cl, cl, qold));
	line(&b, dbc_printf(ctx, "DROP TABLE %s", qold));
	line(&b, dbc_printf(ctx, "ALTER TABLE %s RENAME TO %s", qtmp, qold));
	for (int i = 0; i < s.nindexes; i++) {
		const dbc_index *x = &s.indexes[i];
		if (x->definition && !x->constraint && x->table && strcasecmp(x->table, old->name) == 0)
			line(&b, x->definition);
	}
	for (int i = 0; i < s.nobjects; i++) {
		const dbc_object *o = &s.objects[i];
		if (strcmp(o->type, "trigger") == 0 && o->definition && o->table &&
		    strcasecmp(o->table, old->name) == 0)
			line(&b, o->definition);
	}
	for (int i = 0; i < s.nobjects; i++) {
		const dbc_object *o = &s.objects[i];
		if (strcmp(o->type, "view") == 0 && o->definition &&
		    dbc_gen_names_token(ctx, o->definition, old->name))
			line(&b, o->definition);
	}
	dbc_buf_append(&b, ctx->host->dialect->rebuild_check);
	dbc_buf_append(&b, ctx->host->dialect->rebuild_end[fk]);
	*script = dbc_buf_finish(&b);
	return *script ? DBC_OK : DBC_ERROR;
}
