/*
 * ddl_text.c — a small SQL tokenizer (quotes, comments, nesting) and the
 * readers of DDL text built on it. It never executes or rewrites SQL; it only
 * finds where constraints and clauses start and end.
 */
#include "schema/ddl_text.h"
#include "schema/ddl_lex.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

char *dbc_sql_normalise(dbc_ctx *ctx, const char *sql)
{
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	const char *p = sql;
	for (;;) {
		const char *before = p;
		dbc_token t = dbc_lex_next(&p);
		if (t.kind == TK_END)
			break;
		/* one space where the source had any gap between two tokens */
		if (b.len && t.start != before)
			dbc_buf_appendc(&b, ' ');
		dbc_buf_appendn(&b, t.start, t.len);
	}
	return dbc_buf_finish(&b);
}

/* Text between an opening parenthesis just consumed and its match; *pp moves
 * past the closing one. */
static char *paren_body(dbc_ctx *ctx, const char **pp)
{
	const char *body = *pp;
	int depth = 1;
	const char *end = body;
	for (;;) {
		dbc_token t = dbc_lex_next(pp);
		if (t.kind == TK_END) {
			end = t.start;
			break;
		}
		if (dbc_lex_is_punct(t, '('))
			depth++;
		else if (dbc_lex_is_punct(t, ')') && --depth == 0) {
			end = t.start;
			break;
		}
	}
	char *raw = dbc_strndup(ctx, body, (size_t)(end - body));
	return raw ? dbc_sql_normalise(ctx, raw) : NULL;
}

static dbc_ddl_constraint *add_item(dbc_ctx *ctx, dbc_ddl_table *out, dbc_constraint_kind kind,
                                    char *name)
{
	if (dbc_grow(ctx, &out->items, out->n, &out->cap, sizeof(*out->items), 8) != DBC_OK)
		return NULL;
	dbc_ddl_constraint *c = &out->items[out->n++];
	memset(c, 0, sizeof(*c));
	c->kind = kind;
	c->name = name;
	return c;
}

/* One item of the column list: a table constraint or a column definition.
 * Stops after the item's separating ',' or the list's closing ')'; returns
 * true when the list ended. */
static bool parse_item(dbc_ctx *ctx, const char **pp, dbc_ddl_table *out, bool *failed)
{
	dbc_token t = dbc_lex_next(pp);
	char *column = NULL;
	char *pending_name = NULL;
	dbc_ddl_constraint *last = NULL; /* the clause an ON CONFLICT belongs to */
	bool table_constraint = dbc_lex_is_word(t, "CONSTRAINT") || dbc_lex_is_word(t, "PRIMARY") ||
	                        dbc_lex_is_word(t, "UNIQUE") || dbc_lex_is_word(t, "CHECK") ||
	                        dbc_lex_is_word(t, "FOREIGN");
	if (!table_constraint && (t.kind == TK_WORD || t.kind == TK_QIDENT)) {
		column = dbc_lex_ident(ctx, t);
		t = dbc_lex_next(pp);
	}
	for (;;) {
		if (t.kind == TK_END || dbc_lex_is_punct(t, ')'))
			return true;
		if (dbc_lex_is_punct(t, ','))
			return false;
		dbc_ddl_constraint *c = NULL;
		if (dbc_lex_is_word(t, "CONSTRAINT")) {
			dbc_token n = dbc_lex_next(pp);
			pending_name = dbc_lex_ident(ctx, n);
		} else if (dbc_lex_is_word(t, "PRIMARY") || dbc_lex_is_word(t, "UNIQUE")) {
			c = add_item(ctx, out,
			             dbc_lex_is_word(t, "PRIMARY") ? DBC_CON_PRIMARY_KEY : DBC_CON_UNIQUE,
			             pending_name);
		} else if (dbc_lex_is_word(t, "CHECK")) {
			c = add_item(ctx, out, DBC_CON_CHECK, pending_name);
		} else if (dbc_lex_is_word(t, "NOT") && column) {
			dbc_token n = dbc_lex_next(pp);
			if (!dbc_lex_is_word(n, "NULL")) {
				t = n;
				continue;
			}
			/* listed so that its ON CONFLICT has an owner; unnamed */
			last = add_item(ctx, out, DBC_CON_NOT_NULL, NULL);
			pending_name = NULL;
			if (!last || dbc_strlist_add(ctx, &last->columns, column) != DBC_OK)
				*failed = true;
			if (!last)
				return true;
		} else if (dbc_lex_is_word(t, "ON")) {
			dbc_token n = dbc_lex_next(pp);
			if (!dbc_lex_is_word(n, "CONFLICT")) {
				t = n; /* ON DELETE / ON UPDATE of a foreign key */
				continue;
			}
			dbc_token r = dbc_lex_next(pp);
			if (r.kind != TK_WORD) {
				t = r;
				continue;
			}
			if (last && !(r.len == 5 && strncasecmp(r.start, "abort", 5) == 0)) {
				last->on_conflict = dbc_strndup(ctx, r.start, r.len);
				for (char *q = last->on_conflict; q && *q; q++)
					*q = (char)tolower((unsigned char)*q);
				if (!last->on_conflict)
					*failed = true;
			}
		} else if (dbc_lex_is_word(t, "FOREIGN") || dbc_lex_is_word(t, "REFERENCES")) {
			c = add_item(ctx, out, DBC_CON_FOREIGN_KEY, pending_name);
		} else if (dbc_lex_is_punct(t, '(')) {
			dbc_lex_skip_paren(pp); /* DEFAULT (...), AS (...), a type's (10, 2) */
		}
		if (c) {
			last = c;
			pending_name = NULL;
			if (column && dbc_strlist_add(ctx, &c->columns, column) != DBC_OK)
				*failed = true;
			if (c->kind == DBC_CON_CHECK) {
				dbc_token open = dbc_lex_next(pp);
				if (dbc_lex_is_punct(open, '('))
					c->expr = paren_body(ctx, pp);
			} else if (!column && c->kind != DBC_CON_FOREIGN_KEY) {
				dbc_token k = dbc_lex_next(pp); /* KEY after PRIMARY, or '(' after UNIQUE */
				if (!dbc_lex_is_punct(k, '('))
					k = dbc_lex_next(pp);
				if (dbc_lex_is_punct(k, '(') && dbc_lex_column_list(ctx, pp, &c->columns) != DBC_OK)
					*failed = true;
			} else if (!column) { /* FOREIGN KEY (cols) REFERENCES ... */
				dbc_token k = dbc_lex_next(pp);
				if (dbc_lex_is_word(k, "KEY"))
					k = dbc_lex_next(pp);
				if (dbc_lex_is_punct(k, '(') && dbc_lex_column_list(ctx, pp, &c->columns) != DBC_OK)
					*failed = true;
				/* its REFERENCES belongs to this constraint, not a new one */
				dbc_token r = dbc_lex_next(pp);
				if (!dbc_lex_is_word(r, "REFERENCES")) {
					t = r;
					continue;
				}
			}
		}
		t = dbc_lex_next(pp);
	}
}

int dbc_ddl_parse_table(dbc_ctx *ctx, const char *sql, dbc_ddl_table *out)
{
	memset(out, 0, sizeof(*out));
	const char *p = sql;
	dbc_token t = dbc_lex_next(&p);
	if (!dbc_lex_is_word(t, "CREATE"))
		return DBC_OK;
	/* up to the column list; CREATE TABLE ... AS SELECT has none */
	for (;;) {
		t = dbc_lex_next(&p);
		if (t.kind == TK_END || dbc_lex_is_word(t, "AS"))
			return DBC_OK;
		if (dbc_lex_is_punct(t, '('))
			break;
	}
	bool failed = false;
	while (!parse_item(ctx, &p, out, &failed) && !failed)
		;
	return failed || ctx->failed ? DBC_ERROR : DBC_OK;
}

char *dbc_ddl_index_predicate(dbc_ctx *ctx, const char *sql)
{
	const char *p = sql;
	int depth = 0;
	for (;;) {
		dbc_token t = dbc_lex_next(&p);
		if (t.kind == TK_END)
			return NULL;
		if (dbc_lex_is_punct(t, '('))
			depth++;
		else if (dbc_lex_is_punct(t, ')'))
			depth--;
		else if (depth == 0 && dbc_lex_is_word(t, "WHERE"))
			return dbc_sql_normalise(ctx, p);
	}
}
