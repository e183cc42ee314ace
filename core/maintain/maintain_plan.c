/*
 * maintain_plan.c — dbmaintain_plan: one health run, then for every check
 * that is not ok, a repair per finding by that check's planner. Everything a
 * statement names comes from the finding's object (health.h, its repair
 * fields) or the model the run read; names are quoted by the host, and what
 * differs between the engines' statements is the dialect's (its maintenance
 * fields).
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
const char *dbc_maintain_concurrently(const dbc_dialect *d, const dbc_schema *s, const char *schema,
                                      const char *table)
{
	const dbc_table *t = s && table ? dbc_schema_find_table(s, schema, table) : NULL;
	if (t && strcmp(t->kind, "partitioned table") == 0)
		return "";
	return d->concurrently ? d->concurrently : "";
}

const char *dbc_maintain_space_after(const char *s)
{
	return *s ? " " : "";
}

typedef int (*plan_fn)(dbc_ctx *ctx, const dbc_maintain_findings *f, dbc_maintain_plan *p);

/* The checks whose findings have a repair, by check id. */
static const plan_fn planners[DBC_HC_COUNT] = {
    [DBC_HC_INTEGRITY] = dbc_maintain_plan_integrity,
    [DBC_HC_ORPHANS] = dbc_maintain_plan_orphans,
    [DBC_HC_UNINDEXED_FOREIGN_KEYS] = dbc_maintain_plan_unindexed_fk,
    [DBC_HC_DUPLICATE_INDEXES] = dbc_maintain_plan_duplicates,
    [DBC_HC_FRAGMENTATION] = dbc_maintain_plan_fragmentation,
    [DBC_HC_TABLE_BLOAT] = dbc_maintain_plan_bloat,
    [DBC_HC_STATISTICS] = dbc_maintain_plan_statistics,
    [DBC_HC_INVALID_INDEXES] = dbc_maintain_plan_invalid_indexes,
    [DBC_HC_NOT_VALID_CONSTRAINTS] = dbc_maintain_plan_not_valid,
    [DBC_HC_SEQUENCE_EXHAUSTION] = dbc_maintain_plan_sequences,
};

int dbc_maintain_plan_build(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                            dbc_maintain_plan *out)
{
	dbc_health_report r;
	memset(out, 0, sizeof(*out));
	if (dbc_health_run(ctx, eng, mode, &r) != DBC_OK)
		return DBC_ERROR;
	out->schema = r.schema;
	for (int i = 0; i < r.nresults; i++) {
		const dbc_health_result *res = &r.results[i];
		plan_fn planner = planners[res->def->id];
		if (!planner || (res->status != DBC_CHECK_WARNING && res->status != DBC_CHECK_CRITICAL))
			continue;
		dbc_maintain_findings f = {&r, res, &r.facts[i]};
		if (planner(ctx, &f, out) != DBC_OK)
			return DBC_ERROR;
	}
	return ctx->failed ? DBC_ERROR : DBC_OK;
}

int dbc_maintain_plan_rows(dbc_ctx *ctx, const dbc_maintain_plan *plan, dbc_rows *out)
{
	dbc_rows_init(out, ctx, DBC_MAINTAIN_PLAN_NCOLS);
	for (int i = 0; i < plan->n; i++) {
		const dbc_maintain_step *st = &plan->items[i];
		dbc_value row[DBC_MAINTAIN_PLAN_NCOLS] = {
		    dbc_text(st->object),
		    dbc_text(st->action),
		    st->reason ? dbc_text(st->reason) : dbc_null(),
		    st->statement ? dbc_text(st->statement) : dbc_null(),
		    dbc_text(dbc_maintain_safety_name(st->safety)),
		    dbc_bool(st->outside_transaction),
		    dbc_float(st->estimated_cost),
		};
		if (dbc_rows_add(out, row) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}
