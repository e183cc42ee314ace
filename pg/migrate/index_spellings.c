/*
 * index_spellings.c — other texts of an index definition that PostgreSQL
 * may read back as the definition itself (dbc_migrate_hooks.index_spellings).
 *
 * pg_get_indexdef writes an array constructor cast to another array type
 * as `(ARRAY['a'::character varying, ...])::text[]` (v IN ('a', ...) on a
 * varchar column, an ANY over a list), and the parser reads a cast of an
 * ARRAY[...] by casting each element instead: `ARRAY[('a'::character
 * varying)::text, ...]`, another index. Two spellings keep the
 * constructor whole: its elements' own type cast first,
 * `(ARRAY[...]::character varying[])::text[]`, which the parser pushes into
 * elements that already have it, leaving the outer cast to the array; and
 * the outer cast left out, `(ARRAY[...])`, where the operator or function
 * around it casts the array the same way. They are candidates only: the
 * generator makes each on the table and writes none whose text it does not
 * prove to be the definition (generate_round_trip.c).
 *
 * The definition is the catalog's own text: strings are '...' with ''
 * inside, identifiers "..." with "" inside.
 */
#include "pg/host/glue.h"
#include "schema/ddl_lex.h"

#include <string.h>

/* Past the bracket or parenthesis that opens at p, to its match (nested
 * ones, strings and identifiers skipped); NULL where it is not closed. */
static const char *past_match(const char *p)
{
	int depth = 0;
	while (*p) {
		if (*p == '\'' || *p == '"') {
			p = dbc_lex_literal_end(p);
			continue;
		}
		if (*p == '(' || *p == '[')
			depth++;
		else if ((*p == ')' || *p == ']') && --depth == 0)
			return p + 1;
		p++;
	}
	return NULL;
}

/* The type after the last top-level "::" of element [s, e), trimmed, as
 * its length and *type; 0 where the element is not cast at its top. */
static size_t element_type(const char *s, const char *e, const char **type)
{
	const char *cast = NULL;
	for (const char *p = s; p < e;) {
		if (*p == '\'' || *p == '"') {
			p = dbc_lex_literal_end(p);
		} else if (*p == '(' || *p == '[') {
			const char *m = past_match(p);
			p = m && m <= e ? m : e;
		} else if (p[0] == ':' && p + 1 < e && p[1] == ':') {
			cast = p + 2;
			p += 2;
		} else {
			p++;
		}
	}
	if (!cast)
		return 0;
	while (cast < e && *cast == ' ')
		cast++;
	while (e > cast && e[-1] == ' ')
		e--;
	*type = cast;
	return (size_t)(e - cast);
}

/* The one type every element of the constructor's list [s, e) is cast to
 * at its top ("character varying"), as its length and *type; 0 where an
 * element is not cast or two differ. */
static size_t elements_type(const char *s, const char *e, const char **type)
{
	size_t n = 0;
	const char *item = s;
	for (const char *p = s; p <= e;) {
		if (p < e && (*p == '\'' || *p == '"')) {
			p = dbc_lex_literal_end(p);
			continue;
		}
		if (p < e && (*p == '(' || *p == '[')) {
			const char *m = past_match(p);
			p = m && m <= e ? m : e;
			continue;
		}
		if (p == e || *p == ',') {
			const char *t = NULL;
			size_t len = element_type(item, p, &t);
			if (len == 0 || (n && (len != n || strncmp(t, *type, n) != 0)))
				return 0;
			n = len;
			*type = t;
			item = p + 1;
		}
		p++;
	}
	return n;
}

/* The cast to an array type at p ("::text[]", "::character varying(8)[]"):
 * past its "[]"; NULL where p starts none. */
static const char *past_array_cast(const char *p)
{
	if (p[0] != ':' || p[1] != ':')
		return NULL;
	for (p += 2; *p && *p != '(' && *p != ')' && *p != ','; p++) {
		if (*p == '"')
			p = dbc_lex_literal_end(p) - 1;
		else if (p[0] == '[' && p[1] == ']')
			return p + 2;
	}
	/* a type modifier, "character varying(8)[]" */
	if (*p == '(') {
		const char *m = past_match(p);
		if (m && m[0] == '[' && m[1] == ']')
			return m + 2;
	}
	return NULL;
}

int pgdbc_index_spellings(dbc_ctx *ctx, const char *definition, dbc_strlist *out)
{
	static const char head[] = "(ARRAY[";
	dbc_buf typed, uncast;
	dbc_buf_init(&typed, ctx);
	dbc_buf_init(&uncast, ctx);
	int ntyped = 0, nuncast = 0;
	const char *done = definition; /* copied to both up to here */
	for (const char *p = definition; *p;) {
		if (*p == '\'' || *p == '"') {
			p = dbc_lex_literal_end(p);
			continue;
		}
		const char *close = strncmp(p, head, sizeof head - 1) == 0
		                        ? past_match(p + sizeof head - 2) /* the '[' */
		                        : NULL;
		const char *cast = close && *close == ')' ? past_array_cast(close + 1) : NULL;
		if (!cast) {
			p++;
			continue;
		}
		/* (ARRAY[ list ])::type[]: close at the "]", cast past the cast */
		const char *list = p + sizeof head - 1, *type = NULL;
		size_t ntype = elements_type(list, close - 1, &type);
		dbc_buf_appendn(&typed, done, (size_t)(close - done));
		if (ntype) {
			dbc_buf_appendf(&typed, "::%.*s[]", (int)ntype, type);
			ntyped++;
		}
		dbc_buf_appendn(&typed, close, (size_t)(cast - close));
		dbc_buf_appendn(&uncast, done, (size_t)(close + 1 - done));
		nuncast++;
		done = p = cast;
	}
	dbc_buf_append(&typed, done);
	dbc_buf_append(&uncast, done);
	char *a = dbc_buf_finish(&typed), *b = dbc_buf_finish(&uncast);
	if (!a || !b)
		return DBC_ERROR;
	if ((ntyped && dbc_strlist_add(ctx, out, a) != DBC_OK) ||
	    (nuncast && dbc_strlist_add(ctx, out, b) != DBC_OK))
		return DBC_ERROR;
	return DBC_OK;
}
