/*
 * generate_proof_steps.c — the proof's pieces, shared by the proof on a
 * whole copy (generate_proof.c) and on the parts a plan touches
 * (generate_parts.c): running steps up or down, whether the schema reached
 * a fingerprint, and the error naming the first difference.
 */
#include "migrate/generate.h"

#include <stdlib.h>
#include <string.h>

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
