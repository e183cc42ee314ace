/*
 * js_schema_arg.c — whether a CHECK expression gives every JSON validator
 * it calls its schema as a literal: how dbjson_unregister knows which
 * constraints may name a schema. A constraint that computes the argument
 * ('u' || '1', a column) may name any schema, so unregister cannot rule
 * it out (js_registry.c refuses while one exists).
 *
 * Reads the expression as the engine keeps it: PostgreSQL's deparsed form
 * ('person'::text, E'...' for backslashes) or SQLite's text as written.
 * Anything it does not recognise as a literal counts as computed, so a
 * doubt refuses rather than lets a used schema go.
 */
#include "jsonschema/js_private.h"

#include <ctype.h>
#include <string.h>

/* p at an opening quote: the closing one (a doubled quote stays inside),
 * or the end of the text. */
static const char *closing_quote(const char *p)
{
	char q = *p++;
	for (; *p; p++)
		if (*p == q) {
			if (p[1] != q)
				return p;
			p++;
		}
	return p;
}

/* p just after "dbjson_xxx(": the second argument, or NULL when the call
 * has one argument (or the text ends). */
static const char *second_argument(const char *p)
{
	int depth = 0;
	for (; *p; p++) {
		if (*p == '\'' || *p == '"') {
			p = closing_quote(p);
			if (!*p)
				return NULL;
		} else if (*p == '(') {
			depth++;
		} else if (*p == ')') {
			if (depth-- == 0)
				return NULL;
		} else if (*p == ',' && depth == 0) {
			return p + 1;
		}
	}
	return NULL;
}

/* Whether p (an argument) is one string literal, with an optional cast,
 * and nothing else. */
static bool literal_argument(const char *p)
{
	while (isspace((unsigned char)*p))
		p++;
	if ((*p == 'E' || *p == 'e') && p[1] == '\'')
		p++;
	if (*p != '\'')
		return false;
	p = closing_quote(p);
	if (!*p)
		return false;
	p++;
	while (isspace((unsigned char)*p))
		p++;
	if (p[0] == ':' && p[1] == ':')
		for (p += 2; isalnum((unsigned char)*p) || *p == '_' || *p == '.'; p++)
			;
	while (isspace((unsigned char)*p))
		p++;
	return *p == ',' || *p == ')';
}

bool dbc_js_schema_arg_computed(const char *expr)
{
	static const char *const calls[] = {"dbjson_valid(", "dbjson_assert("};
	for (size_t k = 0; expr && k < sizeof calls / sizeof *calls; k++)
		for (const char *p = strstr(expr, calls[k]); p; p = strstr(p + 1, calls[k])) {
			const char *arg = second_argument(p + strlen(calls[k]));
			if (arg && !literal_argument(arg))
				return true;
		}
	return false;
}
