/*
 * maintain_step.c — what every planner builds a plan with: a step added to
 * the plan, whether a finding is wanted and why, the engine's word for a
 * concurrent index build. Below the plan (maintain_plan.c) and its planners
 * (maintain_indexes.c, maintain_tables.c), which all ask it.
 */
#include "maintain/maintain_private.h"

#include <string.h>

const char *dbc_maintain_safety_name(dbc_maintain_safety s)
{
	return s == DBC_MAINTAIN_LOCKING       ? "locking"
	       : s == DBC_MAINTAIN_DESTRUCTIVE ? "destructive"
	                                       : "safe";
}

dbc_maintain_step *dbc_maintain_add_step(dbc_ctx *ctx, dbc_maintain_plan *p, const char *object,
                                         const char *action, const char *reason, char *statement,
                                         dbc_maintain_safety safety, bool outside, double cost)
{
	if (dbc_grow(ctx, &p->items, p->n, &p->cap, sizeof(*p->items), 8) != DBC_OK)
		return NULL;
	dbc_maintain_step *st = &p->items[p->n];
	memset(st, 0, sizeof(*st));
	st->object = dbc_strdup(ctx, object ? object : "");
	st->action = action;
	st->reason = reason ? dbc_strdup(ctx, reason) : NULL;
	st->statement = statement;
	st->safety = safety;
	st->outside_transaction = outside;
	st->estimated_cost = cost;
	if (ctx->failed)
		return NULL;
	p->n++;
	return st;
}

bool dbc_maintain_wanted(const dbc_maintain_findings *f, const dbc_health_object *o)
{
	if (dbc_health_ignored(&f->r->ignore, o->schema, o->name, o->table))
		return false;
	/* a measured value (fragmentation, sequences): only past the warn line */
	if (f->fact->def->value_kind == DBC_VALUE_MAX)
		return f->res->warn_at >= 0 && o->value > f->res->warn_at;
	return true;
}

char *dbc_maintain_why(dbc_ctx *ctx, const dbc_maintain_findings *f, const dbc_health_object *o)
{
	return o->detail ? dbc_printf(ctx, "%s: %s", f->fact->def->name, o->detail)
	                 : dbc_strdup(ctx, f->fact->def->name);
}

/* The keyword that spares writers, or "": none on this engine, nor for a
 * partitioned table's index, which is built and dropped only in one go. */
const char *dbc_maintain_concurrently(dbc_ctx *ctx, dbc_maintain_plan *p, const char *schema,
                                      const char *table)
{
	const dbc_dialect *d = ctx->host->dialect;
	if (!d->concurrently)
		return "";
	const dbc_table *t =
	    p->schema && table ? dbc_schema_find_table(p->schema, schema, table) : NULL;
	if (t && strcmp(t->kind, "partitioned table") == 0)
		return "";
	return d->concurrently;
}

const char *dbc_maintain_space_after(const char *s)
{
	return *s ? " " : "";
}
