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

static int fingerprint(dbc_ctx *s, char **json, char **fp)
{
	dbc_schema m;
	dbc_schema_init(&m, s);
	if (s->host->read_schema(s, &m) != DBC_OK || dbc_schema_snapshot_json(&m, json) != DBC_OK)
		return DBC_ERROR;
	return dbc_schema_fingerprint_of(s, *json, fp);
}

/* The engine's error at a step, as the generator's. */
static int step_failed(dbc_ctx *s, int step, const char *direction, const char *statement)
{
	char *why = dbc_strdup(s, s->message ? s->message : "unknown error");
	dbc_error_clear(s);
	dbc_error(s, DBC_SQLSTATE_BAD_STATE,
	          "the generated migration failed its proof at step %d (%s): %s", step, direction,
	          why ? why : "");
	dbc_error_detail(s, "%s", dbc_excerpt(s, statement, 400));
	return DBC_ERROR;
}

/* The first difference between two snapshots, in words. */
static char *first_change(dbc_ctx *s, const char *from, const char *to)
{
	dbc_schema_changes ch = {0};
	if (dbc_schema_changes_of(s, from, to, &ch) != DBC_OK || ch.n == 0) {
		char *why = s->message ? dbc_strdup(s, s->message) : NULL;
		dbc_error_clear(s);
		if (why)
			return why;
		return dbc_strdup(s, "(no difference found by the diff)");
	}
	const dbc_schema_change *c = &ch.items[0];
	return dbc_printf(s, "%s %s %s%s%s (%d difference%s)", c->object_type, c->object_name,
	                  c->change, c->detail ? ": " : "", c->detail ? c->detail : "", ch.n,
	                  ch.n == 1 ? "" : "s");
}

/* The ups of steps (indexes into p, in order; NULL: every step) in order
 * (up) or their reverses newest first. */
int dbc_gen_run_steps(dbc_ctx *s, const dbc_gen_plan *p, const int *steps, int n, bool up)
{
	for (int k = 0; k < n; k++) {
		int j = up ? k : n - 1 - k;
		int i = steps ? steps[j] : j;
		const dbc_gen_step *st = &p->items[i];
		const char *sql = up ? (st->proof ? st->proof : st->statement)
		                     : (st->proof_reverse ? st->proof_reverse : st->reverse);
		if (sql && s->host->exec(s, sql) != DBC_OK)
			return step_failed(s, i + 1, up ? "up" : "down", sql);
	}
	return DBC_OK;
}

static int run(dbc_ctx *s, const dbc_gen_plan *p, bool up)
{
	return dbc_gen_run_steps(s, p, NULL, p->n, up);
}

int dbc_gen_differs(dbc_ctx *s, const char *json, const char *now_json, const char *what)
{
	char *change = first_change(s, json, now_json);
	dbc_error(s, DBC_SQLSTATE_BAD_STATE, "%s", what);
	dbc_error_detail(s, "%s", change);
	if (getenv("DBCARE_GENERATE_DEBUG"))
		dbc_error_hint(s, "want %s\ngot  %s", json, now_json);
	else
		dbc_error_hint(s, "Write that change by hand; the plan rows show the rest.");
	return DBC_ERROR;
}

int dbc_gen_reached(dbc_ctx *s, const char *fp, const char *json, const char *what)
{
	char *now_json, *now_fp;
	if (fingerprint(s, &now_json, &now_fp) != DBC_OK)
		return DBC_ERROR;
	if (strcmp(now_fp, fp) == 0)
		return DBC_OK;
	return dbc_gen_differs(s, json, now_json, what);
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
