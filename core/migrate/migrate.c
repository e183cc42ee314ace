/*
 * migrate.c — the dbmigrate_* flows, written once for both engines: read the
 * bookkeeping once, decide with migrate_model.c, run scripts statement by
 * statement (so a failure names its line), record each step in O(1), and take
 * the schema snapshot once at the end of the call.
 */
#include "base/clock.h"
#include "migrate/migrate.h"
#include "migrate/lint.h"
#include "migrate/migrate_checksum.h"
#include "migrate/migrate_script.h"
#include "migrate/migrate_store.h"
#include "migrate/migrate_text.h"
#include "migrate/migrate_trust.h"
#include "migrate/migrate_version.h"
#include "migrate/rename_log.h"
#include "settings/settings.h"

#include <string.h>
#include <strings.h>

static bool is_blank(const char *s)
{
	for (; *s; s++)
		if (!strchr(" \t\r\n\f\v", *s))
			return false;
	return true;
}

static char *label_of(dbc_ctx *ctx, const dbc_mig *m)
{
	return m->repeatable ? dbc_printf(ctx, "repeatable (%s)", m->name)
	                     : dbc_printf(ctx, "%s (%s)", m->version, m->name);
}

static int out_of_order_allowed(dbc_ctx *ctx, bool *allow)
{
	char *v;
	if (dbc_setting_get(ctx, "migrate.out_of_order", &v) != DBC_OK)
		return DBC_ERROR;
	*allow = strcmp(v, "allow") == 0;
	return DBC_OK;
}

/* Normalises and checks a script for registration; *norm is what is stored. */
static int prepare_script(dbc_ctx *ctx, const char *script, const char *what, const char *label,
                          char **norm, bool *no_tx, bool blank_ok)
{
	*norm = dbc_script_normalise(ctx, script);
	if (!*norm)
		return DBC_ERROR;
	if (is_blank(*norm) && !blank_ok)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "%s of migration %s is empty", what,
		                 label);
	dbc_script_info info;
	if (dbc_script_analyse(ctx, ctx->host->dialect, *norm, &info) != DBC_OK ||
	    dbc_script_check_shell(ctx, &info, ctx->host->dialect, label) != DBC_OK ||
	    dbc_script_check(ctx, &info, label, DBC_SQLSTATE_BAD_ARGUMENT) != DBC_OK)
		return DBC_ERROR;
	if (no_tx)
		*no_tx = info.no_transaction;
	return DBC_OK;
}

/* ------------------------------------------------------------ registration */

typedef struct {
	char *version_text;
	bool found;
} existing_row;

static int take_existing(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	existing_row *e = arg;
	e->found = true;
	if (ncol > 0)
		e->version_text = dbc_mig_text(ctx, &c[0]);
	return ctx->failed ? DBC_ERROR : DBC_OK;
}

typedef struct {
	bool found;
	char *version_text, *name, *script, *down, *checksum;
	bool no_tx;
} registered_row;

static int take_registered_row(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	registered_row *r = arg;
	if (ncol < 6)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "unexpected registry row");
	r->found = true;
	r->version_text = dbc_mig_text(ctx, &c[0]);
	r->name = dbc_mig_text(ctx, &c[1]);
	r->script = dbc_mig_text(ctx, &c[2]);
	r->down = dbc_mig_text(ctx, &c[3]);
	r->checksum = dbc_mig_text(ctx, &c[4]);
	r->no_tx = dbc_mig_bool(&c[5]);
	return ctx->failed ? DBC_ERROR : DBC_OK;
}

static int take_flag(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	(void)ctx;
	(void)ncol;
	(void)c;
	*(bool *)arg = true;
	return DBC_OK;
}

static bool same_text(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* The INSERT found a row registered since this call looked (another session
 * registering the same migration at the same time): the same content is the
 * contract's no-op, different content an error rather than a silent choice
 * of one of the two. The lookup is kind-aware: key is the version of a
 * versioned migration, else the name of a repeatable. */
static int registered_concurrently(dbc_ctx *ctx, bool repeatable, const char *key,
                                   const char *vtext, const char *name, const char *up,
                                   const char *down, const char *checksum, bool no_tx)
{
	registered_row r = {0};
	dbc_value p = dbc_text(key);
	if (dbc_mig_query(ctx,
	                  repeatable ? "SELECT version_text, name, script, down_script, checksum, "
	                               "no_transaction FROM @migrations "
	                               "WHERE kind = 'repeatable' AND name = $1"
	                             : "SELECT version_text, name, script, down_script, checksum, "
	                               "no_transaction FROM @migrations WHERE version = $1",
	                  1, &p, take_registered_row, &r) != DBC_OK)
		return DBC_ERROR;
	if (!r.found) /* gone again (a concurrent load that failed): nothing to say */
		return DBC_OK;
	if (!repeatable && !same_text(r.version_text, vtext))
		return dbc_mig_duplicate_error(ctx, vtext, r.version_text);
	if (same_text(r.name, name) && same_text(r.script, up) && same_text(r.down, down) &&
	    same_text(r.checksum, checksum) && r.no_tx == no_tx)
		return DBC_OK;
	char *label = repeatable ? dbc_printf(ctx, "repeatable (%s)", name)
	                         : dbc_printf(ctx, "%s (%s)", key, name);
	dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
	          "migration %s was registered by another session at the same time, with "
	          "different content",
	          label ? label : key);
	dbc_error_detail(ctx, "registered: \"%s\", checksum %s", r.name ? r.name : "",
	                 r.checksum ? r.checksum : "?");
	dbc_error_hint(ctx, "Check which content is meant; registering it again replaces the "
	                    "other while it is pending.");
	return DBC_ERROR;
}

/* Runs a registry INSERT ... ON CONFLICT DO NOTHING; *inserted: whether it
 * wrote its row (false: another session registered the key meanwhile).
 * Where the engine counts a statement's changes (the dialect's
 * changes_query) that count answers: a RETURNING clause costs SQLite more
 * than the rest of the row's insert (about 22,000 instructions a row, its
 * results gathered in an ephemeral table). Otherwise RETURNING 1 tells. */
static int insert_new(dbc_ctx *ctx, const char *insert, int n, const dbc_value *p, bool *inserted)
{
	const char *changes = ctx->host->dialect->changes_query;
	*inserted = false;
	if (!changes) {
		char *sql = dbc_printf(ctx, "%s RETURNING 1", insert);
		return sql ? dbc_mig_query(ctx, sql, n, p, take_flag, inserted) : DBC_ERROR;
	}
	char *count = NULL;
	if (dbc_mig_query(ctx, insert, n, p, NULL, NULL) != DBC_OK ||
	    dbc_query_text(ctx, changes, 0, NULL, &count, NULL) != DBC_OK)
		return DBC_ERROR;
	*inserted = count && strcmp(count, "0") != 0;
	return DBC_OK;
}

/* Inserts or replaces one versioned migration (already validated); down may
 * be NULL (bound as a NULL text parameter). exists says what this call read
 * before; another session may have inserted since, which the INSERT's
 * ON CONFLICT DO NOTHING notices instead of failing with a unique violation. */
int dbc_mig_register_versioned(dbc_ctx *ctx, const char *canon, const char *vtext, const char *name,
                               const char *up, const char *down, const char *checksum,
                               const char *down_checksum, bool no_tx, bool exists)
{
	dbc_value p[8] = {dbc_text(canon),
	                  dbc_text(vtext),
	                  dbc_text(name),
	                  dbc_text(up),
	                  dbc_text(checksum),
	                  dbc_bool(no_tx),
	                  down ? dbc_text(down) : dbc_null(),
	                  down && down_checksum ? dbc_text(down_checksum) : dbc_null()};
	/* an identical UPDATE is the "same content again: no-op" of the contract */
	if (exists)
		return dbc_mig_query(ctx,
		                     "UPDATE @migrations SET version_text = $2, name = $3, script = $4, "
		                     "checksum = $5, no_transaction = $6, down_script = $7, "
		                     "down_checksum = $8 WHERE version = $1",
		                     8, p, NULL, NULL);
	bool inserted = false;
	if (insert_new(ctx,
	               "INSERT INTO @migrations (kind, version, version_text, name, script, "
	               "checksum, no_transaction, down_script, down_checksum) "
	               "VALUES ('versioned', $1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
	               8, p, &inserted) != DBC_OK)
		return DBC_ERROR;
	if (inserted)
		return DBC_OK;
	return registered_concurrently(ctx, false, canon, vtext, name, up, down, checksum, no_tx);
}

int dbc_mig_register_repeatable(dbc_ctx *ctx, const char *name, const char *sql,
                                const char *checksum, bool no_tx, bool exists)
{
	dbc_value p[4] = {dbc_text(name), dbc_text(sql), dbc_text(checksum), dbc_bool(no_tx)};
	if (exists)
		return dbc_mig_query(
		    ctx,
		    "UPDATE @migrations SET script = $2, checksum = $3, no_transaction = $4 "
		    "WHERE kind = 'repeatable' AND name = $1",
		    4, p, NULL, NULL);
	bool inserted = false;
	if (insert_new(ctx,
	               "INSERT INTO @migrations (kind, name, script, checksum, no_transaction) "
	               "VALUES ('repeatable', $1, $2, $3, $4) ON CONFLICT DO NOTHING",
	               4, p, &inserted) != DBC_OK)
		return DBC_ERROR;
	if (inserted)
		return DBC_OK;
	return registered_concurrently(ctx, true, name, NULL, name, sql, NULL, checksum, no_tx);
}

int dbc_mig_duplicate_error(dbc_ctx *ctx, const char *given, const char *registered)
{
	dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
	          "version %s is the same version as the registered version %s", given, registered);
	dbc_error_hint(ctx, "Versions compare by number: 1.0 and 1 (or 1_2 and 1.2) are one version. "
	                    "Register the migration under its existing version text.");
	return DBC_ERROR;
}

int dbc_mig_check_versioned(dbc_ctx *ctx, const char *version, const char *name, const char *up,
                            const char *down, bool from_file, dbc_mig_checked *out)
{
	char *label;
	*out = (dbc_mig_checked){.version = version, .name = name};
	if (dbc_version_canonical(ctx, version, "version", &out->canon) != DBC_OK)
		return DBC_ERROR;
	if (is_blank(name))
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "name of migration %s is empty",
		                 out->canon);
	if (dbc_mig_check_name(ctx, name, dbc_printf(ctx, "the name of migration %s", out->canon)) !=
	    DBC_OK)
		return DBC_ERROR;
	label = dbc_printf(ctx, "%s (%s)", out->canon, name);
	if (!label ||
	    prepare_script(ctx, up, "up script", label, &out->up, &out->no_tx, from_file) != DBC_OK ||
	    (down &&
	     prepare_script(ctx, down, "down script", label, &out->down, NULL, from_file) != DBC_OK) ||
	    (out->down && dbc_script_checksum(ctx, out->down, &out->down_checksum) != DBC_OK) ||
	    dbc_script_checksum(ctx, out->up, &out->checksum) != DBC_OK)
		return DBC_ERROR;
	return DBC_OK;
}

int dbc_mig_check_repeatable(dbc_ctx *ctx, const char *name, const char *sql, bool from_file,
                             dbc_mig_checked *out)
{
	char *label;
	*out = (dbc_mig_checked){.repeatable = true, .name = name};
	if (is_blank(name))
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "name of repeatable migration is empty");
	if (dbc_mig_check_name(ctx, name, "the name of a repeatable migration") != DBC_OK)
		return DBC_ERROR;
	label = dbc_printf(ctx, "repeatable (%s)", name);
	if (!label ||
	    prepare_script(ctx, sql, "script", label, &out->up, &out->no_tx, from_file) != DBC_OK ||
	    dbc_script_checksum(ctx, out->up, &out->checksum) != DBC_OK)
		return DBC_ERROR;
	return DBC_OK;
}

int dbc_mig_register_checked(dbc_ctx *ctx, const dbc_mig_checked *m)
{
	existing_row e = {NULL, false};
	if (m->repeatable) {
		dbc_value p = dbc_text(m->name);
		if (dbc_mig_query(ctx,
		                  "SELECT name FROM @migrations WHERE kind = 'repeatable' AND name = $1", 1,
		                  &p, take_existing, &e) != DBC_OK)
			return DBC_ERROR;
		return dbc_mig_register_repeatable(ctx, m->name, m->up, m->checksum, m->no_tx, e.found);
	}
	dbc_value p = dbc_text(m->canon);
	if (dbc_mig_query(ctx, "SELECT version_text FROM @migrations WHERE version = $1", 1, &p,
	                  take_existing, &e) != DBC_OK)
		return DBC_ERROR;
	if (e.found && e.version_text && strcmp(e.version_text, m->version) != 0)
		return dbc_mig_duplicate_error(ctx, m->version, e.version_text);
	return dbc_mig_register_versioned(ctx, m->canon, m->version, m->name, m->up, m->down,
	                                  m->checksum, m->down_checksum, m->no_tx, e.found);
}

/* One checked migration registered under the re-entrancy guard, the
 * bookkeeping made first when missing. */
static int register_alone(dbc_ctx *ctx, const dbc_mig_checked *m, char **checksum)
{
	*checksum = m->checksum;
	if (dbc_mig_guard_enter(ctx) != DBC_OK)
		return DBC_ERROR;
	int rc = ctx->host->book_ensure(ctx);
	if (rc == DBC_OK)
		rc = dbc_mig_register_checked(ctx, m);
	dbc_mig_guard_leave();
	return rc;
}

int dbc_migrate_add(dbc_ctx *ctx, const char *version, const char *name, const char *up,
                    const char *down, char **checksum)
{
	dbc_mig_checked m;
	if (dbc_mig_check_versioned(ctx, version, name, up, down, false, &m) != DBC_OK)
		return DBC_ERROR;
	return register_alone(ctx, &m, checksum);
}

int dbc_migrate_add_repeatable(dbc_ctx *ctx, const char *name, const char *sql, char **checksum)
{
	dbc_mig_checked m;
	if (dbc_mig_check_repeatable(ctx, name, sql, false, &m) != DBC_OK)
		return DBC_ERROR;
	return register_alone(ctx, &m, checksum);
}

/* ------------------------------------------------------------ reading */

static int read_status(dbc_ctx *ctx, dbc_load_mode mode, dbc_mig_set *set, dbc_mig_status *st)
{
	if (dbc_mig_read(ctx, mode, set) != DBC_OK)
		return DBC_ERROR;
	return dbc_mig_derive(ctx, set, st);
}

int dbc_migrate_status(dbc_ctx *ctx, dbc_rows *out)
{
	dbc_mig_set set;
	dbc_mig_status st;
	dbc_rows_init(out, ctx, 7);
	if (read_status(ctx, DBC_LOAD_META, &set, &st) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < st.nrows; i++) {
		const dbc_mig_row *r = &st.rows[i];
		const char *checksum = r->mig ? r->mig->checksum : r->applied->checksum;
		dbc_value row[7] = {
		    dbc_text(dbc_mig_row_version(r)),
		    dbc_text(dbc_mig_row_name(r)),
		    dbc_text(dbc_mig_row_kind(r)),
		    dbc_text(dbc_mig_state_name(r->state)),
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

static int canonical_opt(dbc_ctx *ctx, const char *v, const char *what, char **out)
{
	*out = NULL;
	return v ? dbc_version_canonical(ctx, v, what, out) : DBC_OK;
}

/* The plan of dbmigrate_apply, refused the way apply refuses. */
static int plan_apply(dbc_ctx *ctx, dbc_load_mode mode, const char *target, dbc_mig_set *set,
                      dbc_mig_status *st, dbc_mig_row ***plan, int *n)
{
	char *canon;
	bool allow;
	if (canonical_opt(ctx, target, "target version", &canon) != DBC_OK ||
	    out_of_order_allowed(ctx, &allow) != DBC_OK || read_status(ctx, mode, set, st) != DBC_OK ||
	    dbc_mig_check_applicable(ctx, set, st, allow) != DBC_OK)
		return DBC_ERROR;
	return dbc_mig_plan_up(ctx, st, canon, allow, plan, n);
}

int dbc_migrate_plan(dbc_ctx *ctx, const dbc_migrate_hooks *env, const char *target, dbc_rows *out)
{
	dbc_mig_set set;
	dbc_mig_status st;
	dbc_mig_row **plan;
	int n;
	char *mode = NULL;
	dbc_rows_init(out, ctx, 5);
	/* the lint reads the scripts; without it the plan needs none */
	if (dbc_setting_get(ctx, "migrate.lint", &mode) != DBC_OK)
		return DBC_ERROR;
	bool lint = mode && strcmp(mode, "off") != 0 && env && env->lint && ctx->host->notice;
	if (plan_apply(ctx, lint ? DBC_LOAD_UP_DUE : DBC_LOAD_META, target, &set, &st, &plan, &n) !=
	        DBC_OK ||
	    (lint && dbc_lint_gate(ctx, env, plan, n, false) != DBC_OK))
		return DBC_ERROR;
	for (int i = 0; i < n; i++) {
		const dbc_mig *m = plan[i]->mig;
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
	return dbc_mig_query(ctx,
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

/* Rows of the schema diff between the recorded snapshot and now; *drift
 * tells whether the fingerprints differ. The live schema is *live when the
 * caller has it, else read through the host only when a snapshot was
 * recorded (and handed back in *live). A cached model knows its
 * fingerprint, so the snapshot text is built only to diff. */
static int drift_rows(dbc_ctx *ctx, dbc_schema **live, dbc_schema_changes *diff, bool *drift)
{
	char *fp, *snap, *now, *nowfp;
	int64_t id;
	dbc_schema *s = *live;
	*drift = false;
	memset(diff, 0, sizeof(*diff));
	if (dbc_mig_last_snapshot(ctx, &fp, &id) != DBC_OK)
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
	if (dbc_mig_snapshot_text(ctx, id, &snap) != DBC_OK)
		return DBC_ERROR;
	if (!snap)
		return DBC_OK;
	if (dbc_schema_snapshot_json(s, &now) != DBC_OK)
		return DBC_ERROR;
	return dbc_schema_changes_of(ctx, snap, now, diff);
}

/* validate's "drift" problems, into out. */
static int drift_problems(dbc_ctx *ctx, dbc_schema **live, dbc_migrate_problems *out)
{
	bool drift;
	dbc_schema_changes diff;
	if (drift_rows(ctx, live, &diff, &drift) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < diff.n; i++) {
		const dbc_schema_change *d = &diff.items[i];
		const char *detail =
		    d->detail && d->detail[0]
		        ? dbc_printf(ctx, "%s %s %s: %s", d->object_type, d->object_name, d->change,
		                     d->detail)
		        : dbc_printf(ctx, "%s %s %s", d->object_type, d->object_name, d->change);
		if (!detail || add_problem(ctx, out, NULL, d->object_name, "drift", detail) != DBC_OK)
			return DBC_ERROR;
	}
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
	dbc_mig_set set;
	dbc_mig_status st;
	dbc_schema *live = NULL;
	bool allow;
	memset(out, 0, sizeof(*out));
	if (out_of_order_allowed(ctx, &allow) != DBC_OK ||
	    read_status(ctx, DBC_LOAD_META, &set, &st) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < st.nrows; i++) {
		const dbc_mig_row *r = &st.rows[i];
		const char *v = dbc_mig_row_version(r), *nm = dbc_mig_row_name(r);
		int rc = DBC_OK;
		if (r->state == DBC_MS_CHANGED && dbc_mig_up_differs(r->mig, r->applied))
			rc = add_problem(ctx, out, v, nm, "changed",
			                 dbc_printf(ctx, "applied with checksum %s, registered now with %s",
			                            r->applied->checksum, r->mig->checksum));
		else if (r->state == DBC_MS_CHANGED)
			rc = add_problem(
			    ctx, out, v, nm, "changed",
			    dbc_printf(ctx,
			               "the down script changed: applied with down script checksum %s, "
			               "registered now with %s",
			               r->applied->down_checksum, dbc_mig_down_to_record(r->mig)));
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
		if (add_problem(ctx, out, f->version, f->name, "failed",
		                f->error ? f->error : "did not finish") != DBC_OK)
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

/* ------------------------------------------------------------ running */

/* The engine's message of a failure inside a migration, for wrapping in ours:
 * a nested dbcare error (a dbcare function the script called) already carries
 * the prefix the glue adds again around the whole message. */
static const char *inner_message(const dbc_ctx *ctx, const char *fallback)
{
	const char *msg = ctx->message ? ctx->message : fallback;
	while (strncmp(msg, "dbcare: ", 8) == 0)
		msg += 8;
	return msg;
}

#define POLL_EVERY_MS 10.0
static _Thread_local double last_poll_ms;

/* The first script of a call always polls. */
static void poll_reset(void)
{
	last_poll_ms = -1e18;
}

/* A failure to record after a migration ran means it broke the bookkeeping. */
static int bookkeeping_broken(dbc_ctx *ctx, const char *label)
{
	const char *msg = inner_message(ctx, "");
	ctx->message = dbc_printf(ctx, "migration %s broke dbcare's bookkeeping: %s", label, msg);
	ctx->hint = dbc_strdup(ctx, "A migration must not drop or alter dbcare's own tables.");
	return DBC_ERROR;
}

/* Runs an analysed script statement by statement inside the current
 * savepoint; the renames and drops it makes go to the rename log as src's
 * (NULL: not logged). */
static int run_analysed(dbc_ctx *ctx, const dbc_script_info *info, const char *verb,
                        const char *label, const dbc_rename_source *src)
{
	if (dbc_script_check(ctx, info, label, DBC_SQLSTATE_BAD_STATE) != DBC_OK)
		return DBC_ERROR;
	/* The engines notice a cancel inside a statement themselves; between
	 * statements a poll every few milliseconds is enough (on SQLite a poll
	 * prepares a statement, a noticeable cost per small migration). */
	double now = dbc_monotonic_ms();
	if (now - last_poll_ms >= POLL_EVERY_MS) {
		last_poll_ms = now;
		if (ctx->host->interrupted && ctx->host->interrupted(ctx))
			return DBC_ERROR;
	}
	for (int i = 0; i < info->nstmts; i++) {
		const dbc_stmt *s = &info->stmts[i];
		char *sql = dbc_strndup(ctx, s->text, s->len);
		dbc_rename_note note = {0};
		if (!sql || (src && dbc_rename_log_before(ctx, s->text, s->len, &note) != DBC_OK))
			return DBC_ERROR;
		ctx->error_line = 0;
		if (ctx->host->exec(ctx, sql) == DBC_OK) {
			if (dbc_rename_log_after(ctx, src, &note) != DBC_OK)
				return bookkeeping_broken(ctx, label);
		} else {
			int line = s->line + (ctx->error_line > 0 ? ctx->error_line - 1 : 0);
			const char *msg = inner_message(ctx, "failed");
			const char *old = ctx->context;
			ctx->message = dbc_printf(ctx, "migration %s failed at line %d: %s", label, line, msg);
			/* the message has the error's line, the context the line the
			 * statement starts on (the same when the engine gives no position) */
			ctx->context =
			    old && *old
			        ? dbc_printf(ctx, "while %s migration %s, statement starting at line %d\n%s",
			                     verb, label, s->line, old)
			        : dbc_printf(ctx, "while %s migration %s, statement starting at line %d", verb,
			                     label, s->line);
			ctx->error_line = line;
			if (strcmp(ctx->sqlstate, "25001") == 0 && !ctx->hint)
				ctx->hint =
				    dbc_strdup(ctx, "Make the first line of the script "
				                    "-- dbcare:no-transaction and run it with dbmigrate_script().");
			return DBC_ERROR;
		}
	}
	return DBC_OK;
}

static int run_script(dbc_ctx *ctx, const char *script, const char *verb, const char *label,
                      const dbc_rename_source *src)
{
	dbc_script_info info;
	if (dbc_script_analyse(ctx, ctx->host->dialect, script, &info) != DBC_OK)
		return DBC_ERROR;
	return run_analysed(ctx, &info, verb, label, src);
}

/* Runs one migration up; its bookkeeping is written with the others at the
 * end of the call (dbc_mig_record_applied), into *done. */
static int apply_one(dbc_ctx *ctx, const dbc_mig_row *r, dbc_mig_done *done)
{
	dbc_mig *m = r->mig;
	char *label = label_of(ctx, m);
	if (!label)
		return DBC_ERROR;
	if (!m->script)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "script of migration %s was not loaded",
		                 label);
	/* the lint gate analysed the script already (dbc_mig_script_info) */
	const dbc_script_info *info;
	double t0 = dbc_monotonic_ms();
	dbc_rename_source src = {m->version ? m->version : m->name, "up"};
	if (dbc_mig_script_info(ctx, m, &info) != DBC_OK ||
	    run_analysed(ctx, info, "applying", label, &src) != DBC_OK)
		return DBC_ERROR;
	done->mig = m;
	done->duration_ms = dbc_monotonic_ms() - t0;
	done->at_s = dbc_now_epoch();
	if (m->repeatable && r->applied) {
		dbc_value d = dbc_text(m->name);
		if (dbc_mig_query(ctx,
		                  "DELETE FROM @migrations_applied WHERE kind = 'repeatable' AND name = $1",
		                  1, &d, NULL, NULL) != DBC_OK)
			return bookkeeping_broken(ctx, label);
	}
	return DBC_OK;
}

/* The bookkeeping of the whole call failed: blame the last migration of the
 * call that names dbcare's tables, as the per-migration write used to. */
static int record_failed(dbc_ctx *ctx, const dbc_mig_done *done, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		const char *script = done[i].mig->script;
		for (const char *p = script; p && *p; p++)
			if (strncasecmp(p, "dbcare", 6) == 0)
				return bookkeeping_broken(ctx, label_of(ctx, done[i].mig));
	}
	return bookkeeping_broken(ctx, "applied in this call");
}

/* run: dbmigrate_run's steps (a procedure) rather than dbmigrate_apply (a
 * function); neither can give a statement the top level it needs. */
static int refuse_no_transaction(dbc_ctx *ctx, dbc_mig_row **plan, int n, bool run)
{
	dbc_buf b;
	int k = 0;
	dbc_buf_init(&b, ctx);
	for (int i = 0; i < n; i++)
		if (plan[i]->mig->no_transaction) {
			if (k++)
				dbc_buf_append(&b, ", ");
			dbc_buf_append(&b, label_of(ctx, plan[i]->mig));
		}
	if (!k)
		return DBC_OK;
	dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
	          "cannot apply %d non-transactional migration(s) inside %s", k,
	          run ? "the procedure dbmigrate_run" : "a function");
	dbc_error_detail(ctx, "marked -- dbcare:no-transaction: %s", dbc_buf_finish(&b));
	dbc_error_hint(ctx,
	               "Run them with the script from dbmigrate_script() in psql or sqlite3, or "
	               "apply only up to the version before them with %s.",
	               run ? "CALL dbmigrate_run(target)" : "dbmigrate_apply(target)");
	return DBC_ERROR;
}

/* dbmigrate_apply, or with limit 1 one step of dbmigrate_run (limit 0: all). */
static int apply_upto(dbc_ctx *ctx, const dbc_migrate_hooks *env, const char *target, int limit,
                      int64_t *count)
{
	dbc_mig_frame f;
	dbc_mig_set set;
	dbc_mig_status st;
	dbc_mig_row **plan;
	int n = 0, rc;
	*count = 0;
	if (target && !dbc_version_valid(target))
		return dbc_version_canonical(ctx, target, "target version", &(char *){NULL});
	rc = dbc_mig_frame_begin(ctx, env, &f, true);
	if (rc == DBC_OK)
		rc = plan_apply(ctx, DBC_LOAD_UP_DUE, target, &set, &st, &plan, &n);
	if (rc == DBC_OK && limit > 0 && n > limit)
		n = limit;
	if (rc == DBC_OK)
		rc = refuse_no_transaction(ctx, plan, n, limit > 0);
	if (rc == DBC_OK)
		rc = dbc_mig_check_registrants(ctx, env, plan, n, "apply");
	if (rc == DBC_OK)
		rc = dbc_lint_gate(ctx, env, plan, n, true);
	dbc_mig_done *done = rc == DBC_OK && n > 0 ? dbc_alloc(ctx, sizeof(dbc_mig_done) * n) : NULL;
	if (n > 0 && !done)
		rc = DBC_ERROR;
	for (int i = 0; rc == DBC_OK && i < n; i++)
		rc = dbc_rename_log_prepare(ctx, plan[i]->mig->script);
	poll_reset();
	for (int i = 0; rc == DBC_OK && i < n; i++)
		rc = apply_one(ctx, plan[i], &done[i]);
	if (rc == DBC_OK && n > 0 && dbc_mig_record_applied(ctx, done, n) != DBC_OK)
		rc = record_failed(ctx, done, n);
	if (rc == DBC_OK && n > 0)
		rc = dbc_mig_store_snapshot(ctx, 0);
	rc = dbc_mig_frame_end(ctx, &f, rc);
	if (rc == DBC_OK)
		*count = n;
	return rc;
}

int dbc_migrate_apply(dbc_ctx *ctx, const dbc_migrate_hooks *env, const char *target,
                      int64_t *count)
{
	return apply_upto(ctx, env, target, 0, count);
}

int dbc_migrate_apply_next(dbc_ctx *ctx, const dbc_migrate_hooks *env, const char *target,
                           int64_t *count)
{
	return apply_upto(ctx, env, target, 1, count);
}

static int rollback_one(dbc_ctx *ctx, const dbc_mig_row *r)
{
	const dbc_mig *m = r->mig;
	char *label = label_of(ctx, m);
	if (!label)
		return DBC_ERROR;
	if (!m->down_script)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "down script of %s was not loaded", label);
	if (dbc_script_is_no_transaction(m->down_script)) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
		          "the down script of migration %s is marked -- dbcare:no-transaction", label);
		dbc_error_hint(ctx, "Roll it back with the script from dbmigrate_script('rollback', "
		                    "target) in psql or sqlite3.");
		return DBC_ERROR;
	}
	double t0 = dbc_monotonic_ms();
	dbc_rename_source src = {m->version, "down"};
	if (run_script(ctx, m->down_script, "rolling back", label, &src) != DBC_OK)
		return DBC_ERROR;
	double ms = dbc_monotonic_ms() - t0;
	dbc_value p = dbc_text(m->version);
	if (dbc_mig_query(ctx, "DELETE FROM @migrations_applied WHERE version = $1", 1, &p, NULL,
	                  NULL) != DBC_OK ||
	    dbc_mig_record(ctx, m->version, m->name, "versioned", "down", m->checksum, ms, true, NULL,
	                   0) != DBC_OK)
		return bookkeeping_broken(ctx, label);
	return DBC_OK;
}

int dbc_migrate_rollback(dbc_ctx *ctx, const dbc_migrate_hooks *env, const char *target,
                         int64_t *count)
{
	dbc_mig_frame f;
	dbc_mig_set set;
	dbc_mig_status st;
	dbc_mig_row **plan;
	char *canon = NULL;
	int n = 0, rc;
	*count = 0;
	if (canonical_opt(ctx, target, "target version", &canon) != DBC_OK)
		return DBC_ERROR;
	rc = dbc_mig_frame_begin(ctx, env, &f, true);
	if (rc == DBC_OK)
		rc = read_status(ctx, DBC_LOAD_DOWN_APPLIED, &set, &st);
	if (rc == DBC_OK && set.nfailed)
		rc = dbc_mig_check_applicable(ctx, &set, &st, true);
	if (rc == DBC_OK)
		rc = dbc_mig_plan_down(ctx, &st, canon, &plan, &n);
	if (rc == DBC_OK)
		rc = dbc_mig_check_registrants(ctx, env, plan, n, "roll back");
	for (int i = 0; rc == DBC_OK && i < n; i++)
		rc = dbc_rename_log_prepare(ctx, plan[i]->mig->down_script);
	poll_reset();
	for (int i = 0; rc == DBC_OK && i < n; i++)
		rc = rollback_one(ctx, plan[i]);
	if (rc == DBC_OK && n > 0)
		rc = dbc_mig_store_snapshot(ctx, 0);
	rc = dbc_mig_frame_end(ctx, &f, rc);
	if (rc == DBC_OK)
		*count = n;
	return rc;
}

/* ------------------------------------------------------------ verify */

/* PostgreSQL's "unsafe use of new value": an enum value added in this
 * transaction, used before it commits. dbmigrate_run commits between
 * migrations, so there such a step succeeds; one transaction cannot prove it. */
#define SQLSTATE_UNSAFE_NEW_ENUM_VALUE "55P04"

/* Runs script in its own savepoint; on failure rolls it back and returns the
 * error text (the ctx error cleared) in *err, and whether it failed only
 * because an enum value added earlier in the transaction is not committed
 * yet in *uncommitted_enum. */
static int try_script(dbc_ctx *ctx, const char *script, const char *verb, const char *label,
                      int *level, char **err, bool *uncommitted_enum)
{
	*err = NULL;
	*uncommitted_enum = false;
	*level = ctx->host->savepoint(ctx);
	if (*level < 0)
		return DBC_ERROR;
	if (run_script(ctx, script, verb, label, NULL) == DBC_OK)
		return DBC_OK;
	*err = dbc_strdup(ctx, ctx->message ? ctx->message : "failed");
	*uncommitted_enum = strcmp(ctx->sqlstate, SQLSTATE_UNSAFE_NEW_ENUM_VALUE) == 0;
	dbc_error_clear(ctx);
	ctx->host->rollback(ctx, *level);
	*level = -1;
	return ctx->failed ? DBC_ERROR : DBC_OK;
}

static int fingerprint_now(dbc_ctx *ctx, char **fp)
{
	return dbc_schema_fingerprint(ctx, ctx->host->read_schema, fp);
}

static const char *enum_detail(dbc_ctx *ctx, const char *err)
{
	return dbc_printf(ctx,
	                  "not provable in one transaction: it uses an enum value added in this "
	                  "call, which CALL dbmigrate_run() commits first (%s)",
	                  err);
}

/* Proves the down script of m, and up after it, from the state just after
 * m's up, then rolls that proof back: the next migration starts from the
 * state the real apply leaves, whatever the down script did (issue: a no-op
 * up whose down drops a column must not make later proofs start without
 * it). Fills row[3..5]. */
static int prove_down(dbc_ctx *ctx, const dbc_mig *m, const char *label, const char *fp0,
                      dbc_value *row)
{
	char *err = NULL, *fp1 = NULL;
	bool enum_err = false;
	int level = -1;
	if (try_script(ctx, m->down_script, "verifying the down script of", label, &level, &err,
	               &enum_err) != DBC_OK)
		return DBC_ERROR;
	if (err) {
		row[3] = enum_err ? dbc_null() : dbc_bool(false);
		row[5] = dbc_text(enum_err ? enum_detail(ctx, err) : err);
		return DBC_OK;
	}
	row[3] = dbc_bool(true);
	if (fingerprint_now(ctx, &fp1) != DBC_OK)
		return DBC_ERROR;
	bool same = strcmp(fp0, fp1) == 0;
	row[4] = dbc_bool(same);
	if (!same)
		row[5] = dbc_text("the schema after up and down differs from the schema before up");
	/* up again after down, as a rollback and a later apply would */
	if (run_script(ctx, m->script, "re-applying", label, NULL) != DBC_OK) {
		err = dbc_strdup(ctx, ctx->message);
		dbc_error_clear(ctx);
		if (ctx->failed)
			return DBC_ERROR;
		row[5] = dbc_text(dbc_printf(ctx, "up failed after down: %s", err));
	}
	return ctx->host->rollback(ctx, level);
}

int dbc_migrate_verify(dbc_ctx *ctx, const dbc_migrate_hooks *env, const char *version,
                       dbc_rows *out)
{
	dbc_mig_frame f;
	dbc_mig_set set;
	dbc_mig_status st;
	dbc_mig_row **plan;
	int n = 0, rc;
	/* why the remaining migrations are not tried; NULL while they are */
	const char *stopped = NULL;
	dbc_rows_init(out, ctx, 6);
	if (version && !dbc_version_valid(version))
		return dbc_version_canonical(ctx, version, "version", &(char *){NULL});
	rc = dbc_mig_frame_begin(ctx, env, &f, true);
	if (rc == DBC_OK)
		rc = plan_apply(ctx, DBC_LOAD_ALL, version, &set, &st, &plan, &n);
	if (rc == DBC_OK)
		rc = dbc_mig_check_registrants(ctx, env, plan, n, "verify");
	poll_reset();
	/* Each migration is proven from the state the real apply reaches just
	 * before it: the ups before it applied, nothing else. When that state
	 * cannot be reached here (an up failed, or was not run), the rest are
	 * listed as not tried, with the reason. */
	for (int i = 0; rc == DBC_OK && i < n; i++) {
		const dbc_mig *m = plan[i]->mig;
		char *label = label_of(ctx, m), *err = NULL, *fp0 = NULL;
		bool enum_err = false;
		dbc_value row[6] = {dbc_text(m->version), dbc_text(m->name), dbc_null(),
		                    dbc_null(),           dbc_null(),        dbc_null()};
		int up_level = -1;
		dbc_progress(ctx, i + 1, n, dbc_printf(ctx, "verifying %s", label));
		if (stopped) {
			row[5] = dbc_text(stopped);
		} else if (m->no_transaction) {
			row[5] = dbc_text("non-transactional: run it with dbmigrate_script() on a copy");
			stopped = dbc_printf(ctx,
			                     "not tried: the non-transactional migration %s before it "
			                     "was not run",
			                     label);
		} else {
			if (m->has_down && (rc = fingerprint_now(ctx, &fp0)) != DBC_OK)
				break;
			if ((rc = try_script(ctx, m->script, "verifying", label, &up_level, &err, &enum_err)) !=
			    DBC_OK)
				break;
			if (err) {
				row[2] = enum_err ? dbc_null() : dbc_bool(false);
				row[5] = dbc_text(enum_err ? enum_detail(ctx, err) : err);
				stopped = dbc_printf(ctx, "not tried: migration %s before it %s", label,
				                     enum_err ? "could not be proven" : "failed");
			} else {
				row[2] = dbc_bool(true);
				if (m->has_down)
					rc = prove_down(ctx, m, label, fp0, row);
				if (rc == DBC_OK)
					rc = ctx->host->release(ctx, up_level);
			}
		}
		if (rc == DBC_OK)
			rc = dbc_rows_add(out, row);
	}
	if (rc != DBC_OK)
		return dbc_mig_frame_end(ctx, &f, rc);
	/* nothing of the proof is kept: schema, history and registry as before */
	return dbc_mig_frame_discard(ctx, &f);
}

/* ------------------------------------------------------------ baseline, repair */

typedef struct {
	int64_t n;
} count_arg;

static int take_count(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	count_arg *ca = arg;
	bool isnull;
	if (ncol > 0)
		ca->n = (int64_t)dbc_mig_num(&c[0], &isnull);
	(void)ctx;
	return DBC_OK;
}

int dbc_migrate_baseline(dbc_ctx *ctx, const dbc_migrate_hooks *env, const char *version,
                         int64_t *count)
{
	dbc_mig_frame f;
	dbc_mig_set set;
	dbc_mig_status st;
	char *canon;
	count_arg events = {0};
	int64_t n = 0;
	bool registered = false;
	*count = 0;
	if (dbc_version_canonical(ctx, version, "baseline version", &canon) != DBC_OK)
		return DBC_ERROR;
	int rc = dbc_mig_frame_begin(ctx, env, &f, true);
	if (rc == DBC_OK)
		rc = dbc_mig_query(ctx, "SELECT count(*) FROM @migrations_history", 0, NULL, take_count,
		                   &events);
	if (rc == DBC_OK)
		rc = read_status(ctx, DBC_LOAD_META, &set, &st);
	if (rc == DBC_OK && (events.n > 0 || set.napplied > 0)) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
		          "cannot baseline: the migration history is not empty (%lld event(s))",
		          (long long)events.n);
		dbc_error_hint(ctx, "dbmigrate_baseline adopts a database that dbcare has never migrated.");
		rc = DBC_ERROR;
	}
	for (int i = 0; rc == DBC_OK && i < st.nrows; i++) {
		const dbc_mig *m = st.rows[i].mig;
		if (!m || m->repeatable || dbc_version_cmp(m->version, canon) > 0)
			continue;
		if (dbc_version_cmp(m->version, canon) == 0)
			registered = true;
		dbc_value p[3] = {dbc_text(m->version), dbc_text(m->name), dbc_text(m->checksum)};
		rc = dbc_mig_query(ctx,
		                   "INSERT INTO @migrations_applied (kind, version, name, checksum) "
		                   "VALUES ('baseline', $1, $2, $3)",
		                   3, p, NULL, NULL);
		if (rc == DBC_OK)
			rc = dbc_mig_record(ctx, m->version, m->name, "baseline", "baseline", m->checksum, -1,
			                    true, NULL, 0);
		n++;
	}
	if (rc == DBC_OK && !registered) {
		/* a marker, so the current version is the baseline even with nothing registered */
		dbc_value p[2] = {dbc_text(canon), dbc_text("<< baseline >>")};
		rc = dbc_mig_query(ctx,
		                   "INSERT INTO @migrations_applied (kind, version, name) "
		                   "VALUES ('baseline', $1, $2)",
		                   2, p, NULL, NULL);
		if (rc == DBC_OK)
			rc = dbc_mig_record(ctx, canon, "<< baseline >>", "baseline", "baseline", NULL, -1,
			                    true, NULL, 0);
	}
	if (rc == DBC_OK)
		rc = dbc_mig_store_snapshot(ctx, 0);
	rc = dbc_mig_frame_end(ctx, &f, rc);
	if (rc == DBC_OK)
		*count = n;
	return rc;
}

int dbc_migrate_repair(dbc_ctx *ctx, const dbc_migrate_hooks *env, int64_t *count)
{
	dbc_mig_frame f;
	dbc_mig_set set;
	dbc_mig_status st;
	dbc_schema_changes diff;
	dbc_schema *live = NULL;
	bool drift = false;
	int nchanged = 0, nmissing = 0;
	*count = 0;
	int rc = dbc_mig_frame_begin(ctx, env, &f, true);
	if (rc == DBC_OK)
		rc = read_status(ctx, DBC_LOAD_META, &set, &st);
	for (int i = 0; rc == DBC_OK && i < st.nrows; i++) {
		const dbc_mig_row *r = &st.rows[i];
		if (r->state == DBC_MS_CHANGED) {
			const char *down = dbc_mig_down_to_record(r->mig);
			dbc_value p[4] = {dbc_text(r->mig->checksum), dbc_text(r->mig->name),
			                  dbc_text(r->mig->version), down ? dbc_text(down) : dbc_null()};
			rc = dbc_mig_query(ctx,
			                   "UPDATE @migrations_applied SET checksum = $1, name = $2, "
			                   "down_checksum = $4 WHERE version = $3",
			                   4, p, NULL, NULL);
			nchanged++;
		} else if (r->state == DBC_MS_MISSING) {
			const dbc_applied *a = r->applied;
			dbc_value p = dbc_text(a->version ? a->version : a->name);
			rc = dbc_mig_query(ctx,
			                   a->version ? "DELETE FROM @migrations_applied WHERE version = $1"
			                              : "DELETE FROM @migrations_applied "
			                                "WHERE kind = 'repeatable' AND name = $1",
			                   1, &p, NULL, NULL);
			nmissing++;
		}
	}
	if (rc == DBC_OK && set.nfailed)
		rc = dbc_mig_query(ctx, "DELETE FROM @migrations_history WHERE NOT success", 0, NULL, NULL,
		                   NULL);
	if (rc == DBC_OK)
		rc = drift_rows(ctx, &live, &diff, &drift);
	int64_t n = nchanged + nmissing + set.nfailed + (drift ? 1 : 0);
	if (rc == DBC_OK && n > 0) {
		char *what = dbc_printf(ctx,
		                        "repair: accepted %d changed checksum(s), forgot %d missing "
		                        "migration(s), removed %d unfinished record(s)%s",
		                        nchanged, nmissing, set.nfailed,
		                        drift ? ", accepted the current schema (drift)" : "");
		rc = dbc_mig_record(ctx, NULL, what, "repair", "repair", NULL, -1, true, NULL, 0);
		if (rc == DBC_OK)
			rc = dbc_mig_store_snapshot(ctx, 0);
	}
	rc = dbc_mig_frame_end(ctx, &f, rc);
	if (rc == DBC_OK)
		*count = n;
	return rc;
}
