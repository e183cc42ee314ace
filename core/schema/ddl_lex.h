/*
 * ddl_lex.h — the small SQL tokenizer the DDL text readers share: quotes,
 * comments, nesting. It splits text the way SQLite's tokenizer does for what
 * the readers need (identifiers, literals, punctuation); it never executes or
 * rewrites SQL. Where PostgreSQL reads otherwise ('[' opens no quoted name)
 * a reader of PostgreSQL text says so by the _pg form.
 */
#ifndef DBC_DDL_LEX_H
#define DBC_DDL_LEX_H

#include "schema/schema.h"

typedef enum { TK_END, TK_WORD, TK_QIDENT, TK_STRING, TK_PUNCT, TK_OTHER } dbc_tk_kind;

typedef struct {
	dbc_tk_kind kind;
	const char *start;
	size_t len;
} dbc_token;

/* White space and comments skipped; the next position. */
const char *dbc_lex_skip_space(const char *p);

/* The next token; *pp moves past it. Numbers come out as several WORD and
 * PUNCT tokens ("1.5" is 1 . 5): no reader needs them whole except
 * dbc_lex_literal_end. */
dbc_token dbc_lex_next(const char **pp);

bool dbc_lex_is_word(dbc_token t, const char *w);
bool dbc_lex_is_punct(dbc_token t, char c);

/* The identifier (or string used as a name) a token names, quotes removed. */
char *dbc_lex_ident(dbc_ctx *ctx, dbc_token t);

/* After an opening parenthesis was consumed: past its match; false (at
 * the end of the text) where it has none. */
bool dbc_lex_skip_paren(const char **pp);

/* dbc_lex_skip_paren as PostgreSQL reads the text: '[' is an array
 * constructor's or a subscript's, not the start of a quoted name as in
 * SQLite, so a string holding ']' inside ARRAY[...] stays a string. */
bool dbc_lex_skip_paren_pg(const char **pp);

/* Either, as the engine reads '[' (its dialect's brackets_quote_names). */
bool dbc_lex_skip_paren_in(const char **pp, bool brackets_quote_names);

/* After the '(' of "(a, b COLLATE x DESC, ...)": the first identifier of each
 * item; *pp moves past the closing ')'. */
int dbc_lex_column_list(dbc_ctx *ctx, const char **pp, dbc_strlist *out);

/* End of the one literal or name token that starts at p (white space already
 * skipped) as SQLite's tokenizer reads it: a string, a blob x'..', a number
 * (1, 1.5e-3, .5, 0x1F), a quoted or bare name. NULL when none starts there. */
const char *dbc_lex_literal_end(const char *p);

#endif
