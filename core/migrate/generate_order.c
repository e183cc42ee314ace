/*
 * generate_order.c — what each object of a schema model needs among the
 * objects the generator makes by name (schemas, types, sequences,
 * functions), read from their catalog text, and the order that follows:
 * what is needed made first and dropped last.
 *
 * The engine records these needs (PostgreSQL's pg_depend): a function's
 * argument and result types and its defaults' calls, a domain's checks, a
 * composite type's attribute types, a trigger's function, an object's
 * schema. The catalog text of each names exactly those: a function's text
 * is read up to its body (a body written as a string is not recorded, and
 * reading it would make a trigger function "need" what it merely
 * mentions). A name is matched as a token, so a need may be seen where
 * none is (two schemas' namesakes): that costs an order, never a step.
 * Invariant: needs only point at objects of the same model, never at the
 * object itself; a cycle (none among what the engine records) falls back
 * to the model's order.
 */
#include "migrate/generate_order.h"
#include "schema/ddl_lex.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool is_function(const char *type)
{
	return strcmp(type, "function") == 0 || strcmp(type, "procedure") == 0;
}

/* Whether o is something others can need by name. */
static bool needable(const dbc_object *o)
{
	return strcmp(o->type, "schema") == 0 || strcmp(o->type, "type") == 0 ||
	       strcmp(o->type, "sequence") == 0 || is_function(o->type);
}

/* o's name as others write it: a function's without its arguments, a
 * trigger's without its table. */
static char *bare(dbc_ctx *ctx, const dbc_object *o)
{
	const char *n = o->name;
	const char *dot = strcmp(o->type, "trigger") == 0 ? strrchr(n, '.') : NULL;
	if (dot)
		n = dot + 1;
	const char *paren = strchr(n, '(');
	return paren ? dbc_strndup(ctx, n, (size_t)(paren - n)) : dbc_strdup(ctx, n);
}

typedef struct named {
	const char *name;
	int index;
} named;

static int by_name(const void *a, const void *b)
{
	return strcasecmp(((const named *)a)->name, ((const named *)b)->name);
}

/* Adds to needs[i] every needable object called word (not i itself). */
static int need_word(dbc_ctx *ctx, const named *names, int nnames, const char *word, int i,
                     dbc_gen_needs *out)
{
	named key = {word, 0};
	const named *hit = bsearch(&key, names, (size_t)nnames, sizeof(named), by_name);
	if (!hit)
		return DBC_OK;
	while (hit > names && strcasecmp(hit[-1].name, word) == 0)
		hit--;
	for (; hit < names + nnames && strcasecmp(hit->name, word) == 0; hit++) {
		bool seen = hit->index == i;
		for (int k = 0; k < out->n[i] && !seen; k++)
			seen = out->of[i][k] == hit->index;
		if (seen)
			continue;
		if (dbc_grow(ctx, &out->of[i], out->n[i], &out->cap[i], sizeof(int), 4) != DBC_OK)
			return DBC_ERROR;
		out->of[i][out->n[i]++] = hit->index;
	}
	return DBC_OK;
}

/* The needs object i's text names: a function's from its argument list
 * up to its body (the AS or BEGIN after the arguments). */
static int read_text(dbc_ctx *ctx, const dbc_schema *s, const named *names, int nnames, int i,
                     dbc_gen_needs *out)
{
	const dbc_object *o = &s->objects[i];
	const char *p = o->definition ? o->definition : "";
	bool function = is_function(o->type);
	int depth = 0;
	bool reading = !function;
	for (;;) {
		dbc_token t = dbc_lex_next(&p);
		if (t.kind == TK_END)
			break;
		if (dbc_lex_is_punct(t, '('))
			depth++, reading = true;
		else if (dbc_lex_is_punct(t, ')'))
			depth--;
		if (function && depth == 0 && (dbc_lex_is_word(t, "AS") || dbc_lex_is_word(t, "BEGIN")))
			break;
		char *w =
		    reading && (t.kind == TK_WORD || t.kind == TK_QIDENT) ? dbc_lex_ident(ctx, t) : NULL;
		if (w && need_word(ctx, names, nnames, w, i, out) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

int dbc_gen_needs_read(dbc_ctx *ctx, const dbc_schema *s, dbc_gen_needs *out)
{
	int n = s->nobjects;
	named *names = dbc_alloc(ctx, sizeof(named) * (size_t)(n + 1));
	out->of = dbc_zalloc(ctx, sizeof(int *) * (size_t)(n + 1));
	out->n = dbc_zalloc(ctx, sizeof(int) * (size_t)(n + 1));
	out->cap = dbc_zalloc(ctx, sizeof(int) * (size_t)(n + 1));
	if (!names || !out->of || !out->n || !out->cap)
		return DBC_ERROR;
	int nnames = 0;
	for (int i = 0; i < n; i++)
		if (needable(&s->objects[i])) {
			names[nnames].name = bare(ctx, &s->objects[i]);
			names[nnames++].index = i;
			if (!names[nnames - 1].name)
				return DBC_ERROR;
		}
	qsort(names, (size_t)nnames, sizeof(named), by_name);
	for (int i = 0; i < n; i++) {
		const dbc_object *o = &s->objects[i];
		if (read_text(ctx, s, names, nnames, i, out) != DBC_OK ||
		    (o->schema && strcmp(o->type, "schema") != 0 &&
		     need_word(ctx, names, nnames, o->schema, i, out) != DBC_OK))
			return DBC_ERROR;
		/* of the schemas, only o's own is a need (the name may be a
		 * column's or a table's in its text) */
		int k = 0;
		for (int j = 0; j < out->n[i]; j++) {
			const dbc_object *x = &s->objects[out->of[i][j]];
			if (strcmp(x->type, "schema") != 0 || (o->schema && strcmp(x->name, o->schema) == 0))
				out->of[i][k++] = out->of[i][j];
		}
		out->n[i] = k;
	}
	return DBC_OK;
}

int *dbc_gen_needs_order(dbc_ctx *ctx, const dbc_schema *s, const dbc_gen_needs *needs,
                         bool dropping)
{
	int n = s->nobjects, done = 0;
	int *order = dbc_alloc(ctx, sizeof(int) * (size_t)(n + 1));
	bool *placed = dbc_zalloc(ctx, sizeof(bool) * (size_t)(n + 1));
	if (!order || !placed)
		return NULL;
	/* made: in passes over the model's order, each object once all it
	 * needs is placed; the first one left when a cycle blocks them all */
	while (done < n) {
		int before = done, first = -1;
		for (int i = 0; i < n; i++) {
			if (placed[i])
				continue;
			if (first < 0)
				first = i;
			bool ready = true;
			for (int k = 0; k < needs->n[i] && ready; k++)
				ready = placed[needs->of[i][k]];
			if (ready)
				placed[i] = true, order[done++] = i;
		}
		if (done == before)
			placed[first] = true, order[done++] = first;
	}
	if (dropping)
		for (int i = 0; i < n / 2; i++) {
			int t = order[i];
			order[i] = order[n - 1 - i];
			order[n - 1 - i] = t;
		}
	return order;
}

bool dbc_gen_needs_any(const dbc_gen_needs *needs, int i, const bool *set)
{
	for (int k = 0; k < needs->n[i]; k++)
		if (set[needs->of[i][k]])
			return true;
	return false;
}
