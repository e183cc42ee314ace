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

/* Whether dbcare migrate commits between plan steps a and b (either
 * order): they are in two migrations (dbc_gen_migration_end). */
static bool commit_between(const bool *txs, int n, int a, int b)
{
	int lo = a < b ? a : b, hi = a < b ? b : a;
	return dbc_gen_migration_end(txs, n, lo) <= hi;
}

/* The ups of steps (indexes into p, in order; NULL: every step) in order
 * (up) or their reverses newest first, cut into migrations as dbcare
 * migrate runs them: a step of a transactional migration as written; one
 * of a non-transactional migration, which migrate runs at top level, as
 * its stand-in inside the proof's transaction (st->proof, NULL: as
 * written); and where migrate commits (between two migrations, after the
 * last), the host's stand-in for that commit (proof_commit: what a commit
 * gives the statements after it, such as ADD VALUE's labels becoming
 * usable). */
int dbc_gen_run_steps(dbc_ctx *s, const dbc_gen_plan *p, const int *steps, int n, bool up)
{
	bool *txs = dbc_alloc(s, sizeof(bool) * (size_t)(p->n + 1));
	if (!txs)
		return DBC_ERROR;
	for (int i = 0; i < p->n; i++)
		txs[i] = p->items[i].transactional;
	for (int k = 0; k < n; k++) {
		int j = up ? k : n - 1 - k;
		int i = steps ? steps[j] : j;
		const dbc_gen_step *st = &p->items[i];
		const char *sql =
		    up ? (st->proof && !st->transactional ? st->proof : st->statement)
		       : (st->proof_reverse && !st->transactional ? st->proof_reverse : st->reverse);
		if (sql && s->host->exec(s, sql) != DBC_OK)
			return step_failed(s, i + 1, up ? "up" : "down", sql);
		int nj = up ? k + 1 : n - 2 - k; /* where the next step is in steps */
		int next = k + 1 < n ? (steps ? steps[nj] : nj) : -1;
		if (s->host->proof_commit && (next < 0 || commit_between(txs, p->n, i, next)) &&
		    s->host->proof_commit(s) != DBC_OK)
			return DBC_ERROR;
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
