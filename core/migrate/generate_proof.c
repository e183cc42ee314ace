/*
 * generate_proof.c — the generated plan is run before anyone sees it, on the
 * engine's scratch place (dbc_migrate_hooks.scratch, where nothing stays):
 * each step as the proof runs it inside a transaction, then the schema must
 * have the desired fingerprint; then each reverse, newest first, and the
 * schema must be back at the fingerprint it started from. A step that fails
 * or a fingerprint that differs is an error naming the step or the first
 * difference. Where the engine has scratch_parts, only what the plan
 * touches is copied (generate_parts.c).
 */
#include "migrate/generate.h"

#include <stdlib.h>
#include <string.h>

typedef struct proof {
	const dbc_gen_plan *plan;
	const char *want_fp, *want_json;
	const char *live_fp, *live_json;
} proof;

static int run(dbc_ctx *s, const dbc_gen_plan *p, bool up)
{
	return dbc_gen_run_steps(s, p, NULL, p->n, up);
}

static int reached(dbc_ctx *s, const char *fp, const char *json, const char *what)
{
	return dbc_gen_reached(s, fp, json, what);
}

/* Where the live schema is: the ups reach the desired schema, the
 * reverses come back. */
static int prove_from_live(dbc_ctx *s, void *arg)
{
	const proof *pr = arg;
	if (run(s, pr->plan, true) != DBC_OK ||
	    reached(s, pr->want_fp, pr->want_json,
	            "the generated migration does not reach the desired schema") != DBC_OK ||
	    run(s, pr->plan, false) != DBC_OK)
		return DBC_ERROR;
	return reached(s, pr->live_fp, pr->live_json,
	               "the generated down does not return to the starting schema");
}

int dbc_gen_prove_from_desired(dbc_ctx *s, const dbc_gen_plan *plan, const dbc_gen_proof_input *in)
{
	if (run(s, plan, false) != DBC_OK ||
	    reached(s, in->live_fp, in->live_json,
	            "the generated down does not return to the starting schema") != DBC_OK ||
	    run(s, plan, true) != DBC_OK)
		return DBC_ERROR;
	return reached(s, in->want_fp, in->want_json,
	               "the generated migration does not reach the desired schema");
}

int dbc_gen_prove(dbc_ctx *ctx, const dbc_migrate_hooks *env, const dbc_gen_plan *plan,
                  const dbc_gen_proof_input *in)
{
	proof pr = {.plan = plan,
	            .want_fp = in->want_fp,
	            .want_json = in->want_json,
	            .live_fp = in->live_fp,
	            .live_json = in->live_json};
	bool whole = true;
	if (env->scratch_parts && in->live_model && in->want_model &&
	    dbc_gen_prove_parts(ctx, env, plan, in, &whole) != DBC_OK)
		return DBC_ERROR;
	return whole ? env->scratch(ctx, prove_from_live, &pr) : DBC_OK;
}
