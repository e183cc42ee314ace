/*
 * generate_render.c — SQL text from the schema model for the generator: a
 * column's definition, a constraint's, an index statement under another
 * name or built without blocking writes, a view's CREATE. Names are quoted
 * by the host; expressions and types are the catalog's own text.
 */
#include "migrate/generate_render.h"
#include "schema/ddl_lex.h"

#include <string.h>
#include <strings.h>

char *dbc_gen_q(dbc_ctx *ctx, const char *name)
{
	return ctx->host->quote_ident(ctx, name);
}

char *dbc_gen_qt(dbc_ctx *ctx, const dbc_table *t)
{
	return dbc_quoted_name(ctx, t->schema, t->name);
}

bool dbc_gen_is_identity(const dbc_column *c)
{
	const char *d = c->default_expr;
	size_t n = d ? strlen(d) : 0;
	return n > 21 && strncasecmp(d, "generated ", 10) == 0 &&
	       strcasecmp(d + n - 11, "as identity") == 0;
}

char *dbc_gen_column_def(dbc_ctx *ctx, const dbc_column *c)
{
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	dbc_buf_append(&b, dbc_gen_q(ctx, c->name));
	if (c->type && *c->type)
		dbc_buf_appendf(&b, " %s", c->type);
	if (c->collation)
		dbc_buf_appendf(&b, " COLLATE %s", dbc_gen_q(ctx, c->collation));
	if (c->generated)
		dbc_buf_appendf(&b, " GENERATED ALWAYS AS (%s) STORED", c->generated);
	else if (dbc_gen_is_identity(c))
		/* the catalog's "generated always as identity" is a clause, no
		 * default: written as it reads (its sequence comes with it) */
		dbc_buf_appendf(&b, " %s", c->default_expr);
	else if (c->default_expr && strchr(c->default_expr, '(') && c->default_expr[0] != '(')
		/* a call: SQLite takes an expression default only in parentheses
		 * (and reads it back without them); PostgreSQL takes both */
		dbc_buf_appendf(&b, " DEFAULT (%s)", c->default_expr);
	else if (c->default_expr)
		dbc_buf_appendf(&b, " DEFAULT %s", c->default_expr);
	if (c->not_null)
		dbc_buf_append(&b, " NOT NULL");
	return dbc_buf_finish(&b);
}

static void list(dbc_ctx *ctx, dbc_buf *b, const dbc_strlist *l)
{
	dbc_buf_append(b, "(");
	for (int i = 0; i < l->n; i++) {
		if (i)
			dbc_buf_append(b, ", ");
		dbc_buf_append(b, dbc_gen_q(ctx, l->items[i]));
	}
	dbc_buf_append(b, ")");
}

char *dbc_gen_constraint_def(dbc_ctx *ctx, const dbc_constraint *k)
{
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	if (!k->generated_name && k->name)
		dbc_buf_appendf(&b, "CONSTRAINT %s ", dbc_gen_q(ctx, k->name));
	switch (k->kind) {
	case DBC_CON_PRIMARY_KEY:
	case DBC_CON_UNIQUE:
		dbc_buf_append(&b, k->kind == DBC_CON_UNIQUE ? "UNIQUE " : "PRIMARY KEY ");
		list(ctx, &b, &k->columns);
		break;
	case DBC_CON_FOREIGN_KEY:
		dbc_buf_append(&b, "FOREIGN KEY ");
		list(ctx, &b, &k->columns);
		dbc_buf_appendf(&b, " REFERENCES %s", dbc_quoted_name(ctx, k->ref_schema, k->ref_table));
		if (k->ref_columns.n) {
			dbc_buf_append(&b, " ");
			list(ctx, &b, &k->ref_columns);
		}
		if (k->match && strcmp(k->match, "full") == 0)
			dbc_buf_append(&b, " MATCH FULL");
		if (k->on_update && strcmp(k->on_update, "no action") != 0)
			dbc_buf_appendf(&b, " ON UPDATE %s", k->on_update);
		if (k->on_delete && strcmp(k->on_delete, "no action") != 0)
			dbc_buf_appendf(&b, " ON DELETE %s", k->on_delete);
		if (k->deferrable)
			dbc_buf_append(&b, k->initially_deferred ? " DEFERRABLE INITIALLY DEFERRED"
			                                         : " DEFERRABLE");
		break;
	case DBC_CON_CHECK:
		/* PostgreSQL's text is the whole "CHECK (...)"; SQLite's the expression */
		if (k->expr && strncasecmp(k->expr, "CHECK", 5) == 0)
			dbc_buf_append(&b, k->expr);
		else
			dbc_buf_appendf(&b, "CHECK (%s)", k->expr ? k->expr : "true");
		break;
	case DBC_CON_EXCLUDE:
		dbc_buf_append(&b, k->expr ? k->expr : "");
		break;
	case DBC_CON_NOT_NULL:
		return NULL;
	}
	return dbc_buf_finish(&b);
}

/* A CHECK of a column's own definition: SQLite's catalog keeps the
 * expression alone and the column it was written on; PostgreSQL's text is
 * the whole "CHECK (...)", its columns those the expression names. */
static bool column_check(const dbc_constraint *k, const char *column)
{
	return k->kind == DBC_CON_CHECK && k->columns.n == 1 &&
	       strcmp(k->columns.items[0], column) == 0 &&
	       !(k->expr && strncasecmp(k->expr, "CHECK", 5) == 0);
}

static const dbc_constraint *nth_fk(const dbc_table *t, int n)
{
	for (int i = 0; i < t->nconstraints; i++)
		if (t->constraints[i].kind == DBC_CON_FOREIGN_KEY && n-- == 0)
			return &t->constraints[i];
	return NULL;
}

/* Whether the table's options (comma-separated) name opt. */
static bool has_option(const dbc_table *t, const char *opt)
{
	size_t n = strlen(opt);
	for (const char *p = t->options; p && (p = strstr(p, opt)); p += n)
		if ((p == t->options || p[-1] == ' ' || p[-1] == ',') && (p[n] == '\0' || p[n] == ','))
			return true;
	return false;
}

char *dbc_gen_create_table(dbc_ctx *ctx, const dbc_table *t, bool fks)
{
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	dbc_buf_appendf(&b, "CREATE TABLE %s (", dbc_gen_qt(ctx, t));
	int n = 0;
	for (int i = 0; i < t->ncolumns; i++) {
		const dbc_column *c = &t->columns[i];
		if (c->hidden)
			continue;
		dbc_buf_appendf(&b, "%s\n    %s", n++ ? "," : "", dbc_gen_column_def(ctx, c));
		for (int k = 0; k < t->nconstraints; k++)
			if (column_check(&t->constraints[k], c->name))
				dbc_buf_appendf(&b, " %s", dbc_gen_constraint_def(ctx, &t->constraints[k]));
	}
	int nfks = 0, fk = 0;
	for (int i = 0; i < t->nconstraints; i++)
		nfks += t->constraints[i].kind == DBC_CON_FOREIGN_KEY;
	for (int i = 0; i < t->nconstraints; i++) {
		const dbc_constraint *k = &t->constraints[i];
		/* the j-th key's place takes the (n-1-j)-th where the catalog
		 * lists them newest first */
		if (k->kind == DBC_CON_FOREIGN_KEY && ctx->host->dialect->fks_newest_first)
			k = nth_fk(t, nfks - 1 - fk++);
		if ((!fks && k->kind == DBC_CON_FOREIGN_KEY) ||
		    (k->columns.n == 1 && column_check(k, k->columns.items[0])))
			continue;
		char *def = dbc_gen_constraint_def(ctx, k);
		if (def && k->kind == DBC_CON_PRIMARY_KEY && has_option(t, "autoincrement"))
			def = dbc_printf(ctx, "PRIMARY KEY (%s AUTOINCREMENT)",
			                 dbc_gen_q(ctx, k->columns.items[0]));
		if (def)
			dbc_buf_appendf(&b, "%s\n    %s", n++ ? "," : "", def);
	}
	dbc_buf_append(&b, "\n)");
	/* SQLite's table options, as its catalog reader names them */
	bool without_rowid = has_option(t, "without rowid");
	if (without_rowid)
		dbc_buf_append(&b, " WITHOUT ROWID");
	if (has_option(t, "strict"))
		dbc_buf_append(&b, without_rowid ? ", STRICT" : " STRICT");
	return dbc_buf_finish(&b);
}

bool dbc_gen_same_constraint(const dbc_constraint *a, const dbc_constraint *b)
{
#define SAME(x, y) ((x) == (y) || ((x) && (y) && strcmp((x), (y)) == 0))
	if (a->kind != b->kind || a->columns.n != b->columns.n ||
	    a->ref_columns.n != b->ref_columns.n || !SAME(a->ref_table, b->ref_table) ||
	    !SAME(a->match, b->match) || !SAME(a->on_update, b->on_update) ||
	    !SAME(a->on_delete, b->on_delete) || !SAME(a->expr, b->expr) ||
	    a->deferrable != b->deferrable || a->initially_deferred != b->initially_deferred ||
	    a->generated_name != b->generated_name)
		return false;
	for (int i = 0; i < a->columns.n; i++)
		if (strcmp(a->columns.items[i], b->columns.items[i]) != 0)
			return false;
	for (int i = 0; i < a->ref_columns.n; i++)
		if (strcmp(a->ref_columns.items[i], b->ref_columns.items[i]) != 0)
			return false;
	return true;
#undef SAME
}

char *dbc_gen_index_def(dbc_ctx *ctx, const char *def, const char *name, const char *concurrently)
{
	const char *p = def;
	dbc_token t;
	do
		t = dbc_lex_next(&p);
	while (t.kind != TK_END && !dbc_lex_is_word(t, "INDEX"));
	if (t.kind == TK_END)
		return dbc_strdup(ctx, def);
	const char *head_end = p;
	t = dbc_lex_next(&p);
	if (dbc_lex_is_word(t, "CONCURRENTLY"))
		t = dbc_lex_next(&p);
	if (dbc_lex_is_word(t, "IF")) {
		dbc_lex_next(&p), dbc_lex_next(&p);
		t = dbc_lex_next(&p);
	}
	/* the catalog's own text where nothing changes (SQLite keeps the text
	 * as written, and a fingerprint compares it) */
	char *was = dbc_lex_ident(ctx, t);
	if (!concurrently && was && strcmp(was, name) == 0)
		return dbc_strdup(ctx, def);
	/* past a schema-qualified name */
	const char *q = p;
	if (dbc_lex_is_punct(dbc_lex_next(&q), '.')) {
		dbc_lex_next(&q);
		p = q;
	}
	return dbc_printf(ctx, "%.*s %s%s%s%s", (int)(head_end - def), def,
	                  concurrently ? concurrently : "", concurrently ? " " : "",
	                  dbc_gen_q(ctx, name), p);
}

char *dbc_gen_view_create(dbc_ctx *ctx, const dbc_object *o)
{
	const char *d = o->definition ? o->definition : "";
	const char *p = d;
	if (dbc_lex_is_word(dbc_lex_next(&p), "CREATE"))
		return dbc_strdup(ctx, d); /* the whole statement (SQLite keeps it so) */
	/* the query, then " WITH (options)" when the view has any */
	const char *with = strstr(d, " WITH (");
	if (with && with[strlen(with) - 1] == ')' && !strchr(with + 7, ';'))
		return dbc_printf(ctx, "CREATE VIEW %s%s AS %.*s", dbc_quoted_name(ctx, o->schema, o->name),
		                  with, (int)(with - d), d);
	size_t n = strlen(d);
	while (n && (d[n - 1] == ';' || d[n - 1] == ' ' || d[n - 1] == '\n'))
		n--;
	return dbc_printf(ctx, "CREATE %sVIEW %s AS %.*s",
	                  strcmp(o->type, "materialized view") == 0 ? "MATERIALIZED " : "",
	                  dbc_quoted_name(ctx, o->schema, o->name), (int)n, d);
}

char *dbc_gen_aside_name(dbc_ctx *ctx, const char *name, const char *suffix)
{
	size_t n = strlen(name), max = (size_t)ctx->host->dialect->name_max;
	if (max && n + strlen(suffix) > max) {
		n = max > strlen(suffix) ? max - strlen(suffix) : 0;
		while (n && ((unsigned char)name[n] & 0xC0) == 0x80) /* a UTF-8 continuation */
			n--;
	}
	return dbc_printf(ctx, "%.*s%s", (int)n, name, suffix);
}

char *dbc_gen_owned_by(dbc_ctx *ctx, const char *own, const dbc_table *t)
{
	static const char unlogged[] = " UNLOGGED";
	char *prefix = dbc_printf(ctx, " OWNED BY %s.", dbc_qualified_name(ctx, t->schema, t->name));
	if (!prefix || strncmp(own, prefix, strlen(prefix)) != 0)
		return dbc_strdup(ctx, own);
	const char *column = own + strlen(prefix);
	size_t n = strlen(column), u = strlen(unlogged);
	bool tail = n > u && strcmp(column + n - u, unlogged) == 0;
	return dbc_printf(ctx, " OWNED BY %s.%s%s", dbc_gen_qt(ctx, t),
	                  dbc_gen_q(ctx, dbc_strndup(ctx, column, tail ? n - u : n)),
	                  tail ? unlogged : "");
}

bool dbc_gen_names_token(dbc_ctx *ctx, const char *text, const char *name)
{
	const char *p = text ? text : "";
	for (;;) {
		dbc_token t = dbc_lex_next(&p);
		if (t.kind == TK_END)
			return false;
		if (t.kind != TK_WORD && t.kind != TK_QIDENT)
			continue;
		char *s = dbc_lex_ident(ctx, t);
		if (s && strcasecmp(s, name) == 0)
			return true;
		/* a dollar quote's tag reads as part of the word next to it
		 * ($$SELECT ... FROM orders$$, pg_dump's form of a body): each
		 * part between dollar signs is a word of its own there */
		for (char *save = NULL, *part = s && t.kind == TK_WORD ? strtok_r(s, "$", &save) : NULL;
		     part; part = strtok_r(NULL, "$", &save))
			if (strcasecmp(part, name) == 0)
				return true;
	}
}
