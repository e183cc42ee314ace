/*
 * migrate_render.c — dbmigrate_script: the pending migrations as a psql or
 * sqlite3 script that runs them at top level (the only way to run
 * non-transactional ones), with the step_begin / step_end bookkeeping calls
 * around each; and those two calls themselves.
 */
#include "base/clock.h"
#include "migrate/migrate.h"
#include "migrate/migrate_flow.h"
#include "migrate/migrate_script.h"
#include "migrate/migrate_store.h"
#include "migrate/migrate_text.h"
#include "migrate/migrate_trust.h"
#include "migrate/migrate_version.h"
#include "settings/settings.h"

#include <string.h>

/* A literal for the script; the host's quoting is the engine's. */
static char *lit(dbc_ctx *ctx, const char *s)
{
	return ctx->host->quote_literal(ctx, s);
}

static void append_script(dbc_ctx *ctx, dbc_buf *b, const char *script)
{
	dbc_script_info info;
	dbc_buf_append(b, script);
	dbc_buf_append(b, "\n");
	/* a last statement without ';' must not run into the bookkeeping call */
	if (dbc_script_analyse(ctx, ctx->host->dialect, script, &info) == DBC_OK &&
	    !info.ends_with_semicolon)
		dbc_buf_append(b, ";\n");
}

/* One step of a script: which bookkeeping key, which script, whether it
 * runs at top level. kind is "versioned" or "repeatable" for an up step,
 * "rollback" for a versioned migration's down script. */
typedef struct script_step {
	const char *kind, *key, *checksum, *sql;
	bool no_tx;
} script_step;

static script_step step_of(const dbc_migration *m, bool down)
{
	script_step st;
	st.kind = down ? "rollback" : m->repeatable ? "repeatable" : "versioned";
	st.key = m->repeatable ? m->name : m->version;
	st.checksum = down ? m->down_checksum : m->checksum;
	st.sql = down ? m->down_script : m->script;
	st.no_tx = down ? dbc_script_is_no_transaction(m->down_script) : m->no_transaction;
	return st;
}

/* A step for a shell that can skip it (psql): step_begin's answer, kept
 * by \gset, decides with \if whether the migration runs. */
static void render_skipping(dbc_ctx *ctx, dbc_buf *b, const script_step *st)
{
	char *call = dbc_printf(ctx, "%s, %s", lit(ctx, st->kind), lit(ctx, st->key));
	if (!st->no_tx)
		dbc_buf_append(b, ctx->host->dialect->script_begin);
	dbc_buf_appendf(b, "SELECT dbmigrate_step_begin(%s, %s) AS dbcare_run \\gset\n", call,
	                lit(ctx, st->checksum));
	dbc_buf_append(b, "\\if :dbcare_run\n");
	append_script(ctx, b, st->sql);
	dbc_buf_appendf(b, "SELECT dbmigrate_step_end(%s) AS dbcare_done \\gset\n", call);
	dbc_buf_append(b, "\\endif\n");
	if (!st->no_tx)
		dbc_buf_append(b, "COMMIT;\n");
}

/* A step for a shell that runs every statement (sqlite3): step_begin
 * stops the script with an error where the step is stale. */
static void render_stopping(dbc_ctx *ctx, dbc_buf *b, const script_step *st)
{
	char *call = dbc_printf(ctx, "%s, %s", lit(ctx, st->kind), lit(ctx, st->key));
	if (!st->no_tx)
		dbc_buf_append(b, ctx->host->dialect->script_begin);
	/* the shell prints every result row: these print none */
	dbc_buf_appendf(b,
	                "SELECT 1 FROM (SELECT dbmigrate_step_begin(%s, %s) AS r) WHERE r IS NULL;\n",
	                call, lit(ctx, st->checksum));
	append_script(ctx, b, st->sql);
	dbc_buf_appendf(b, "SELECT 1 FROM (SELECT dbmigrate_step_end(%s) AS r) WHERE r IS NULL;\n",
	                call);
	if (!st->no_tx)
		dbc_buf_append(b, "COMMIT;\n");
}

/* What the registry holds was checked at registration, but a row may have
 * been written by hand: nothing registered may become a line of its own in
 * the script (a psql meta-command, a sqlite3 dot-command), so such a
 * migration is refused here rather than written out. */
static int check_renderable(dbc_ctx *ctx, const dbc_migration *m, const char *sql)
{
	const char *what = m->repeatable ? "a repeatable migration" : "a migration";
	const char *fields[3] = {m->name, m->version, m->checksum};
	for (int i = 0; i < 3; i++)
		if (fields[i] && dbc_migrate_text_has_control(fields[i])) {
			dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
			          "%s registered as %s (%s) contains a control character; no script was "
			          "written",
			          what, m->version ? dbc_migrate_text_printable(ctx, m->version) : "repeatable",
			          dbc_migrate_text_printable(ctx, m->name));
			dbc_error_detail(ctx, "In the script a line break would start a line the shell "
			                      "runs as a command. Control characters are shown as ?.");
			dbc_error_hint(ctx, "Register the migration again under a name of printable "
			                    "characters, or delete the row written by hand.");
			return DBC_ERROR;
		}
	dbc_script_info info;
	char *label = m->repeatable ? dbc_printf(ctx, "repeatable (%s)", m->name)
	                            : dbc_printf(ctx, "%s (%s)", m->version, m->name);
	if (!label || dbc_script_analyse(ctx, ctx->host->dialect, sql, &info) != DBC_OK)
		return DBC_ERROR;
	return dbc_script_check_shell(ctx, &info, ctx->host->dialect, label);
}

/* The migrations a script runs and in which direction: the plan of
 * dbmigrate_apply(target), or of dbmigrate_rollback(target) (down). */
static int script_plan(dbc_ctx *ctx, const char *target, bool down, dbc_migrate_row ***plan, int *n)
{
	dbc_migrate_set set;
	dbc_migrate_derived st;
	char *canon = NULL, *oo;
	bool allow;
	if ((target && dbc_version_canonical(ctx, target, "target version", &canon) != DBC_OK) ||
	    dbc_setting_get(ctx, "migrate.out_of_order", &oo) != DBC_OK ||
	    dbc_migrate_read(ctx, down ? DBC_LOAD_DOWN_APPLIED : DBC_LOAD_UP_DUE, &set) != DBC_OK ||
	    dbc_migrate_derive(ctx, &set, &st) != DBC_OK)
		return DBC_ERROR;
	allow = strcmp(oo, "allow") == 0;
	if (down)
		return (set.nfailed ? dbc_migrate_check_applicable(ctx, &set, &st, true) : DBC_OK) != DBC_OK
		           ? DBC_ERROR
		           : dbc_migrate_plan_down(ctx, &st, canon, plan, n);
	if (dbc_migrate_check_applicable(ctx, &set, &st, allow) != DBC_OK)
		return DBC_ERROR;
	return dbc_migrate_plan_up(ctx, &st, canon, allow, plan, n);
}

int dbc_migrate_script_direction(dbc_ctx *ctx, const dbc_migrate_hooks *env, const char *direction,
                                 const char *target, char **script)
{
	dbc_migrate_row **plan;
	int n;
	const dbc_dialect *d = ctx->host->dialect;
	bool down;
	if (strcmp(direction, "apply") == 0)
		down = false;
	else if (strcmp(direction, "rollback") == 0)
		down = true;
	else
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "direction must be apply or rollback, not \"%s\"",
		                 dbc_migrate_text_printable(ctx, direction));
	if (script_plan(ctx, target, down, &plan, &n) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < n; i++)
		if (check_renderable(ctx, plan[i]->mig,
		                     down ? plan[i]->mig->down_script : plan[i]->mig->script) != DBC_OK)
			return DBC_ERROR;
	if (dbc_migrate_check_registrants(ctx, env, plan, n,
	                                  down ? "write a rollback script for"
	                                       : "write a script for") != DBC_OK)
		return DBC_ERROR;
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	if (down)
		dbc_buf_appendf(&b,
		                "-- dbcare %s: %d migration(s) to roll back, newest first, from "
		                "dbmigrate_script('rollback')\n",
		                dbc_version(), n);
	else
		dbc_buf_appendf(&b, "-- dbcare %s: %d pending migration(s) from dbmigrate_script()\n",
		                dbc_version(), n);
	dbc_buf_append(&b, d->script_preamble);
	for (int i = 0; i < n; i++) {
		const dbc_migration *m = plan[i]->mig;
		script_step st = step_of(m, down);
		if (m->repeatable)
			dbc_buf_appendf(&b, "\n-- repeatable: %s%s\n", m->name,
			                st.no_tx ? " (no transaction)" : "");
		else
			dbc_buf_appendf(&b, "\n-- %s %s: %s%s\n", down ? "roll back" : "migration", m->version,
			                m->name, st.no_tx ? " (no transaction)" : "");
		if (d->script_skips)
			render_skipping(ctx, &b, &st);
		else
			render_stopping(ctx, &b, &st);
	}
	*script = dbc_buf_finish(&b);
	return *script ? DBC_OK : DBC_ERROR;
}

int dbc_migrate_script(dbc_ctx *ctx, const dbc_migrate_hooks *env, const char *target,
                       char **script)
{
	return dbc_migrate_script_direction(ctx, env, "apply", target, script);
}

/* The row of kind/key in st, or an error naming it. */
static int find_row(dbc_ctx *ctx, const dbc_migrate_derived *st, const char *kind, const char *key,
                    dbc_migrate_row **out)
{
	bool rep;
	char *canon = NULL;
	if (strcmp(kind, "repeatable") == 0)
		rep = true;
	else if (strcmp(kind, "versioned") == 0 || strcmp(kind, "rollback") == 0)
		rep = false;
	else
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "kind must be versioned, repeatable or rollback, not \"%s\"", kind);
	if (!rep && dbc_version_canonical(ctx, key, "version", &canon) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < st->nrows; i++) {
		dbc_migrate_row *r = &st->rows[i];
		if (!r->mig || r->mig->repeatable != rep)
			continue;
		if (rep ? strcmp(r->mig->name, key) == 0 : dbc_version_cmp(r->mig->version, canon) == 0) {
			*out = r;
			return DBC_OK;
		}
	}
	dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "%s migration %s is not registered", kind, key);
	dbc_error_hint(ctx, "The script is stale: generate a new one with dbmigrate_script().");
	return DBC_ERROR;
}

typedef struct {
	int64_t id;
	double started;
	bool found;
} started_row;

static int take_started(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	started_row *s = arg;
	bool isnull;
	(void)ctx;
	if (ncol >= 2 && !s->found) {
		s->found = true;
		s->id = (int64_t)dbc_migrate_num(&c[0], &isnull);
		s->started = dbc_migrate_num(&c[1], &isnull);
		if (isnull)
			s->started = 0;
	}
	return DBC_OK;
}

/* What a step_begin or step_end call works on: the call's frame and its
 * migration's row in the status derived inside it. */
typedef struct step_state {
	dbc_migrate_frame f;
	dbc_migrate_set set;
	dbc_migrate_derived st;
	dbc_migrate_row *r;
} step_state;

/* Opens the frame and finds the row of kind/key. The caller ends the frame
 * whatever this returns. */
static int step_open(dbc_ctx *ctx, const dbc_migrate_hooks *env, const char *kind, const char *key,
                     step_state *s)
{
	s->r = NULL;
	int rc = dbc_migrate_frame_begin(ctx, env, &s->f, true);
	if (rc == DBC_OK)
		rc = dbc_migrate_read(ctx, DBC_LOAD_META, &s->set);
	if (rc == DBC_OK)
		rc = dbc_migrate_derive(ctx, &s->set, &s->st);
	if (rc == DBC_OK)
		rc = find_row(ctx, &s->st, kind, key, &s->r);
	return rc;
}

/* The checks of an apply step ("versioned" or "repeatable"): the migration
 * is unchanged since the script was written, and may be applied now as
 * dbmigrate_apply would. *stale when it was applied meanwhile. */
static int apply_checks(dbc_ctx *ctx, step_state *s, const char *key, const char *checksum,
                        bool *stale)
{
	const dbc_migrate_row *r = s->r;
	char *oo;
	if (strcmp(r->mig->checksum, checksum) != 0) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
		          "migration %s (%s) changed since this script was generated", key, r->mig->name);
		dbc_error_hint(ctx, "Generate a new script with dbmigrate_script().");
		return DBC_ERROR;
	}
	*stale = r->state == DBC_MS_APPLIED;
	if (*stale)
		return DBC_OK;
	if (dbc_setting_get(ctx, "migrate.out_of_order", &oo) != DBC_OK)
		return DBC_ERROR;
	return dbc_migrate_check_applicable(ctx, &s->set, &s->st, strcmp(oo, "allow") == 0);
}

/* The checks of a "rollback" step of dbmigrate_script('rollback'): the
 * same as dbmigrate_rollback makes for the latest applied migration.
 * *stale when the migration is no longer applied. */
static int rollback_checks(dbc_ctx *ctx, step_state *s, const char *key, const char *checksum,
                           bool *stale)
{
	const dbc_migrate_row *r = s->r;
	dbc_migrate_row **plan = NULL;
	int n = 0;
	*stale = !r->applied;
	if (*stale)
		return DBC_OK;
	if (!r->mig->down_checksum || strcmp(r->mig->down_checksum, checksum) != 0) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
		          "the down script of migration %s (%s) changed since this script was generated",
		          key, r->mig->name);
		dbc_error_hint(ctx, "Generate a new one with dbmigrate_script('rollback', target).");
		return DBC_ERROR;
	}
	if ((s->set.nfailed && dbc_migrate_check_applicable(ctx, &s->set, &s->st, true) != DBC_OK) ||
	    dbc_migrate_plan_down(ctx, &s->st, NULL, &plan, &n) != DBC_OK)
		return DBC_ERROR;
	if (n != 1 || plan[0] != r) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
		          "migration %s (%s) is not the latest applied migration; this rollback script "
		          "is stale",
		          key, r->mig->name);
		dbc_error_hint(ctx, "Rollback goes newest first. Generate a new script with "
		                    "dbmigrate_script('rollback', target).");
		return DBC_ERROR;
	}
	return DBC_OK;
}

/* A step another call already took (applied the migration, or rolled it
 * back): a shell that can skip statements skips it (dbmigrate_step_begin
 * answers false); where it cannot (the sqlite3 shell) the script stops
 * here instead. Nothing was run. */
static int step_stale(dbc_ctx *ctx, bool down, const char *key, const dbc_migrate_row *r)
{
	if (ctx->host->dialect->script_skips)
		return DBC_OK;
	if (down) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
		          "migration %s (%s) is not applied; this rollback script is stale", key,
		          r->mig->name);
		dbc_error_hint(ctx, "Generate a new one with dbmigrate_script('rollback', target).");
	} else {
		dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
		          "migration %s (%s) is already applied; this script is stale", key, r->mig->name);
		dbc_error_hint(ctx, "Nothing was run. Generate a new script with dbmigrate_script().");
	}
	return DBC_ERROR;
}

static int take_script(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	(void)ncol;
	*(char **)arg = c[0].type == DBC_TEXT ? dbc_strdup(ctx, c[0].s) : NULL;
	return DBC_OK;
}

/* The step's script (the down script of a rollback step) meets the foreign
 * keys the shell runs it with (migrate_keys.c). */
static int step_keys(dbc_ctx *ctx, const dbc_migrate_hooks *env, const dbc_migration *m, bool down)
{
	char *script = NULL;
	if (!env || !env->keys)
		return DBC_OK;
	dbc_value p = dbc_text(m->version ? m->version : m->name);
	if (dbc_migrate_query(ctx,
	                      !m->version ? "SELECT script FROM @migrations WHERE kind = 'repeatable' "
	                                    "AND name = $1"
	                      : down      ? "SELECT down_script FROM @migrations WHERE version = $1"
	                                  : "SELECT script FROM @migrations WHERE version = $1",
	                      1, &p, take_script, &script) != DBC_OK)
		return DBC_ERROR;
	return dbc_migrate_keys_script(ctx, env, script, dbc_migrate_label_of(ctx, m));
}

/* The started event step_begin just recorded for m (its id in *s). */
static int started_event(dbc_ctx *ctx, const dbc_migration *m, bool down, started_row *s)
{
	dbc_value p[3] = {dbc_text(m->repeatable ? m->name : m->version),
	                  dbc_text(m->repeatable ? "repeatable" : "versioned"),
	                  dbc_text(down ? "down" : "up")};
	s->found = false;
	return dbc_migrate_query(ctx,
	                         m->repeatable ? "SELECT id, started_ms FROM @migrations_history WHERE "
	                                         "NOT success AND kind = $2 AND name = $1 AND "
	                                         "direction = $3 ORDER BY id DESC LIMIT 1"
	                                       : "SELECT id, started_ms FROM @migrations_history WHERE "
	                                         "NOT success AND kind = $2 AND version = $1 AND "
	                                         "direction = $3 ORDER BY id DESC LIMIT 1",
	                         3, p, take_started, s);
}

/* A step outside a transaction commits its started event before its
 * statements run, so others see it while it runs: it is marked live
 * (dbc_migrate_hooks.step_mark) for as long as its session lives. A step
 * inside a transaction needs no mark: no other session sees its event
 * before step_end has completed it. *id: the event marked, 0 when none. */
static int mark_step(dbc_ctx *ctx, const dbc_migrate_hooks *env, const dbc_migration *m, bool down,
                     bool online, int64_t *id)
{
	char *script = NULL;
	started_row s = {0, 0, false};
	*id = 0;
	if (!env || !env->step_mark)
		return DBC_OK;
	if (down) {
		dbc_value p = dbc_text(m->version);
		if (dbc_migrate_query(ctx, "SELECT down_script FROM @migrations WHERE version = $1", 1, &p,
		                      take_script, &script) != DBC_OK)
			return DBC_ERROR;
	}
	if (down ? !script || !dbc_script_is_no_transaction(script) : !m->no_transaction && !online)
		return DBC_OK;
	if (started_event(ctx, m, down, &s) != DBC_OK)
		return DBC_ERROR;
	if (!s.found)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "the started event of migration %s is gone",
		                 dbc_migrate_label_of(ctx, m));
	if (env->step_mark(ctx, s.id) != DBC_OK)
		return DBC_ERROR;
	*id = s.id;
	return DBC_OK;
}

/* An online run of migration m: the unfinished events of earlier online
 * runs of m whose session is gone (killed, the server restarted) are its
 * own: removed, and the run resumes after the steps they recorded done
 * (cli/cmd/migrate_online.c). A live one (another run now) stays, and
 * check_applicable says so. */
static int take_over_online(dbc_ctx *ctx, dbc_migrate_set *set, const dbc_migration *m)
{
	int kept = 0;
	for (int i = 0; i < set->nfailed; i++) {
		dbc_failed *f = &set->failed[i];
		bool ours = dbc_migrate_failed_resumable(f) && m->version &&
		            dbc_version_cmp(f->version, m->version) == 0;
		if (!ours) {
			set->failed[kept++] = *f;
			continue;
		}
		dbc_value id = dbc_int(f->id);
		if (dbc_migrate_query(ctx, "DELETE FROM @migrations_history WHERE id = $1", 1, &id, NULL,
		                      NULL) != DBC_OK)
			return DBC_ERROR;
	}
	set->nfailed = kept;
	return DBC_OK;
}

/* Both directions: the direction's checks, then the registrant check and a
 * started (not yet successful) event -- 'down' for a rollback step, whose
 * completion removes the applied row -- marked live when the step runs
 * outside a transaction. */
int dbc_migrate_step_begin(dbc_ctx *ctx, const dbc_migrate_hooks *env, const char *kind,
                           const char *key, const char *checksum, bool *run)
{
	bool down = strcmp(kind, "rollback") == 0, stale = false;
	/* "online": a versioned migration run step by step outside a
	 * transaction by dbcare migrate --online, marked live while it runs */
	bool online = strcmp(kind, "online") == 0;
	step_state s;
	int64_t marked = 0;
	*run = false;
	if (online)
		kind = "versioned";
	int rc = step_open(ctx, env, kind, key, &s);
	if (rc == DBC_OK && online && s.r->state != DBC_MS_APPLIED)
		rc = take_over_online(ctx, &s.set, s.r->mig);
	if (rc == DBC_OK)
		rc = down ? rollback_checks(ctx, &s, key, checksum, &stale)
		          : apply_checks(ctx, &s, key, checksum, &stale);
	if (rc == DBC_OK && stale)
		return dbc_migrate_frame_end(ctx, &s.f, step_stale(ctx, down, key, s.r));
	if (rc == DBC_OK)
		rc = dbc_migrate_check_registrants(ctx, env, &s.r, 1, down ? "roll back" : "apply");
	if (rc == DBC_OK)
		rc = step_keys(ctx, env, s.r->mig, down);
	if (rc == DBC_OK)
		rc = dbc_migrate_record(ctx, s.r->mig->version, s.r->mig->name, down ? "versioned" : kind,
		                        down ? "down" : "up", s.r->mig->checksum, -1, false,
		                        down     ? "started by dbmigrate_script('rollback'), not finished"
		                        : online ? DBC_ONLINE_STARTED
		                                 : "started by dbmigrate_script, not finished",
		                        dbc_now_epoch() * 1000.0);
	if (rc == DBC_OK)
		rc = mark_step(ctx, env, s.r->mig, down, online, &marked);
	rc = dbc_migrate_frame_end(ctx, &s.f, rc);
	if (rc == DBC_OK)
		*run = true;
	else if (marked)
		env->step_unmark(ctx, marked);
	return rc;
}

/* A completed step lets its mark go (none held: nothing happens); one
 * whose completion failed keeps it, as it has not ended. */
static int unmark_ended(dbc_ctx *ctx, const dbc_migrate_hooks *env, int64_t id, int rc)
{
	if (rc == DBC_OK && env && env->step_unmark)
		env->step_unmark(ctx, id);
	return rc;
}

static int rollback_step_end(dbc_ctx *ctx, const dbc_migrate_hooks *env, const char *key)
{
	step_state ss;
	started_row s = {0, 0, false};
	int rc = step_open(ctx, env, "rollback", key, &ss);
	const dbc_migrate_row *r = ss.r;
	if (rc == DBC_OK) {
		dbc_value p = dbc_text(r->mig->version);
		rc = dbc_migrate_query(ctx,
		                       "SELECT id, started_ms FROM @migrations_history WHERE NOT success "
		                       "AND kind = 'versioned' AND version = $1 AND direction = 'down' "
		                       "ORDER BY id DESC LIMIT 1",
		                       1, &p, take_started, &s);
	}
	if (rc == DBC_OK && !s.found) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
		          "dbmigrate_step_end('rollback', %s) without a matching dbmigrate_step_begin",
		          key);
		rc = DBC_ERROR;
	}
	if (rc == DBC_OK) {
		double ms = s.started > 0 ? dbc_now_epoch() * 1000.0 - s.started : 0;
		dbc_value p[2] = {dbc_float(ms < 0 ? 0 : ms), dbc_int(s.id)};
		dbc_value v = dbc_text(r->mig->version);
		rc = dbc_migrate_query(ctx,
		                       "UPDATE @migrations_history SET success = true, error = NULL, "
		                       "duration_ms = $1 WHERE id = $2",
		                       2, p, NULL, NULL);
		if (rc == DBC_OK)
			rc = dbc_migrate_query(ctx, "DELETE FROM @migrations_applied WHERE version = $1", 1, &v,
			                       NULL, NULL);
		if (rc == DBC_OK)
			rc = dbc_migrate_store_snapshot(ctx, s.id);
	}
	return unmark_ended(ctx, env, s.id, dbc_migrate_frame_end(ctx, &ss.f, rc));
}

int dbc_migrate_step_end(dbc_ctx *ctx, const dbc_migrate_hooks *env, const char *kind,
                         const char *key)
{
	step_state ss;
	started_row s = {0, 0, false};
	if (strcmp(kind, "rollback") == 0)
		return rollback_step_end(ctx, env, key);
	int rc = step_open(ctx, env, kind, key, &ss);
	const dbc_migrate_row *r = ss.r;
	if (rc == DBC_OK) {
		dbc_value p[2] = {dbc_text(r->mig->repeatable ? r->mig->name : r->mig->version),
		                  dbc_text(kind)};
		rc = dbc_migrate_query(
		    ctx,
		    r->mig->repeatable ? "SELECT id, started_ms FROM @migrations_history WHERE NOT success "
		                         "AND kind = $2 AND name = $1 AND direction = 'up' "
		                         "ORDER BY id DESC LIMIT 1"
		                       : "SELECT id, started_ms FROM @migrations_history WHERE NOT success "
		                         "AND kind = $2 AND version = $1 AND direction = 'up' "
		                         "ORDER BY id DESC LIMIT 1",
		    2, p, take_started, &s);
	}
	if (rc == DBC_OK && !s.found) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
		          "dbmigrate_step_end(%s, %s) without a matching dbmigrate_step_begin", kind, key);
		rc = DBC_ERROR;
	}
	if (rc == DBC_OK) {
		double ms = s.started > 0 ? dbc_now_epoch() * 1000.0 - s.started : 0;
		if (ms < 0)
			ms = 0;
		dbc_value p[2] = {dbc_float(ms), dbc_int(s.id)};
		rc = dbc_migrate_query(ctx,
		                       "UPDATE @migrations_history SET success = true, error = NULL, "
		                       "duration_ms = $1 WHERE id = $2",
		                       2, p, NULL, NULL);
		const dbc_migration *m = r->mig;
		if (rc == DBC_OK && m->repeatable) {
			dbc_value d = dbc_text(m->name);
			rc = dbc_migrate_query(
			    ctx, "DELETE FROM @migrations_applied WHERE kind = 'repeatable' AND name = $1", 1,
			    &d, NULL, NULL);
			dbc_value q[3] = {dbc_text(m->name), dbc_text(m->checksum), dbc_float(ms)};
			if (rc == DBC_OK)
				rc = dbc_migrate_query(
				    ctx,
				    "INSERT INTO @migrations_applied (kind, name, checksum, duration_ms) "
				    "VALUES ('repeatable', $1, $2, $3)",
				    3, q, NULL, NULL);
		} else if (rc == DBC_OK) {
			const char *down = dbc_migrate_down_to_record(m);
			dbc_value q[5] = {dbc_text(m->version), dbc_text(m->name), dbc_text(m->checksum),
			                  dbc_float(ms), down ? dbc_text(down) : dbc_null()};
			rc = dbc_migrate_query(
			    ctx,
			    "INSERT INTO @migrations_applied (kind, version, name, checksum, "
			    "duration_ms, down_checksum) VALUES ('versioned', $1, $2, $3, $4, $5)",
			    5, q, NULL, NULL);
			/* an online run's step records end with it, where the engine
			 * has them (PostgreSQL's book table; SQLite's, once an online
			 * run made it) */
			if (rc == DBC_OK && dbc_migrate_online_steps_kept(ctx))
				rc = dbc_migrate_query(ctx,
				                       "DELETE FROM @migrations_online_steps WHERE version = $1", 1,
				                       q, NULL, NULL);
		}
		if (rc == DBC_OK)
			rc = dbc_migrate_store_snapshot(ctx, s.id);
	}
	return unmark_ended(ctx, env, s.id, dbc_migrate_frame_end(ctx, &ss.f, rc));
}
