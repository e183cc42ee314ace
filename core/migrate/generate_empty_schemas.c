/*
 * generate_empty_schemas.c — a live schema the desired schema has no use
 * for. An engine whose desired place copies every live schema (PostgreSQL:
 * a scratch schema for each) reads each of them back as desired, so a
 * schema whose objects the desired file dropped stayed behind, empty,
 * where the desired database has none. Such a schema is taken out of the
 * desired model, and the plan drops it as it drops any object (refused
 * without allow_drop): one the desired file neither makes nor names
 * (CREATE SCHEMA, an object in it, a search_path, an extension's SCHEMA),
 * that holds nothing of the desired model, never public. The desired
 * place loses it too (the plan's own DROP SCHEMA, run there), as the proof
 * starts from the desired place and its down makes the schema again.
 */
#include "migrate/generate.h"
#include "migrate/generate_plan.h"
#include "migrate/generate_render.h"

#include <string.h>

static bool holds_anything(dbc_ctx *ctx, const dbc_schema *w, const char *name)
{
	for (int i = 0; i < w->ntables; i++)
		if (w->tables[i].schema && strcmp(w->tables[i].schema, name) == 0)
			return true;
	for (int i = 0; i < w->nindexes; i++)
		if (w->indexes[i].schema && strcmp(w->indexes[i].schema, name) == 0)
			return true;
	for (int i = 0; i < w->nobjects; i++) {
		const dbc_object *o = &w->objects[i];
		if ((o->schema && strcmp(o->schema, name) == 0) ||
		    (strcmp(o->type, "extension") == 0 && o->definition &&
		     dbc_gen_names_token(ctx, o->definition, name)))
			return true;
	}
	return false;
}

static bool forgettable(dbc_ctx *ctx, const char *desired_sql, const dbc_schema *live,
                        const dbc_schema *want, const dbc_object *o)
{
	return strcmp(o->type, "schema") == 0 && o->name && strcmp(o->name, "public") != 0 &&
	       dbc_gen_find_object(live, "schema", NULL, o->name) &&
	       !holds_anything(ctx, want, o->name) &&
	       !(desired_sql && dbc_gen_names_token(ctx, desired_sql, o->name));
}

int dbc_gen_forget_empty_schemas(dbc_ctx *ctx, const char *desired_sql, const dbc_schema *live,
                                 dbc_schema *want)
{
	dbc_object *kept = NULL;
	int n = 0;
	for (int i = 0; i < want->nobjects; i++) {
		if (!forgettable(ctx, desired_sql, live, want, &want->objects[i])) {
			if (kept)
				kept[n] = want->objects[i];
			n++;
			continue;
		}
		if (!kept) {
			kept = dbc_alloc(ctx, sizeof(dbc_object) * (size_t)(want->nobjects + 1));
			if (!kept)
				return DBC_ERROR;
			memcpy(kept, want->objects, sizeof(dbc_object) * (size_t)n);
		}
		if (ctx->host->exec(ctx, dbc_printf(ctx, "DROP SCHEMA %s",
		                                    dbc_gen_q(ctx, want->objects[i].name))) != DBC_OK)
			return DBC_ERROR;
	}
	if (kept) {
		want->objects = kept;
		want->nobjects = n;
		want->memo = NULL;
	}
	return ctx->failed ? DBC_ERROR : DBC_OK;
}
