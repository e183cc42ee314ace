/*
 * ddl_columns.c — the columns of a SQLite CREATE TABLE text and the keys of a
 * CREATE INDEX text, read the way SQLite itself reads them, so the catalog
 * reader can skip one internal PRAGMA statement per table and per index. Each
 * result says whether the text was fully understood; when it was not, the
 * caller asks the engine instead. Rules followed here come from SQLite's
 * grammar (parse.y) and are checked against the pragmas by the tests.
 */
#include "schema/ddl_lex.h"
#include "schema/ddl_text.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

static bool table_constraint_start(dbc_token t)
{
	return dbc_lex_is_word(t, "CONSTRAINT") || dbc_lex_is_word(t, "PRIMARY") ||
	       dbc_lex_is_word(t, "UNIQUE") || dbc_lex_is_word(t, "CHECK") ||
	       dbc_lex_is_word(t, "FOREIGN");
}

static bool is_name(dbc_token t)
{
	return t.kind == TK_WORD || t.kind == TK_QIDENT || t.kind == TK_STRING;
}

static dbc_ddl_column *add_column(dbc_ctx *ctx, dbc_ddl_columns *out, int *cap, char *name)
{
	if (dbc_grow(ctx, &out->items, out->n, cap, sizeof(*out->items), 8) != DBC_OK)
		return NULL;
	dbc_ddl_column *c = &out->items[out->n++];
	memset(c, 0, sizeof(*c));
	c->name = name;
	return c;
}

/* Text between s and e with white space cut at both ends, as SQLite keeps a
 * DEFAULT clause (sqlite3DbSpanDup); comments inside stay. */
static char *span(dbc_ctx *ctx, const char *s, const char *e)
{
	while (s < e && isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	return dbc_strndup(ctx, s, (size_t)(e - s));
}

/* The DEFAULT clause after the keyword: "(expr)" without its parentheses,
 * a signed literal from its sign, or one literal or name. NULL when the text
 * is none of those (the caller then gives up on the table). */
static char *default_text(dbc_ctx *ctx, const char **pp)
{
	const char *q = dbc_lex_skip_space(*pp), *e;
	if (*q == '(') {
		const char *p = q + 1;
		dbc_lex_skip_paren(&p);
		if (p[-1] != ')')
			return NULL;
		*pp = p;
		return span(ctx, q + 1, p - 1);
	}
	if (*q == '+' || *q == '-')
		e = dbc_lex_literal_end(dbc_lex_skip_space(q + 1));
	else
		e = dbc_lex_literal_end(q);
	if (!e)
		return NULL;
	*pp = e;
	return span(ctx, q, e);
}

/* One column definition, after its name; stops after the item's ',' or the
 * list's ')'. Returns false when the text is not understood. */
static bool column_def(dbc_ctx *ctx, const char **pp, dbc_ddl_column *col, bool *inline_pk,
                       bool *list_end)
{
	dbc_token prev = {TK_END, "", 0};
	for (;;) {
		dbc_token t = dbc_lex_next(pp);
		if (t.kind == TK_END)
			return false;
		if (dbc_lex_is_punct(t, ',') || dbc_lex_is_punct(t, ')')) {
			*list_end = dbc_lex_is_punct(t, ')');
			return true;
		}
		if (dbc_lex_is_punct(t, '(')) {
			dbc_lex_skip_paren(pp); /* a type's (10, 2), CHECK (...), REFERENCES t (...) */
		} else if (dbc_lex_is_word(t, "DEFAULT") && !dbc_lex_is_word(prev, "SET")) {
			if (!(col->default_expr = default_text(ctx, pp)))
				return false;
		} else if (dbc_lex_is_word(t, "AS")) { /* [GENERATED ALWAYS] AS (expr) [STORED|VIRTUAL] */
			if (!dbc_lex_is_punct(dbc_lex_next(pp), '('))
				return false;
			const char *open = *pp;
			dbc_lex_skip_paren(pp);
			if ((*pp)[-1] != ')' || !(col->generated_expr = span(ctx, open, *pp - 1)))
				return false;
			const char *back = *pp;
			dbc_token k = dbc_lex_next(pp);
			col->generated = dbc_lex_is_word(k, "STORED") ? "stored" : "virtual";
			if (!dbc_lex_is_word(k, "STORED") && !dbc_lex_is_word(k, "VIRTUAL"))
				*pp = back;
		} else if (dbc_lex_is_word(t, "PRIMARY")) {
			if (*inline_pk)
				return false;
			*inline_pk = true;
			col->pk = 1;
		} else if (dbc_lex_is_word(t, "CONSTRAINT") || dbc_lex_is_word(t, "COLLATE")) {
			if (!is_name(dbc_lex_next(pp))) /* the name that follows is no keyword */
				return false;
		}
		prev = t;
	}
}

/* A table constraint; only a PRIMARY KEY's column list is kept. */
static bool table_constraint(dbc_ctx *ctx, const char **pp, dbc_token t, dbc_strlist *pk,
                             bool *list_end)
{
	for (;; t = dbc_lex_next(pp)) {
		if (t.kind == TK_END)
			return false;
		if (dbc_lex_is_punct(t, ',') || dbc_lex_is_punct(t, ')')) {
			*list_end = dbc_lex_is_punct(t, ')');
			return true;
		}
		if (dbc_lex_is_punct(t, '(')) {
			dbc_lex_skip_paren(pp);
		} else if (dbc_lex_is_word(t, "CONSTRAINT")) {
			dbc_lex_next(pp);
		} else if (dbc_lex_is_word(t, "PRIMARY")) {
			if (pk->n || !dbc_lex_is_word(dbc_lex_next(pp), "KEY") ||
			    !dbc_lex_is_punct(dbc_lex_next(pp), '(') ||
			    dbc_lex_column_list(ctx, pp, pk) != DBC_OK || pk->n == 0)
				return false;
		}
	}
}

/* WITHOUT ROWID and STRICT after the column list; anything else is unknown. */
static bool table_options(const char **pp, dbc_ddl_columns *out)
{
	for (;;) {
		dbc_token t = dbc_lex_next(pp);
		if (t.kind == TK_END)
			return true;
		if (dbc_lex_is_punct(t, ','))
			continue;
		if (dbc_lex_is_word(t, "WITHOUT") && dbc_lex_is_word(dbc_lex_next(pp), "ROWID"))
			out->without_rowid = true;
		else if (dbc_lex_is_word(t, "STRICT"))
			out->strict = true;
		else
			return false;
	}
}

static int find_column(const dbc_ddl_columns *out, const char *name)
{
	for (int i = 0; i < out->n; i++)
		if (strcasecmp(out->items[i].name, name) == 0)
			return i;
	return -1;
}

/* Key positions from PRIMARY KEY (a, b); every name must be a column, once. */
static bool place_primary_key(dbc_ddl_columns *out, const dbc_strlist *pk, bool inline_pk)
{
	if (pk->n && inline_pk)
		return false;
	for (int k = 0; k < pk->n; k++) {
		int i = find_column(out, pk->items[k]);
		if (i < 0 || out->items[i].pk)
			return false;
		out->items[i].pk = k + 1;
	}
	return true;
}

int dbc_ddl_parse_columns(dbc_ctx *ctx, const char *sql, dbc_ddl_columns *out)
{
	memset(out, 0, sizeof(*out));
	const char *p = sql ? sql : "";
	if (!dbc_lex_is_word(dbc_lex_next(&p), "CREATE") || !dbc_lex_is_word(dbc_lex_next(&p), "TABLE"))
		return DBC_OK;
	for (;;) { /* the table name, up to the column list */
		dbc_token t = dbc_lex_next(&p);
		if (t.kind == TK_END || dbc_lex_is_word(t, "AS"))
			return DBC_OK;
		if (dbc_lex_is_punct(t, '('))
			break;
	}
	int cap = 0;
	bool inline_pk = false, list_end = false, ok = true;
	dbc_strlist pk = {0};
	while (ok && !list_end) {
		dbc_token t = dbc_lex_next(&p);
		if (table_constraint_start(t)) {
			ok = table_constraint(ctx, &p, t, &pk, &list_end);
		} else if (is_name(t)) {
			char *name = dbc_lex_ident(ctx, t);
			dbc_ddl_column *col = name ? add_column(ctx, out, &cap, name) : NULL;
			if (!col)
				return DBC_ERROR;
			ok = column_def(ctx, &p, col, &inline_pk, &list_end);
		} else {
			ok = false;
		}
	}
	if (ctx->failed)
		return DBC_ERROR;
	out->sure =
	    ok && out->n > 0 && table_options(&p, out) && place_primary_key(out, &pk, inline_pk);
	return DBC_OK;
}

static dbc_ddl_index_key *add_key(dbc_ctx *ctx, dbc_ddl_index *out, int *cap)
{
	if (dbc_grow(ctx, &out->keys, out->nkeys, cap, sizeof(*out->keys), 4) != DBC_OK)
		return NULL;
	dbc_ddl_index_key *k = &out->keys[out->nkeys++];
	memset(k, 0, sizeof(*k));
	return k;
}

/* Keys "(name [COLLATE c] [ASC|DESC], ...)" after the '('; false at any
 * expression key (including a string, which SQLite may read as a name). */
static bool index_keys(dbc_ctx *ctx, const char **pp, dbc_ddl_index *out)
{
	int cap = 0;
	for (;;) {
		dbc_token t = dbc_lex_next(pp);
		if (t.kind != TK_WORD && t.kind != TK_QIDENT)
			return false;
		dbc_ddl_index_key *k = add_key(ctx, out, &cap);
		if (!k || !(k->column = dbc_lex_ident(ctx, t)))
			return false;
		t = dbc_lex_next(pp);
		if (dbc_lex_is_word(t, "COLLATE")) {
			dbc_token c = dbc_lex_next(pp);
			if (!is_name(c) || !(k->collation = dbc_lex_ident(ctx, c)))
				return false;
			t = dbc_lex_next(pp);
		}
		if (dbc_lex_is_word(t, "ASC") || dbc_lex_is_word(t, "DESC")) {
			k->desc = dbc_lex_is_word(t, "DESC");
			t = dbc_lex_next(pp);
		}
		if (dbc_lex_is_punct(t, ')'))
			return true;
		if (!dbc_lex_is_punct(t, ','))
			return false;
	}
}

int dbc_ddl_parse_index(dbc_ctx *ctx, const char *sql, dbc_ddl_index *out)
{
	memset(out, 0, sizeof(*out));
	const char *p = sql ? sql : "";
	if (!dbc_lex_is_word(dbc_lex_next(&p), "CREATE"))
		return DBC_OK;
	dbc_token t = dbc_lex_next(&p);
	/* SQLite stores the text as "CREATE [UNIQUE] INDEX <name ...>" */
	out->unique = dbc_lex_is_word(t, "UNIQUE");
	if (out->unique)
		t = dbc_lex_next(&p);
	if (!dbc_lex_is_word(t, "INDEX"))
		return DBC_OK;
	do
		t = dbc_lex_next(&p);
	while (t.kind != TK_END && !dbc_lex_is_word(t, "ON"));
	t = dbc_lex_next(&p);
	if (!is_name(t) || !(out->table = dbc_lex_ident(ctx, t)))
		return ctx->failed ? DBC_ERROR : DBC_OK;
	if (!dbc_lex_is_punct(dbc_lex_next(&p), '(') || !index_keys(ctx, &p, out))
		return ctx->failed ? DBC_ERROR : DBC_OK;
	t = dbc_lex_next(&p);
	out->partial = dbc_lex_is_word(t, "WHERE");
	out->sure = t.kind == TK_END || out->partial;
	return ctx->failed ? DBC_ERROR : DBC_OK;
}
