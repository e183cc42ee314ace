/*
 * maintain_names.c — the plan's lookups by name, made once per plan from
 * the health run's model: which names a new index may not take, and a
 * table by its name. A plan has a finding per table at worst, and a scan
 * of the model per finding made planning quadratic in the tables.
 *
 * Invariants: the maps are built from p->schema on first use and the
 * model does not change while the plan is built (the planners only read
 * it); every name the plan claims goes into both new_names and the map of
 * claimed names, so the two agree.
 */
#include "maintain/maintain_private.h"

#include "base/name_map.h"

#include <string.h>

struct dbc_maintain_lookup {
	dbc_name_map taken;   /* key(schema, name) of every table, index, object */
	dbc_name_map claimed; /* the names of new_names, in any schema */
	dbc_name_map tables;  /* key(schema, name), exact -> index in schema->tables */
};

/* "length:schema.name", or "-.name" for no schema (the length keeps a dot
 * inside a name from meeting another schema's), folded to ASCII lower case
 * when fold. */
static char *key_of(dbc_ctx *ctx, const char *schema, const char *name, bool fold)
{
	char *k = schema ? dbc_printf(ctx, "%zu:%s.%s", strlen(schema), schema, name)
	                 : dbc_printf(ctx, "-.%s", name);
	for (char *c = k; fold && c && *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	return k;
}

static char *folded(dbc_ctx *ctx, const char *name, bool fold)
{
	return key_of(ctx, NULL, name, fold);
}

static int put(dbc_ctx *ctx, dbc_name_map *m, const char *schema, const char *name, bool fold,
               int value)
{
	char *k = key_of(ctx, schema, name, fold);
	return k ? dbc_name_map_put(ctx, m, k, value) : DBC_ERROR;
}

/* The plan's lookups, built on first use; NULL on error (ctx says why). */
static struct dbc_maintain_lookup *lookup_of(dbc_ctx *ctx, dbc_maintain_plan *p)
{
	if (p->lookup)
		return p->lookup;
	struct dbc_maintain_lookup *l = dbc_zalloc(ctx, sizeof(*l));
	if (!l)
		return NULL;
	bool fold = ctx->host->dialect->names_fold_case;
	const dbc_schema *s = p->schema;
	int rc = DBC_OK;
	for (int i = 0; s && rc == DBC_OK && i < s->ntables; i++) {
		rc = put(ctx, &l->taken, s->tables[i].schema, s->tables[i].name, fold, 1);
		/* the first of a name, as dbc_schema_find_table finds it */
		char *k = rc == DBC_OK ? key_of(ctx, s->tables[i].schema, s->tables[i].name, false) : NULL;
		if (!k)
			rc = DBC_ERROR;
		else if (dbc_name_map_get(&l->tables, k) < 0)
			rc = dbc_name_map_put(ctx, &l->tables, k, i);
	}
	for (int i = 0; s && rc == DBC_OK && i < s->nindexes; i++)
		rc = put(ctx, &l->taken, s->indexes[i].schema, s->indexes[i].name, fold, 1);
	for (int i = 0; s && rc == DBC_OK && i < s->nobjects; i++)
		rc = put(ctx, &l->taken, s->objects[i].schema, s->objects[i].name, fold, 1);
	for (int i = 0; rc == DBC_OK && i < p->new_names.n; i++) {
		char *k = folded(ctx, p->new_names.items[i], fold);
		rc = k ? dbc_name_map_put(ctx, &l->claimed, k, 1) : DBC_ERROR;
	}
	if (rc != DBC_OK)
		return NULL;
	p->lookup = l;
	return l;
}

int dbc_maintain_name_taken(dbc_ctx *ctx, dbc_maintain_plan *p, const char *schema,
                            const char *name, bool *taken)
{
	struct dbc_maintain_lookup *l = lookup_of(ctx, p);
	bool fold = ctx->host->dialect->names_fold_case;
	char *in_schema = l ? key_of(ctx, schema, name, fold) : NULL;
	char *anywhere = in_schema ? folded(ctx, name, fold) : NULL;
	if (!anywhere)
		return DBC_ERROR;
	*taken =
	    dbc_name_map_get(&l->claimed, anywhere) >= 0 || dbc_name_map_get(&l->taken, in_schema) >= 0;
	return DBC_OK;
}

int dbc_maintain_name_claim(dbc_ctx *ctx, dbc_maintain_plan *p, const char *name)
{
	struct dbc_maintain_lookup *l = lookup_of(ctx, p);
	char *k = l ? folded(ctx, name, ctx->host->dialect->names_fold_case) : NULL;
	if (!k || dbc_strlist_add(ctx, &p->new_names, name) != DBC_OK)
		return DBC_ERROR;
	return dbc_name_map_put(ctx, &l->claimed, k, 1);
}

const dbc_table *dbc_maintain_find_table(dbc_ctx *ctx, dbc_maintain_plan *p, const char *schema,
                                         const char *table)
{
	struct dbc_maintain_lookup *l = table ? lookup_of(ctx, p) : NULL;
	char *k = l ? key_of(ctx, schema, table, false) : NULL;
	int i = k ? dbc_name_map_get(&l->tables, k) : -1;
	return i >= 0 ? &p->schema->tables[i] : NULL;
}
