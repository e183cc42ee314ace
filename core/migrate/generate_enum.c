/*
 * generate_enum.c — an enum type whose desired labels only add to the live
 * ones, in their order (PostgreSQL): ALTER TYPE ... ADD VALUE, where
 * dropping the type and making it again fails on the columns that use it,
 * run outside a transaction (a migration of its own, committed before the
 * steps after it use the labels).
 * PostgreSQL removes no label, so the reverse makes the live type again:
 * the type renamed aside, the live definition created under its name,
 * every live column of it (or of its array) converted through text with
 * its default set again, the old type dropped. An enum whose labels
 * change otherwise (one renamed or dropped) is made again that way in
 * both directions.
 */
#include "migrate/generate.h"
#include "migrate/generate_render.h"
#include "schema/ddl_lex.h"

#include <string.h>

/* The labels of an "ENUM ('a', 'b')" definition as quoted literals, as the
 * catalog writes them; false when d is no enum. */
static bool labels(dbc_ctx *ctx, const char *d, dbc_strlist *out)
{
	const char *p = d ? d : "";
	if (!dbc_lex_is_word(dbc_lex_next(&p), "ENUM") || !dbc_lex_is_punct(dbc_lex_next(&p), '('))
		return false;
	for (dbc_token t; (t = dbc_lex_next(&p)).kind != TK_END && !dbc_lex_is_punct(t, ')');) {
		if (t.kind == TK_STRING &&
		    dbc_strlist_add(ctx, out, dbc_strndup(ctx, t.start, t.len)) != DBC_OK)
			return false;
	}
	return !ctx->failed;
}

bool dbc_gen_enum_extends(dbc_ctx *ctx, const dbc_object *live, const dbc_object *want)
{
	dbc_strlist l = {0}, w = {0};
	if (strcmp(live->type, "type") != 0 || !labels(ctx, live->definition, &l) ||
	    !labels(ctx, want->definition, &w) || l.n == 0 || w.n <= l.n)
		return false;
	int k = 0, added = 0; /* live labels found so far, in order; new ones */
	for (int i = 0; i < w.n; i++) {
		if (k < l.n && strcmp(w.items[i], l.items[k]) == 0)
			k++;
		if (dbc_strlist_find(&l, w.items[i]) < 0)
			added++;
	}
	/* every live label kept in order, each other label new (a catalog
	 * holds no label twice) */
	return k == l.n && added == w.n - l.n;
}

/* How col holds the type q: 1 of that type, 2 an array of it, else 0. */
static int holds(const dbc_column *col, const char *q, const char *array)
{
	if (!col->type)
		return 0;
	return strcmp(col->type, q) == 0 ? 1 : strcmp(col->type, array) == 0 ? 2 : 0;
}

/* Whether generated column g of t goes aside while the type's columns are
 * converted: the engine converts no generated column with USING, and no
 * column a generation expression reads. */
static bool set_aside(dbc_ctx *ctx, const dbc_table *t, const dbc_column *g, const char *q,
                      const char *array)
{
	if (!g->generated)
		return false;
	if (holds(g, q, array))
		return true;
	for (int c = 0; c < t->ncolumns; c++)
		if (!t->columns[c].generated && holds(&t->columns[c], q, array) &&
		    dbc_gen_names_token(ctx, g->generated, t->columns[c].name))
			return true;
	return false;
}

/* The live type made again under its name as definition, its live
 * columns converted through their text; the generated columns set_aside
 * dropped first and added back after, at their table's end (out->moved,
 * where out is given: the down reaches the live schema with them last). */
static char *make_as(dbc_ctx *ctx, const dbc_gen_input *in, const dbc_object *live,
                     const char *definition, dbc_gen_plan *out)
{
	char *q = dbc_quoted_name(ctx, live->schema, live->name);
	char *aside = dbc_gen_aside_name(ctx, live->name, "_dbcare_old");
	dbc_buf b, back;
	dbc_buf_init(&b, ctx);
	dbc_buf_init(&back, ctx);
	dbc_buf_appendf(&b, "ALTER TYPE %s RENAME TO %s;\nCREATE TYPE %s AS %s", q,
	                dbc_gen_q(ctx, aside), q, definition);
	char *array = dbc_printf(ctx, "%s[]", q);
	for (int i = 0; i < in->live->ntables; i++) {
		const dbc_table *t = &in->live->tables[i];
		for (int c = t->ncolumns - 1; c >= 0; c--) { /* moved: the last added first */
			const dbc_column *col = &t->columns[c];
			if (!out || !set_aside(ctx, t, col, q, array))
				continue;
			if (dbc_grow(ctx, &out->moved, out->nmoved, &out->capmoved, sizeof(dbc_gen_moved), 8) !=
			    DBC_OK)
				return NULL;
			out->moved[out->nmoved++] = (dbc_gen_moved){.table = t, .column = col};
		}
		char *qt = dbc_printf(ctx, ";\nALTER TABLE %s ", dbc_gen_qt(ctx, t));
		for (int c = 0; c < t->ncolumns; c++) {
			const dbc_column *col = &t->columns[c];
			if (!set_aside(ctx, t, col, q, array))
				continue;
			dbc_buf_appendf(&b, "%sDROP COLUMN %s", qt, dbc_gen_q(ctx, col->name));
			dbc_buf_appendf(&back, "%sADD COLUMN %s", qt, dbc_gen_column_def(ctx, col));
		}
		for (int c = 0; c < t->ncolumns; c++) {
			const dbc_column *col = &t->columns[c];
			int how = col->generated ? 0 : holds(col, q, array);
			if (!how)
				continue;
			char *alter = dbc_printf(ctx, "%sALTER COLUMN %s", qt, dbc_gen_q(ctx, col->name));
			if (col->default_expr)
				dbc_buf_appendf(&b, "%s DROP DEFAULT", alter);
			dbc_buf_appendf(&b, "%s TYPE %s USING %s::text%s::%s", alter, col->type,
			                dbc_gen_q(ctx, col->name), how == 1 ? "" : "[]", col->type);
			if (col->default_expr)
				dbc_buf_appendf(&b, "%s SET DEFAULT %s", alter, col->default_expr);
		}
	}
	if (back.len)
		dbc_buf_append(&b, dbc_buf_finish(&back));
	dbc_buf_appendf(&b, ";\nDROP TYPE %s", dbc_quoted_name(ctx, live->schema, aside));
	return dbc_buf_finish(&b);
}

int dbc_gen_enum_add(dbc_ctx *ctx, const dbc_gen_input *in, const dbc_object *live,
                     const dbc_object *want, dbc_gen_plan *out)
{
	dbc_strlist l = {0}, w = {0};
	if (!labels(ctx, live->definition, &l) || !labels(ctx, want->definition, &w))
		return DBC_ERROR;
	char *q = dbc_quoted_name(ctx, want->schema, want->name);
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	/* each new label after the one before it; one that comes first goes
	 * before the first live label */
	for (int i = 0; i < w.n; i++) {
		if (dbc_strlist_find(&l, w.items[i]) >= 0)
			continue;
		const char *first_live = NULL;
		for (int k = i + 1; k < w.n && !first_live; k++)
			if (dbc_strlist_find(&l, w.items[k]) >= 0)
				first_live = w.items[k];
		dbc_buf_appendf(&b, "%sALTER TYPE %s ADD VALUE %s %s %s", b.len ? ";\n" : "", q, w.items[i],
		                i ? "AFTER" : "BEFORE", i ? w.items[i - 1] : first_live);
	}
	char *back = make_as(ctx, in, live, live->definition, out);
	dbc_gen_step *s =
	    dbc_gen_add(ctx, out, dbc_buf_finish(&b), dbc_printf(ctx, "BEGIN;\n%s;\nCOMMIT", back));
	if (!s || !back)
		return DBC_ERROR;
	/* a migration of its own, committed before the next one, which may use
	 * the labels (PostgreSQL refuses a label in the transaction that added
	 * it; before 12 ADD VALUE runs in none); its down makes the type again
	 * in a transaction of its own, which the proof is already in */
	s->transactional = false;
	s->proof_reverse = back;
	s->reverse_locks = true; /* its column conversions rewrite their tables */
	s->hazard = dbc_printf(ctx,
	                       "adds labels to type %s; PostgreSQL removes none, so the down makes "
	                       "the type again and converts its columns (rewrites their tables; "
	                       "fails while a row holds a new label; generated columns of the "
	                       "type or reading its columns come back after their table's other "
	                       "columns)",
	                       q);
	return DBC_OK;
}

bool dbc_gen_enum_changes(dbc_ctx *ctx, const dbc_object *live, const dbc_object *want)
{
	dbc_strlist l = {0}, w = {0};
	return strcmp(live->type, "type") == 0 && labels(ctx, live->definition, &l) &&
	       labels(ctx, want->definition, &w) && l.n && w.n &&
	       strcmp(live->definition, want->definition) != 0 &&
	       !dbc_gen_enum_extends(ctx, live, want);
}

int dbc_gen_enum_remake(dbc_ctx *ctx, const dbc_gen_input *in, const dbc_object *live,
                        const dbc_object *want, dbc_gen_plan *out)
{
	char *up = make_as(ctx, in, live, want->definition, NULL);
	dbc_gen_step *s = dbc_gen_add(ctx, out, up, make_as(ctx, in, live, live->definition, out));
	if (!s)
		return DBC_ERROR;
	s->reverse_locks = true;
	s->hazard = dbc_printf(
	    ctx,
	    "makes type %s again with other labels and converts its columns through their text "
	    "(rewrites their tables; fails while a row holds a label the other side lacks)",
	    dbc_quoted_name(ctx, want->schema, want->name));
	return DBC_OK;
}
