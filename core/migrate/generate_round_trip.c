/*
 * generate_round_trip.c — a live index the desired schema holds under
 * another text that means the same. The engine's own deparse of an index
 * need not parse back to itself (PostgreSQL writes `v IN ('a','b')` on a
 * varchar column as `(v)::text = ANY ((ARRAY['a'::character varying,
 * ...])::text[])`, which parses back as `ARRAY[('a'::character
 * varying)::text, ...]`), so a desired file that is the database's own
 * dump declares its indexes under other texts. The engine makes the live
 * index's text again on the desired table (env->index_round_trip) and
 * where that gives the desired text the index is the same: the live model
 * holds it as the desired one does, so no step makes it again and the
 * proof's fingerprints agree (the index the plan leaves alone keeps either
 * text, and both stand for the same index).
 */
#include "migrate/generate.h"
#include "migrate/generate_plan.h"
#include "migrate/generate_render.h"

#include <string.h>

/* The scratch name the two texts are compared under. */
#define ROUND_TRIP_NAME "dbcare_round_trip"

static const dbc_index *desired_of(const dbc_schema *w, const dbc_index *lx)
{
	for (int i = 0; i < w->nindexes; i++) {
		const dbc_index *x = &w->indexes[i];
		if (dbc_gen_same_schema(x->schema, lx->schema) && strcmp(x->name, lx->name) == 0)
			return x;
	}
	return NULL;
}

int dbc_gen_index_makes(dbc_ctx *ctx, const dbc_migrate_hooks *env, const char *schema,
                        const char *text, const char *definition, bool *makes)
{
	return dbc_gen_index_makes_on(ctx, env, schema, NULL, text, definition, makes);
}

int dbc_gen_index_makes_on(dbc_ctx *ctx, const dbc_migrate_hooks *env, const char *schema,
                           const char *table_stmt, const char *text, const char *definition,
                           bool *makes)
{
	*makes = false;
	char *made = NULL;
	char *as_made = dbc_gen_index_def(ctx, text, ROUND_TRIP_NAME, NULL);
	if (as_made && table_stmt)
		as_made = dbc_printf(ctx, "%s;\n%s", table_stmt, as_made);
	char *want_text = dbc_gen_index_def(ctx, definition, ROUND_TRIP_NAME, NULL);
	if (!as_made || !want_text ||
	    env->index_round_trip(ctx, schema, ROUND_TRIP_NAME, as_made, &made) != DBC_OK)
		return DBC_ERROR;
	*makes = made && dbc_gen_same_text(made, want_text);
	return DBC_OK;
}

/* Whether live index lx and desired x are the same index under two texts. */
static int same_after_round_trip(dbc_ctx *ctx, const dbc_migrate_hooks *env, const dbc_index *lx,
                                 const dbc_index *x, bool *same)
{
	*same = false;
	if (lx->constraint || lx->primary || x->constraint || x->primary || !lx->definition ||
	    !x->definition || !lx->table || !x->table || strcmp(lx->table, x->table) != 0 ||
	    dbc_gen_same_text(lx->definition, x->definition))
		return DBC_OK;
	return dbc_gen_index_makes(ctx, env, lx->schema, lx->definition, x->definition, same);
}

int dbc_gen_index_round_trips(dbc_ctx *ctx, const dbc_migrate_hooks *env, dbc_schema *live,
                              const dbc_schema *want, bool *changed)
{
	*changed = false;
	if (!env->index_round_trip)
		return DBC_OK;
	dbc_index *copy = NULL; /* the live model's array is shared: changed on a copy */
	for (int i = 0; i < live->nindexes; i++) {
		const dbc_index *x = desired_of(want, &live->indexes[i]);
		bool same = false;
		if (!x)
			continue;
		if (same_after_round_trip(ctx, env, &live->indexes[i], x, &same) != DBC_OK)
			return DBC_ERROR;
		if (!same)
			continue;
		if (!copy) {
			copy = dbc_alloc(ctx, sizeof(dbc_index) * (size_t)(live->nindexes + 1));
			if (!copy)
				return DBC_ERROR;
			memcpy(copy, live->indexes, sizeof(dbc_index) * (size_t)live->nindexes);
			live->indexes = copy;
			live->memo = NULL; /* its snapshot is no longer this model's */
		}
		copy[i] = *x;
		*changed = true;
	}
	return DBC_OK;
}
