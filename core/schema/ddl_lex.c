/*
 * ddl_lex.c — the tokenizer behind the DDL text readers (ddl_text.c,
 * ddl_columns.c): quotes, comments and nesting as SQLite reads them.
 */
#include "schema/ddl_lex.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

/* Skips white space and comments; returns the next position. */
const char *dbc_lex_skip_space(const char *p)
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

/* The next token as SQLite reads it, or (pg) as PostgreSQL does, where
 * '[' opens an array constructor or a subscript, never a quoted name. */
static dbc_token lex_next(const char **pp, bool pg)
{
	const char *p = dbc_lex_skip_space(*pp);
	dbc_token t = {TK_END, p, 0};
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
	} else if (*p == '[' && !pg) {
		t.kind = TK_QIDENT;
		e = skip_quoted(p, ']');
	} else if (isalnum((unsigned char)*p) || *p == '_' || (unsigned char)*p >= 0x80 || *p == '$') {
		t.kind = TK_WORD;
		e = p;
		while (*e &&
		       (isalnum((unsigned char)*e) || *e == '_' || *e == '$' || (unsigned char)*e >= 0x80))
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

dbc_token dbc_lex_next(const char **pp)
{
	return lex_next(pp, false);
}

bool dbc_lex_is_word(dbc_token t, const char *w)
{
	return t.kind == TK_WORD && t.len == strlen(w) && strncasecmp(t.start, w, t.len) == 0;
}

bool dbc_lex_is_punct(dbc_token t, char c)
{
	return t.kind == TK_PUNCT && t.start[0] == c;
}

char *dbc_lex_ident(dbc_ctx *ctx, dbc_token t)
{
	if (t.kind != TK_QIDENT && t.kind != TK_STRING)
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

static bool skip_paren(const char **pp, bool pg)
{
	int depth = 1;
	for (;;) {
		dbc_token t = lex_next(pp, pg);
		if (t.kind == TK_END)
			return false;
		if (dbc_lex_is_punct(t, ')') && --depth == 0)
			return true;
		if (dbc_lex_is_punct(t, '('))
			depth++;
	}
}

bool dbc_lex_skip_paren(const char **pp)
{
	return skip_paren(pp, false);
}

bool dbc_lex_skip_paren_pg(const char **pp)
{
	return skip_paren(pp, true);
}

bool dbc_lex_skip_paren_in(const char **pp, bool brackets_quote_names)
{
	return skip_paren(pp, !brackets_quote_names);
}

/* Reads "(a, b COLLATE x DESC, ...)" after the '(' was consumed: first
 * identifier of each item. */
int dbc_lex_column_list(dbc_ctx *ctx, const char **pp, dbc_strlist *out)
{
	int depth = 1;
	bool want = true;
	for (;;) {
		dbc_token t = dbc_lex_next(pp);
		if (t.kind == TK_END)
			return DBC_OK;
		if (dbc_lex_is_punct(t, '('))
			depth++;
		else if (dbc_lex_is_punct(t, ')')) {
			if (--depth == 0)
				return DBC_OK;
		} else if (depth == 1 && dbc_lex_is_punct(t, ',')) {
			want = true;
		} else if (want && depth == 1 && (t.kind == TK_WORD || t.kind == TK_QIDENT)) {
			char *name = dbc_lex_ident(ctx, t);
			if (!name || dbc_strlist_add(ctx, out, name) != DBC_OK)
				return DBC_ERROR;
			want = false;
		}
	}
}

static bool is_ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '$' || (unsigned char)c >= 0x80;
}

const char *dbc_lex_literal_end(const char *p)
{
	if (*p == '\'' || *p == '"' || *p == '`')
		return skip_quoted(p, *p);
	if (*p == '[')
		return skip_quoted(p, ']');
	if ((*p == 'x' || *p == 'X') && p[1] == '\'')
		return skip_quoted(p + 1, '\'');
	if (isdigit((unsigned char)*p) || (*p == '.' && isdigit((unsigned char)p[1]))) {
		const char *e = p;
		if (e[0] == '0' && (e[1] == 'x' || e[1] == 'X') && isxdigit((unsigned char)e[2])) {
			for (e += 2; isxdigit((unsigned char)*e);)
				e++;
		} else {
			while (isdigit((unsigned char)*e))
				e++;
			if (*e == '.')
				for (e++; isdigit((unsigned char)*e);)
					e++;
			if ((*e == 'e' || *e == 'E') &&
			    (isdigit((unsigned char)e[1]) ||
			     ((e[1] == '+' || e[1] == '-') && isdigit((unsigned char)e[2])))) {
				for (e += 2; isdigit((unsigned char)*e);)
					e++;
			}
		}
		/* SQLite reads "12abc" as one (bad) token; such text was never stored */
		return is_ident_char(*e) ? NULL : e;
	}
	if (is_ident_char(*p)) {
		const char *e = p;
		while (is_ident_char(*e))
			e++;
		return e;
	}
	return NULL;
}
