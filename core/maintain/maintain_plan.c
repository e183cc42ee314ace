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
    [DBC_HC_XMIN_HORIZON] = dbc_maintain_plan_xmin_holders,
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
