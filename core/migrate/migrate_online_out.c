/*
 * migrate_online_out.c — how dbmigrate_online_plan's recipes
 * (migrate_online.c, migrate_online_type.c) write their steps: the plan's
 * rows, its units, the names a step needs quoted, the statement as written.
 */
#include "migrate/migrate_online.h"
#include "schema/ddl_lex.h"

int dbc_online_step(online_out *o, const char *mode, const char *lock, const char *sql,
                    const char *purpose)
{
	dbc_value row[9] = {dbc_int(++o->step), dbc_int(o->unit),  dbc_int(o->line),
	                    dbc_text(mode),     dbc_text(lock),    dbc_text(o->rel),
	                    dbc_text(sql),      dbc_text(purpose), dbc_text(o->undo)};
	o->undo = "";
	if (!o->first_sql)
		o->first_sql = sql;
	return sql ? dbc_rows_add(o->rows, row) : DBC_ERROR;
}

void dbc_online_new_unit(online_out *o)
{
	o->unit++;
	o->unit_open = false;
}

/* The table a names, quoted for a statement (qualified when written so). */
char *dbc_online_table_sql(dbc_ctx *ctx, const dbc_lint_action *a)
{
	const dbc_host *h = ctx->host;
	char *t = h->quote_ident(ctx, a->table);
	return a->schema && t ? dbc_printf(ctx, "%s.%s", h->quote_ident(ctx, a->schema), t) : t;
}

/* The same name as a literal, for a catalog query. */
char *dbc_online_name_literal(dbc_ctx *ctx, const char *schema, const char *name)
{
	const dbc_host *h = ctx->host;
	char *q = h->quote_ident(ctx, name);
	if (q && schema)
		q = dbc_printf(ctx, "%s.%s", h->quote_ident(ctx, schema), q);
	return q ? h->quote_literal(ctx, q) : NULL;
}

/* The statement without its closing ';' and what follows its last token. */
size_t dbc_online_body_end(const char *text, size_t len, const char **end)
{
	const char *p = text, *last = text;
	for (;;) {
		dbc_token t = dbc_lex_next(&p);
		if (t.kind == TK_END || t.start >= text + len)
			break;
		if (!dbc_lex_is_punct(t, ';'))
			last = t.start + t.len;
	}
	*end = last;
	return (size_t)(last - text);
}

/* The statement as written, in the unit of statements as written. */
int dbc_online_as_written(online_out *o, const dbc_stmt *st, bool outside, const char *lock)
{
	if (!o->unit_open || outside)
		dbc_online_new_unit(o);
	o->unit_open = !outside;
	const char *end;
	size_t n = dbc_online_body_end(st->text, st->len, &end);
	o->undo = NULL;
	return dbc_online_step(o, outside ? "outside" : "transaction", lock,
	                       dbc_strndup(o->ctx, st->text, n), "as written");
}
