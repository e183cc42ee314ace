/*
 * migrate_read.c — reading the migration state without changing it:
 * dbmigrate_status, the plan of an apply, the history, drift and the
 * problems validate reports.
 */
#include "base/clock.h"
#include "migrate/migrate.h"
#include "migrate/migrate_flow.h"
#include "migrate/lint.h"
#include "migrate/migrate_checksum.h"
#include "migrate/migrate_script.h"
#include "migrate/migrate_store.h"
#include "migrate/migrate_text.h"
#include "migrate/migrate_trust.h"
#include "migrate/migrate_version.h"
#include "migrate/rename_log.h"
#include "retain/retain.h"
#include "settings/settings.h"

#include <string.h>
#include <strings.h>

static int out_of_order_allowed(dbc_ctx *ctx, bool *allow)
{
	char *v;
	if (dbc_setting_get(ctx, "migrate.out_of_order", &v) != DBC_OK)
		return DBC_ERROR;
	*allow = strcmp(v, "allow") == 0;
	return DBC_OK;
}

/* ------------------------------------------------------------ reading */

int dbc_migrate_read_status(dbc_ctx *ctx, dbc_load_mode mode, dbc_migrate_set *set,
                            dbc_migrate_derived *st)
{
	if (dbc_migrate_read(ctx, mode, set) != DBC_OK)
		return DBC_ERROR;
	return dbc_migrate_derive(ctx, set, st);
}

/* Whether row r's migration has a step running now in another session. */
static bool row_running(const dbc_migrate_set *set, const dbc_migrate_row *r)
{
	const char *v = dbc_migrate_row_version(r), *nm = dbc_migrate_row_name(r);
	for (int i = 0; i < set->nfailed; i++) {
		const dbc_failed *f = &set->failed[i];
		if (f->live && (v ? f->version && dbc_version_cmp(f->version, v) == 0
		                  : !f->version && f->name && strcmp(f->name, nm) == 0))
			return true;
	}
	return false;
}

int dbc_migrate_status(dbc_ctx *ctx, dbc_rows *out)
{
	dbc_migrate_set set;
	dbc_migrate_derived st;
	dbc_rows_init(out, ctx, 7);
	if (dbc_migrate_read_status(ctx, DBC_LOAD_META, &set, &st) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < st.nrows; i++) {
		const dbc_migrate_row *r = &st.rows[i];
		const char *checksum = r->mig ? r->mig->checksum : r->applied->checksum;
		dbc_value row[7] = {
		    dbc_text(dbc_migrate_row_version(r)),
		    dbc_text(dbc_migrate_row_name(r)),
		    dbc_text(dbc_migrate_row_kind(r)),
		    dbc_text(row_running(&set, r) ? "running" : dbc_migrate_state_name(r->state)),
		    dbc_text(checksum),
		    dbc_text(r->applied ? r->applied->applied_at : NULL),
		    r->applied && r->applied->has_duration ? dbc_float(r->applied->duration_ms)
		                                           : dbc_null(),
		};
		if (dbc_rows_add(out, row) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

int dbc_migrate_canonical_opt(dbc_ctx *ctx, const char *v, const char *what, char **out)
{
	*out = NULL;
	return v ? dbc_version_canonical(ctx, v, what, out) : DBC_OK;
}

/* The plan of dbmigrate_apply, refused the way apply refuses; listing (the
 * plan shown, or driven by `dbcare migrate --online`): the half-done online
 * runs are not refused, their migrations listed as pending (what runs them
 * refuses: dbmigrate_apply, or step_begin unless 'online' resumes them). */
static int plan_apply(dbc_ctx *ctx, dbc_load_mode mode, const char *target, bool listing,
                      dbc_migrate_set *set, dbc_migrate_derived *st, dbc_migrate_row ***plan,
                      int *n)
{
	char *canon;
	bool allow;
	if (dbc_migrate_canonical_opt(ctx, target, "target version", &canon) != DBC_OK ||
	    out_of_order_allowed(ctx, &allow) != DBC_OK ||
	    dbc_migrate_read_status(ctx, mode, set, st) != DBC_OK)
		return DBC_ERROR;
	int kept = 0;
	for (int i = 0; listing && i < set->nfailed; i++)
		if (!dbc_migrate_failed_resumable(&set->failed[i]))
			set->failed[kept++] = set->failed[i];
	if (listing)
		set->nfailed = kept;
	if (dbc_migrate_check_applicable(ctx, set, st, allow) != DBC_OK)
		return DBC_ERROR;
	return dbc_migrate_plan_up(ctx, st, canon, allow, plan, n);
}

int dbc_migrate_plan_apply(dbc_ctx *ctx, dbc_load_mode mode, const char *target,
                           dbc_migrate_set *set, dbc_migrate_derived *st, dbc_migrate_row ***plan,
                           int *n)
{
	return plan_apply(ctx, mode, target, false, set, st, plan, n);
}

int dbc_migrate_plan(dbc_ctx *ctx, const dbc_migrate_hooks *env, const char *target, dbc_rows *out)
{
	dbc_migrate_set set;
	dbc_migrate_derived st;
	dbc_migrate_row **plan;
	int n;
	char *mode = NULL;
	dbc_rows_init(out, ctx, 5);
	/* the lint reads the scripts; without it the plan needs none */
	if (dbc_setting_get(ctx, "migrate.lint", &mode) != DBC_OK)
		return DBC_ERROR;
	bool lint = mode && strcmp(mode, "off") != 0 && env && env->lint && ctx->host->notice;
	if (plan_apply(ctx, lint ? DBC_LOAD_UP_DUE : DBC_LOAD_META, target, true, &set, &st, &plan,
	               &n) != DBC_OK ||
	    (lint && dbc_lint_gate(ctx, env, plan, n, false) != DBC_OK))
		return DBC_ERROR;
	for (int i = 0; i < n; i++) {
		const dbc_migration *m = plan[i]->mig;
		dbc_value row[5] = {dbc_int(i + 1), dbc_text(m->version), dbc_text(m->name),
		                    dbc_text(m->repeatable ? "repeatable" : "versioned"),
		                    dbc_text(m->no_transaction ? "script" : "up")};
		if (dbc_rows_add(out, row) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

typedef struct {
	dbc_rows *rows;
} copy_rows;

static int take_copy(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	copy_rows *cr = arg;
	(void)ctx;
	if (ncol != cr->rows->ncol)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "unexpected history row");
	return dbc_rows_add(cr->rows, c);
}

int dbc_migrate_history(dbc_ctx *ctx, dbc_rows *out)
{
	bool exists = false;
	dbc_rows_init(out, ctx, 12);
	if (ctx->host->book_exists(ctx, &exists) != DBC_OK)
		return DBC_ERROR;
	if (!exists)
		return DBC_OK;
	copy_rows cr = {out};
	return dbc_migrate_query(ctx,
	                         "SELECT id, version, name, kind, direction, checksum, fingerprint, "
	                         "applied_at, applied_by, duration_ms, success, error "
	                         "FROM @migrations_history ORDER BY id",
	                         0, NULL, take_copy, &cr);
}

static int add_problem(dbc_ctx *ctx, dbc_migrate_problems *out, const char *version,
                       const char *name, const char *problem, const char *detail)
{
	if (dbc_grow(ctx, &out->items, out->n, &out->cap, sizeof(*out->items), 8) != DBC_OK)
		return DBC_ERROR;
	out->items[out->n++] = (dbc_migrate_problem){version, name, problem, detail};
	return DBC_OK;
}

/* The recorded snapshot snap against the live model s, whose fingerprint
 * nowfp differs from the recorded one. A snapshot recorded before the model
 * had options by meaning (0.3.8 kept a boolean option as written: "with
 * (autovacuum_enabled=off)") is read by today's rule first: when that gives
 * exactly the live schema's text (its fingerprint), the schema has not
 * changed and there is no drift; otherwise the diff (which compares options
 * by meaning too) says what changed. */
static int drift_by_meaning(dbc_ctx *ctx, dbc_schema *s, const char *snap, const char *nowfp,
                            dbc_schema_changes *diff, bool *drift)
{
	char *read, *readfp, *now;
	if (dbc_snapshot_by_meaning(ctx, snap, &read) != DBC_OK)
		return DBC_ERROR;
	if (read != snap) {
		if (dbc_schema_fingerprint_of(ctx, read, &readfp) != DBC_OK)
			return DBC_ERROR;
		if (strcmp(readfp, nowfp) == 0) {
			*drift = false;
			return DBC_OK;
		}
	}
	if (dbc_schema_snapshot_json(s, &now) != DBC_OK)
		return DBC_ERROR;
	return dbc_schema_changes_of(ctx, snap, now, diff);
}

/* Rows of the schema diff between the recorded snapshot and now; *drift
 * tells whether the fingerprints differ. The live schema is *live when the
 * caller has it, else read through the host only when a snapshot was
 * recorded (and handed back in *live). A cached model knows its
 * fingerprint, so the snapshot text is built only to diff. */
int dbc_migrate_drift_rows(dbc_ctx *ctx, dbc_schema **live, dbc_schema_changes *diff, bool *drift)
{
	char *fp, *snap, *nowfp;
	int64_t id;
	dbc_schema *s = *live;
	*drift = false;
	memset(diff, 0, sizeof(*diff));
	if (dbc_migrate_last_snapshot(ctx, &fp, &id) != DBC_OK)
		return DBC_ERROR;
	if (!fp)
		return DBC_OK;
	if (!s) {
		if (!(s = dbc_zalloc(ctx, sizeof(*s))))
			return DBC_ERROR;
		dbc_schema_init(s, ctx);
		if (ctx->host->read_schema(ctx, s) != DBC_OK)
			return DBC_ERROR;
		*live = s;
	}
	if (dbc_schema_fingerprint_model(s, &nowfp) != DBC_OK)
		return DBC_ERROR;
	if (strcmp(fp, nowfp) == 0)
		return DBC_OK;
	*drift = true;
	/* the text of the same row; deleted meanwhile, the drift stays without details */
	if (dbc_migrate_snapshot_text(ctx, id, &snap) != DBC_OK)
		return DBC_ERROR;
	if (!snap)
		return DBC_OK;
	return drift_by_meaning(ctx, s, snap, nowfp, diff, drift);
}

/* validate's "drift" problems, into out. */
static int drift_problems(dbc_ctx *ctx, dbc_schema **live, dbc_migrate_problems *out)
{
	bool drift;
	dbc_schema_changes diff;
	dbc_strlist archives = {0};
	if (dbc_migrate_drift_rows(ctx, live, &diff, &drift) != DBC_OK ||
	    (diff.n > 0 && dbc_retain_archive_tables(ctx, &archives) != DBC_OK))
		return DBC_ERROR;
	int user_changes = 0;
	for (int i = 0; i < diff.n; i++) {
		const dbc_schema_change *d = &diff.items[i];
		/* an archive table a retention policy made or changed is dbcare's
		 * object, not the user's drift (retain_archives.c) */
		if (strcmp(d->object_type, "table") == 0 && d->object_name &&
		    dbc_strlist_find(&archives, d->object_name) >= 0)
			continue;
		user_changes++;
		const char *detail =
		    d->detail && d->detail[0]
		        ? dbc_printf(ctx, "%s %s %s: %s", d->object_type, d->object_name, d->change,
		                     d->detail)
		        : dbc_printf(ctx, "%s %s %s", d->object_type, d->object_name, d->change);
		if (!detail || add_problem(ctx, out, NULL, d->object_name, "drift", detail) != DBC_OK)
			return DBC_ERROR;
	}
	/* the fingerprints differ by the archives alone: no drift */
	if (diff.n > 0 && user_changes == 0)
		drift = false;
	if (drift && diff.n == 0 &&
	    add_problem(
	        ctx, out, NULL, NULL, "drift",
	        "the schema fingerprint differs from the one recorded after the last migration") !=
	        DBC_OK)
		return DBC_ERROR;
	return DBC_OK;
}

int dbc_migrate_drift(dbc_ctx *ctx, dbc_schema **live, dbc_migrate_problems *out)
{
	memset(out, 0, sizeof(*out));
	return drift_problems(ctx, live, out);
}

int dbc_migrate_problems_of(dbc_ctx *ctx, dbc_migrate_problems *out)
{
	dbc_migrate_set set;
	dbc_migrate_derived st;
	dbc_schema *live = NULL;
	bool allow;
	memset(out, 0, sizeof(*out));
	if (out_of_order_allowed(ctx, &allow) != DBC_OK ||
	    dbc_migrate_read_status(ctx, DBC_LOAD_META, &set, &st) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < st.nrows; i++) {
		const dbc_migrate_row *r = &st.rows[i];
		const char *v = dbc_migrate_row_version(r), *nm = dbc_migrate_row_name(r);
		int rc = DBC_OK;
		if (r->state == DBC_MS_CHANGED && dbc_migrate_up_differs(r->mig, r->applied))
			rc = add_problem(ctx, out, v, nm, "changed",
			                 dbc_printf(ctx, "applied with checksum %s, registered now with %s",
			                            r->applied->checksum, r->mig->checksum));
		else if (r->state == DBC_MS_CHANGED)
			rc = add_problem(
			    ctx, out, v, nm, "changed",
			    dbc_printf(ctx,
			               "the down script changed: applied with down script checksum %s, "
			               "registered now with %s",
			               r->applied->down_checksum, dbc_migrate_down_to_record(r->mig)));
		else if (r->state == DBC_MS_MISSING)
			rc = add_problem(ctx, out, v, nm, "missing",
			                 dbc_printf(ctx, "applied at %s, no longer registered",
			                            r->applied->applied_at ? r->applied->applied_at : "?"));
		else if (r->state == DBC_MS_OUT_OF_ORDER && !allow)
			rc = add_problem(
			    ctx, out, v, nm, "out_of_order",
			    dbc_printf(ctx, "pending, but older than the current version %s", st.current));
		if (rc != DBC_OK)
			return DBC_ERROR;
	}
	for (int i = 0; i < set.nfailed; i++) {
		const dbc_failed *f = &set.failed[i];
		if (add_problem(ctx, out, f->version, f->name, f->live ? "running" : "failed",
		                f->live    ? "running now in another session, outside a transaction"
		                : f->error ? f->error
		                           : "did not finish") != DBC_OK)
			return DBC_ERROR;
	}
	return drift_problems(ctx, &live, out);
}

/* (version, name, problem, detail), for the glue. */
int dbc_migrate_validate(dbc_ctx *ctx, dbc_rows *out)
{
	dbc_migrate_problems problems;
	dbc_rows_init(out, ctx, 4);
	if (dbc_migrate_problems_of(ctx, &problems) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < problems.n; i++) {
		const dbc_migrate_problem *p = &problems.items[i];
		dbc_value row[4] = {dbc_text(p->version), dbc_text(p->name), dbc_text(p->problem),
		                    dbc_text(p->detail)};
		if (dbc_rows_add(out, row) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}
