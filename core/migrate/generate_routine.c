/*
 * generate_routine.c — the routines of a schema model (functions,
 * procedures, aggregates: objects named "name(identity arguments)") as the
 * generator drops them and makes them again for a down.
 *
 * A function's and a procedure's catalog definition is a whole CREATE
 * statement (PostgreSQL's pg_get_functiondef). An aggregate's is the
 * model's form "AGGREGATE RETURNS type SFUNC f(args) STYPE type FINALFUNC
 * f(args) COMBINEFUNC f(args) INITCOND 'text' KIND n|o|h" (pg/catalog/catalog.c):
 * the down of its drop makes it again from those fields, so it holds what
 * the model holds and no more (a moving-aggregate form, a sort operator, a
 * parallel marking are not in it): that step carries a hazard saying so.
 */
#include "migrate/generate.h"
#include "migrate/generate_render.h"

#include <string.h>

bool dbc_gen_is_routine(const char *type)
{
	return strcmp(type, "function") == 0 || strcmp(type, "procedure") == 0 ||
	       strcmp(type, "aggregate") == 0;
}

/* The word DROP and CREATE take for a routine of type. */
static const char *routine_word(const char *type)
{
	return strcmp(type, "procedure") == 0   ? "PROCEDURE"
	       : strcmp(type, "aggregate") == 0 ? "AGGREGATE"
	                                        : "FUNCTION";
}

/* Where the argument list of a routine's name or a regprocedure text
 * starts: the first '(' outside double quotes; NULL when none. */
static const char *args_of(const char *name)
{
	bool quoted = false;
	for (const char *p = name; *p; p++) {
		if (*p == '"')
			quoted = !quoted;
		else if (*p == '(' && !quoted)
			return p;
	}
	return NULL;
}

char *dbc_gen_routine_drop(dbc_ctx *ctx, const dbc_object *o)
{
	const char *paren = args_of(o->name);
	if (!paren)
		return NULL;
	return dbc_printf(
	    ctx, "DROP %s %s%s", routine_word(o->type),
	    dbc_quoted_name(ctx, o->schema, dbc_strndup(ctx, o->name, (size_t)(paren - o->name))),
	    paren);
}

/* The value of field key in an aggregate's model definition d: the text
 * after "key " up to " next" (next NULL: the end); NULL when absent or
 * empty (a field PostgreSQL leaves unset). */
static char *field(dbc_ctx *ctx, const char *d, const char *key, const char *next)
{
	char *k = dbc_printf(ctx, "%s ", key), *n = next ? dbc_printf(ctx, " %s ", next) : NULL;
	const char *at = k ? strstr(d, k) : NULL;
	if (!at || (next && !n))
		return NULL;
	at += strlen(k);
	const char *end = n ? strstr(at, n) : at + strlen(at);
	if (!end || end == at)
		return NULL;
	return dbc_strndup(ctx, at, (size_t)(end - at));
}

/* A regprocedure text without its argument types: the name CREATE
 * AGGREGATE takes for a support function. */
static char *proc_name(dbc_ctx *ctx, const char *regprocedure)
{
	const char *paren = regprocedure ? args_of(regprocedure) : NULL;
	return paren ? dbc_strndup(ctx, regprocedure, (size_t)(paren - regprocedure)) : NULL;
}

char *dbc_gen_aggregate_create(dbc_ctx *ctx, const dbc_object *o)
{
	const char *d = o->definition, *paren = args_of(o->name);
	if (!d || strncmp(d, "AGGREGATE RETURNS ", 18) != 0 || !paren)
		return NULL;
	char *sfunc = proc_name(ctx, field(ctx, d, "SFUNC", "STYPE"));
	char *stype = field(ctx, d, "STYPE", "FINALFUNC");
	char *final = proc_name(ctx, field(ctx, d, "FINALFUNC", "COMBINEFUNC"));
	char *combine = proc_name(ctx, field(ctx, d, "COMBINEFUNC", "INITCOND"));
	char *init = field(ctx, d, "INITCOND", "KIND");
	char *kind = field(ctx, d, "KIND", NULL);
	if (!sfunc || !stype || !kind)
		return NULL;
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	dbc_buf_appendf(
	    &b, "CREATE AGGREGATE %s%s (SFUNC = %s, STYPE = %s",
	    dbc_quoted_name(ctx, o->schema, dbc_strndup(ctx, o->name, (size_t)(paren - o->name))),
	    paren, sfunc, stype);
	if (final)
		dbc_buf_appendf(&b, ", FINALFUNC = %s", final);
	if (combine)
		dbc_buf_appendf(&b, ", COMBINEFUNC = %s", combine);
	if (init && strcmp(init, "NULL") != 0)
		dbc_buf_appendf(&b, ", INITCOND = %s", init);
	if (strcmp(kind, "h") == 0)
		dbc_buf_append(&b, ", HYPOTHETICAL");
	dbc_buf_append(&b, ")");
	return dbc_buf_finish(&b);
}
