/*
 * generate_proof.c — the generated plan is run before anyone sees it, on the
 * engine's scratch place (dbc_migrate_hooks.scratch, where nothing stays):
 * each step as the proof runs it inside a transaction, then the schema must
 * have the desired fingerprint; then each reverse, newest first, and the
 * schema must be back at the fingerprint it started from. A step that fails
 * or a fingerprint that differs is an error naming the step or the first
 * difference.
 */
#include "migrate/generate.h"

#include <stdlib.h>
#include <string.h>

typedef struct proof {
	const dbc_gen_plan *plan;
	const char *want_fp;
	const char *want_json;
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

static int prove_in(dbc_ctx *s, void *arg)
{
	const proof *pr = arg;
	const dbc_gen_plan *p = pr->plan;
	char *start_json, *start_fp, *json, *fp;
	if (fingerprint(s, &start_json, &start_fp) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < p->n; i++) {
		const char *sql = p->items[i].proof ? p->items[i].proof : p->items[i].statement;
		if (s->host->exec(s, sql) != DBC_OK)
			return step_failed(s, i + 1, "up", sql);
	}
	if (fingerprint(s, &json, &fp) != DBC_OK)
		return DBC_ERROR;
	if (strcmp(fp, pr->want_fp) != 0) {
		char *what = first_change(s, pr->want_json, json);
		dbc_error(s, DBC_SQLSTATE_BAD_STATE,
		          "the generated migration does not reach the desired schema");
		dbc_error_detail(s, "after the up: %s", what);
		if (getenv("DBCARE_GENERATE_DEBUG"))
			dbc_error_hint(s, "want %s\ngot  %s", pr->want_json, json);
		dbc_error_hint(s, "Write that change by hand; the plan rows show the rest.");
		return DBC_ERROR;
	}
	for (int i = p->n - 1; i >= 0; i--) {
		const char *sql =
		    p->items[i].proof_reverse ? p->items[i].proof_reverse : p->items[i].reverse;
		if (sql && s->host->exec(s, sql) != DBC_OK)
			return step_failed(s, i + 1, "down", sql);
	}
	if (fingerprint(s, &json, &fp) != DBC_OK)
		return DBC_ERROR;
	if (strcmp(fp, start_fp) != 0) {
		char *what = first_change(s, start_json, json);
		dbc_error(s, DBC_SQLSTATE_BAD_STATE,
		          "the generated down does not return to the starting schema");
		dbc_error_detail(s, "after the down: %s", what);
		return DBC_ERROR;
	}
	return DBC_OK;
}

int dbc_gen_prove(dbc_ctx *ctx, const dbc_migrate_hooks *env, const dbc_gen_plan *plan,
                  const char *want_json, const char *want_fp)
{
	proof pr = {.plan = plan, .want_fp = want_fp, .want_json = want_json};
	return env->scratch(ctx, prove_in, &pr);
}
