/*
 * ddl_text.c — a small SQL tokenizer (quotes, comments, nesting) and the
 * readers of DDL text built on it. It never executes or rewrites SQL; it only
 * finds where constraints and clauses start and end.
 */
#include "ddl_text.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

typedef enum { TK_END, TK_WORD, TK_QIDENT, TK_STRING, TK_PUNCT, TK_OTHER } tk_kind;

typedef struct {
	tk_kind kind;
	const char *start;
	size_t len;
} token;

/* Skips white space and comments; returns the next position. */
static const char *skip_space(const char *p)
{
	for (;;) {
		while (*p && isspace((unsigned char)*p))
			p++;
		if (p[0] == '-' && p[1] == '-') {
			while (*p && *p != '\n')
				p++;
		} else if (p[0] == '/' && p[1] == '*') {
			const char *end = strstr(p + 2, "*/");
			p = end ? end + 2 : p + strlen(p);
		} else {
			return p;
		}
	}
}

static const char *skip_quoted(const char *p, char close)
{
	p++;
	while (*p) {
		if (*p == close) {
			if (close != ']' && p[1] == close) {
				p += 2;
				continue;
			}
			return p + 1;
		}
		p++;
	}
	return p;
}

static token next_token(const char **pp)
{
	const char *p = skip_space(*pp);
	token t = {TK_END, p, 0};
	if (!*p) {
		*pp = p;
		return t;
	}
	const char *e;
	if (*p == '\'') {
		t.kind = TK_STRING;
		e = skip_quoted(p, '\'');
	} else if (*p == '"' || *p == '`') {
		t.kind = TK_QIDENT;
		e = skip_quoted(p, *p);
	} else if (*p == '[') {
		t.kind = TK_QIDENT;
		e = skip_quoted(p, ']');
	} else if (isalnum((unsigned char)*p) || *p == '_' || (unsigned char)*p >= 0x80 || *p == '$') {
		t.kind = TK_WORD;
		e = p;
		while (*e && (isalnum((unsigned char)*e) || *e == '_' || *e == '$' || (unsigned char)*e >= 0x80))
			e++;
	} else if (strchr("(),;.", *p)) {
		t.kind = TK_PUNCT;
		e = p + 1;
	} else {
		t.kind = TK_OTHER;
		e = p + 1;
	}
	t.len = (size_t)(e - p);
	*pp = e;
	return t;
}

static bool is_word(token t, const char *w)
{
	return t.kind == TK_WORD && t.len == strlen(w) && strncasecmp(t.start, w, t.len) == 0;
}

static bool is_punct(token t, char c)
{
	return t.kind == TK_PUNCT && t.start[0] == c;
}

/* The identifier a token names, quotes removed. */
static char *ident_text(dbc_ctx *ctx, token t)
{
	if (t.kind != TK_QIDENT)
		return dbc_strndup(ctx, t.start, t.len);
	char close = t.start[0] == '[' ? ']' : t.start[0];
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	for (size_t i = 1; i + 1 < t.len + (t.start[t.len - 1] == close ? 0 : 1); i++) {
		dbc_buf_appendc(&b, t.start[i]);
		if (close != ']' && t.start[i] == close && t.start[i + 1] == close)
			i++;
	}
	return dbc_buf_finish(&b);
}

char *dbc_sql_normalise(dbc_ctx *ctx, const char *sql)
{
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	const char *p = sql;
	for (;;) {
		const char *before = p;
		token t = next_token(&p);
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
		token t = next_token(pp);
		if (t.kind == TK_END) {
			end = t.start;
			break;
		}
		if (is_punct(t, '('))
			depth++;
		else if (is_punct(t, ')') && --depth == 0) {
			end = t.start;
			break;
		}
	}
	char *raw = dbc_strndup(ctx, body, (size_t)(end - body));
	return raw ? dbc_sql_normalise(ctx, raw) : NULL;
}

static void skip_paren(const char **pp)
{
	int depth = 1;
	for (;;) {
		token t = next_token(pp);
		if (t.kind == TK_END || (is_punct(t, ')') && --depth == 0))
			return;
		if (is_punct(t, '('))
			depth++;
	}
}

/* Reads "(a, b COLLATE x DESC, ...)" after the '(' was consumed: first
 * identifier of each item. */
static int column_list(dbc_ctx *ctx, const char **pp, dbc_strlist *out)
{
	int depth = 1;
	bool want = true;
	for (;;) {
		token t = next_token(pp);
		if (t.kind == TK_END)
			return DBC_OK;
		if (is_punct(t, '('))
			depth++;
		else if (is_punct(t, ')')) {
			if (--depth == 0)
				return DBC_OK;
		} else if (depth == 1 && is_punct(t, ',')) {
			want = true;
		} else if (want && depth == 1 && (t.kind == TK_WORD || t.kind == TK_QIDENT)) {
			char *name = ident_text(ctx, t);
			if (!name || dbc_strlist_add(ctx, out, name) != DBC_OK)
				return DBC_ERROR;
			want = false;
		}
	}
}

static dbc_ddl_constraint *add_item(dbc_ctx *ctx, dbc_ddl_table *out, dbc_constraint_kind kind,
                                    char *name)
{
	if (out->n == out->cap) {
		int cap = out->cap ? out->cap * 2 : 8;
		dbc_ddl_constraint *items = dbc_zalloc(ctx, sizeof(*items) * (size_t)cap);
		if (!items)
			return NULL;
		if (out->n)
			memcpy(items, out->items, sizeof(*items) * (size_t)out->n);
		out->items = items;
		out->cap = cap;
	}
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
	token t = next_token(pp);
	char *column = NULL;
	char *pending_name = NULL;
	bool table_constraint = is_word(t, "CONSTRAINT") || is_word(t, "PRIMARY") ||
	                        is_word(t, "UNIQUE") || is_word(t, "CHECK") || is_word(t, "FOREIGN");
	if (!table_constraint && (t.kind == TK_WORD || t.kind == TK_QIDENT)) {
		column = ident_text(ctx, t);
		t = next_token(pp);
	}
	for (;;) {
		if (t.kind == TK_END || is_punct(t, ')'))
			return true;
		if (is_punct(t, ','))
			return false;
		dbc_ddl_constraint *c = NULL;
		if (is_word(t, "CONSTRAINT")) {
			token n = next_token(pp);
			pending_name = ident_text(ctx, n);
		} else if (is_word(t, "PRIMARY") || is_word(t, "UNIQUE")) {
			c = add_item(ctx, out, is_word(t, "PRIMARY") ? DBC_CON_PRIMARY_KEY : DBC_CON_UNIQUE,
			             pending_name);
		} else if (is_word(t, "CHECK")) {
			c = add_item(ctx, out, DBC_CON_CHECK, pending_name);
		} else if (is_word(t, "FOREIGN") || is_word(t, "REFERENCES")) {
			c = add_item(ctx, out, DBC_CON_FOREIGN_KEY, pending_name);
		} else if (is_punct(t, '(')) {
			skip_paren(pp); /* DEFAULT (...), AS (...), a type's (10, 2) */
		}
		if (c) {
			pending_name = NULL;
			if (column && dbc_strlist_add(ctx, &c->columns, column) != DBC_OK)
				*failed = true;
			if (c->kind == DBC_CON_CHECK) {
				token open = next_token(pp);
				if (is_punct(open, '('))
					c->expr = paren_body(ctx, pp);
			} else if (!column && c->kind != DBC_CON_FOREIGN_KEY) {
				token k = next_token(pp); /* KEY after PRIMARY, or '(' after UNIQUE */
				if (!is_punct(k, '('))
					k = next_token(pp);
				if (is_punct(k, '(') && column_list(ctx, pp, &c->columns) != DBC_OK)
					*failed = true;
			} else if (!column) { /* FOREIGN KEY (cols) REFERENCES ... */
				token k = next_token(pp);
				if (is_word(k, "KEY"))
					k = next_token(pp);
				if (is_punct(k, '(') && column_list(ctx, pp, &c->columns) != DBC_OK)
					*failed = true;
				/* its REFERENCES belongs to this constraint, not a new one */
				token r = next_token(pp);
				if (!is_word(r, "REFERENCES")) {
					t = r;
					continue;
				}
			}
		}
		t = next_token(pp);
	}
}

int dbc_ddl_parse_table(dbc_ctx *ctx, const char *sql, dbc_ddl_table *out)
{
	memset(out, 0, sizeof(*out));
	const char *p = sql;
	token t = next_token(&p);
	if (!is_word(t, "CREATE"))
		return DBC_OK;
	/* up to the column list; CREATE TABLE ... AS SELECT has none */
	for (;;) {
		t = next_token(&p);
		if (t.kind == TK_END || is_word(t, "AS"))
			return DBC_OK;
		if (is_punct(t, '('))
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
		token t = next_token(&p);
		if (t.kind == TK_END)
			return NULL;
		if (is_punct(t, '('))
			depth++;
		else if (is_punct(t, ')'))
			depth--;
		else if (depth == 0 && is_word(t, "WHERE"))
			return dbc_sql_normalise(ctx, p);
	}
}
