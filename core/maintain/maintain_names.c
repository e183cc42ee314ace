/*
 * maintain_names.c — the plan's lookup of the names a new index may not
 * take, made once per plan from the health run's model. A plan has a
 * finding per table at worst, and a scan of the model per finding made
 * planning quadratic in the tables.
 *
 * Invariants: the taken names are read from p->schema on first use, and
 * the model does not change while the plan is built (the planners only
 * read it); the map of claimed names holds every index name the plan's
 * steps create, so two steps never create the same name.
 */
#include "maintain/maintain_private.h"

#include "base/name_map.h"

struct dbc_maintain_lookup {
	bool have_taken;
	dbc_name_map taken;   /* schema_key of every table, index and object: 1 */
	dbc_name_map claimed; /* any_schema_key of each name the plan creates: 1 */
};

/* dbc_schema_name_key in ctx's arena, folded to ASCII lower case when
 * fold; NULL on error. */
static char *schema_key(dbc_ctx *ctx, const char *schema, const char *name, bool fold)
{
	int n = dbc_schema_name_key(NULL, 0, schema, name);
	char *k = n >= 0 ? dbc_alloc(ctx, (size_t)n + 1) : NULL;
	if (!k)
		return NULL;
	dbc_schema_name_key(k, (size_t)n + 1, schema, name);
	for (char *c = k; fold && *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			*c = (char)(*c - 'A' + 'a');
	return k;
}

/* The key of a name in whatever schema: the claimed names' (a new index's
 * name is kept from every schema). */
static char *any_schema_key(dbc_ctx *ctx, const char *name, bool fold)
{
	return schema_key(ctx, NULL, name, fold);
}

static struct dbc_maintain_lookup *lookup_of(dbc_ctx *ctx, dbc_maintain_plan *p)
{
	if (!p->lookup)
		p->lookup = dbc_zalloc(ctx, sizeof(*p->lookup));
	return p->lookup;
}

static int put(dbc_ctx *ctx, dbc_name_map *m, const char *schema, const char *name, bool fold)
{
	char *k = schema_key(ctx, schema, name, fold);
	return k ? dbc_name_map_put(ctx, m, k, 1) : DBC_ERROR;
}

/* The plan's taken names, built on first use; NULL on error (ctx says why). */
static struct dbc_maintain_lookup *with_taken(dbc_ctx *ctx, dbc_maintain_plan *p, bool fold)
{
	struct dbc_maintain_lookup *l = lookup_of(ctx, p);
	if (!l || l->have_taken)
		return l;
	const dbc_schema *s = p->schema;
	int rc = DBC_OK;
	for (int i = 0; s && rc == DBC_OK && i < s->ntables; i++)
		rc = put(ctx, &l->taken, s->tables[i].schema, s->tables[i].name, fold);
	for (int i = 0; s && rc == DBC_OK && i < s->nindexes; i++)
		rc = put(ctx, &l->taken, s->indexes[i].schema, s->indexes[i].name, fold);
	for (int i = 0; s && rc == DBC_OK && i < s->nobjects; i++)
		rc = put(ctx, &l->taken, s->objects[i].schema, s->objects[i].name, fold);
	if (rc != DBC_OK)
		return NULL;
	l->have_taken = true;
	return l;
}

int dbc_maintain_name_taken(dbc_ctx *ctx, dbc_maintain_plan *p, const char *schema,
                            const char *name, bool *taken)
{
	bool fold = ctx->host->dialect->names_fold_case;
	struct dbc_maintain_lookup *l = with_taken(ctx, p, fold);
	char *in_schema = l ? schema_key(ctx, schema, name, fold) : NULL;
	char *anywhere = in_schema ? any_schema_key(ctx, name, fold) : NULL;
	if (!anywhere)
		return DBC_ERROR;
	*taken =
	    dbc_name_map_get(&l->claimed, anywhere) >= 0 || dbc_name_map_get(&l->taken, in_schema) >= 0;
	return DBC_OK;
}

int dbc_maintain_name_claim(dbc_ctx *ctx, dbc_maintain_plan *p, const char *name)
{
	struct dbc_maintain_lookup *l = lookup_of(ctx, p);
	char *k = l ? any_schema_key(ctx, name, ctx->host->dialect->names_fold_case) : NULL;
	return k ? dbc_name_map_put(ctx, &l->claimed, k, 1) : DBC_ERROR;
}
