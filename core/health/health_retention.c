/*
 * health_retention.c — the "retention" check, gathered by the core on both
 * engines from the policies of core/retain: its value is the most batches
 * one policy has due; an archive with fewer rows than its policies moved
 * into it makes it critical.
 */
#include "health/health.h"
#include "retain/retain.h"

int dbc_health_gather_retention(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                                dbc_health_fact *fact)
{
	dbc_retain_health h;
	(void)mode;
	if (!eng->retain)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "this engine reads no retention policy");
	if (dbc_retain_health_read(ctx, eng->retain, &h) != DBC_OK)
		return DBC_ERROR;
	if (h.npolicies == 0) {
		fact->message = dbc_strdup(ctx, "no retention policy (dbretain_add)");
		return DBC_OK;
	}
	const dbc_retain_health_policy *worst = &h.policies[0];
	for (int i = 1; i < h.npolicies; i++)
		if (h.policies[i].batches > worst->batches)
			worst = &h.policies[i];
	fact->value = (double)worst->batches;
	fact->message =
	    worst->batches == 0
	        ? dbc_printf(ctx, "%d retention polic%s, nothing due", h.npolicies,
	                     h.npolicies == 1 ? "y" : "ies")
	        : dbc_printf(ctx, "policy %s has %lld rows of %s due (%lld batches)", worst->policy,
	                     (long long)worst->due, worst->table, (long long)worst->batches);
	for (int i = 0; i < h.npolicies && !fact->note; i++)
		if (h.policies[i].index_fix)
			fact->note = dbc_printf(ctx,
			                        "policy %s: its table references itself and no index leads "
			                        "with the key's columns, so each run reads the table once per "
			                        "row it weighs; %s",
			                        h.policies[i].policy, h.policies[i].index_fix);
	for (int i = 0; i < h.narchives; i++) {
		const dbc_retain_health_archive *a = &h.archives[i];
		if (a->rows >= a->recorded)
			continue;
		fact->min_status = DBC_CHECK_CRITICAL;
		fact->note = a->rows < 0
		                 ? dbc_printf(ctx,
		                              "archive %s is missing; its policies moved "
		                              "%lld rows into it",
		                              a->target, (long long)a->recorded)
		                 : dbc_printf(ctx,
		                              "archive %s holds %lld rows, fewer than the "
		                              "%lld its policies moved into it",
		                              a->target, (long long)a->rows, (long long)a->recorded);
		fact->hint = dbc_strdup(ctx, "Archived rows were deleted or the archive was replaced: "
		                             "restore it from a backup, or, when that was intended, "
		                             "drop and add the policy again to reset its counts.");
	}
	return ctx->failed ? DBC_ERROR : DBC_OK;
}
