/*
 * migrate_run.c — running migrations: apply (all, or the next), rollback;
 * each script statement by statement (so a failure names its line), each
 * step recorded in O(1), the schema snapshot taken once at the end.
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
#include "settings/settings.h"

#include <string.h>
#include <strings.h>

char *dbc_migrate_label_of(dbc_ctx *ctx, const dbc_migration *m)
{
	return m->repeatable ? dbc_printf(ctx, "repeatable (%s)", m->name)
	                     : dbc_printf(ctx, "%s (%s)", m->version, m->name);
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
void dbc_migrate_poll_reset(void)
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
		if (!sql || (src && dbc_rename_log_before(ctx, s->text, s->len, &note) != DBC_OK) ||
		    dbc_migrate_keys_statement(ctx, s->text, s->len, label, s->line) != DBC_OK)
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

int dbc_migrate_run_script(dbc_ctx *ctx, const char *script, const char *verb, const char *label,
                           const dbc_rename_source *src)
{
	dbc_script_info info;
	if (dbc_script_analyse(ctx, ctx->host->dialect, script, &info) != DBC_OK)
		return DBC_ERROR;
	return run_analysed(ctx, &info, verb, label, src);
}

/* Runs one migration up; its bookkeeping is written with the others at the
 * end of the call (dbc_migrate_record_applied), into *done. */
static int apply_one(dbc_ctx *ctx, const dbc_migrate_row *r, dbc_migrate_done *done)
{
	dbc_migration *m = r->mig;
	char *label = dbc_migrate_label_of(ctx, m);
	if (!label)
		return DBC_ERROR;
	if (!m->script)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "script of migration %s was not loaded",
		                 label);
	/* the lint gate analysed the script already (dbc_migrate_script_info) */
	const dbc_script_info *info;
	double t0 = dbc_monotonic_ms();
	dbc_rename_source src = {m->version ? m->version : m->name, "up"};
	if (dbc_migrate_script_info(ctx, m, &info) != DBC_OK ||
	    run_analysed(ctx, info, "applying", label, &src) != DBC_OK)
		return DBC_ERROR;
	done->mig = m;
	done->duration_ms = dbc_monotonic_ms() - t0;
	done->at_s = dbc_now_epoch();
	if (m->repeatable && r->applied) {
		dbc_value d = dbc_text(m->name);
		if (dbc_migrate_query(
		        ctx, "DELETE FROM @migrations_applied WHERE kind = 'repeatable' AND name = $1", 1,
		        &d, NULL, NULL) != DBC_OK)
			return bookkeeping_broken(ctx, label);
	}
	return DBC_OK;
}

/* The bookkeeping of the whole call failed: blame the last migration of the
 * call that names dbcare's tables, as the per-migration write used to. */
static int record_failed(dbc_ctx *ctx, const dbc_migrate_done *done, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		const char *script = done[i].mig->script;
		for (const char *p = script; p && *p; p++)
			if (strncasecmp(p, "dbcare", 6) == 0)
				return bookkeeping_broken(ctx, dbc_migrate_label_of(ctx, done[i].mig));
	}
	return bookkeeping_broken(ctx, "applied in this call");
}

/* run: dbmigrate_run's steps (a procedure) rather than dbmigrate_apply (a
 * function); neither can give a statement the top level it needs. */
static int refuse_no_transaction(dbc_ctx *ctx, dbc_migrate_row **plan, int n, bool run)
{
	dbc_buf b;
	int k = 0;
	dbc_buf_init(&b, ctx);
	for (int i = 0; i < n; i++)
		if (plan[i]->mig->no_transaction) {
			if (k++)
				dbc_buf_append(&b, ", ");
			dbc_buf_append(&b, dbc_migrate_label_of(ctx, plan[i]->mig));
		}
	if (!k)
		return DBC_OK;
	dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
	          "cannot apply %d non-transactional migration(s) inside %s", k,
	          run ? "the procedure dbmigrate_run" : "a function");
	dbc_error_detail(ctx, "marked -- dbcare:no-transaction: %s", dbc_buf_finish(&b));
	dbc_error_hint(
	    ctx,
	    "Run them with dbcare migrate (it runs each on its own), or with the script from "
	    "dbmigrate_script() in psql or sqlite3, or apply only up to the version "
	    "before them with %s.",
	    run ? "CALL dbmigrate_run(target)" : "dbmigrate_apply(target)");
	return DBC_ERROR;
}

/* dbmigrate_apply, or with limit 1 one step of dbmigrate_run (limit 0: all). */
static int apply_upto(dbc_ctx *ctx, const dbc_migrate_hooks *env, const char *target, int limit,
                      int64_t *count)
{
	dbc_migrate_frame f;
	dbc_migrate_set set;
	dbc_migrate_derived st;
	dbc_migrate_row **plan;
	int n = 0, rc;
	*count = 0;
	if (target && !dbc_version_valid(target))
		return dbc_version_canonical(ctx, target, "target version", &(char *){NULL});
	dbc_migrate_keys keys;
	if (dbc_migrate_keys_begin(ctx, env, &keys) != DBC_OK)
		return DBC_ERROR;
	rc = dbc_migrate_frame_begin(ctx, env, &f, true);
	if (rc == DBC_OK)
		rc = dbc_migrate_plan_apply(ctx, DBC_LOAD_UP_DUE, target, &set, &st, &plan, &n);
	if (rc == DBC_OK && limit > 0 && n > limit)
		n = limit;
	if (rc == DBC_OK)
		rc = refuse_no_transaction(ctx, plan, n, limit > 0);
	if (rc == DBC_OK)
		rc = dbc_migrate_check_registrants(ctx, env, plan, n, "apply");
	if (rc == DBC_OK)
		rc = dbc_lint_gate(ctx, env, plan, n, true);
	dbc_migrate_done *done =
	    rc == DBC_OK && n > 0 ? dbc_alloc(ctx, sizeof(dbc_migrate_done) * n) : NULL;
	if (n > 0 && !done)
		rc = DBC_ERROR;
	for (int i = 0; rc == DBC_OK && i < n; i++)
		rc = dbc_rename_log_prepare(ctx, plan[i]->mig->script);
	dbc_migrate_poll_reset();
	for (int i = 0; rc == DBC_OK && i < n; i++)
		rc = apply_one(ctx, plan[i], &done[i]);
	if (rc == DBC_OK && n > 0 && dbc_migrate_record_applied(ctx, done, n) != DBC_OK)
		rc = record_failed(ctx, done, n);
	if (rc == DBC_OK && n > 0)
		rc = dbc_migrate_keys_check(ctx, &keys);
	if (rc == DBC_OK && n > 0)
		rc = dbc_migrate_store_snapshot(ctx, 0);
	rc = dbc_migrate_keys_end(ctx, &keys, dbc_migrate_frame_end(ctx, &f, rc));
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

/* to: the version the rollback stands the database at (NULL: the one
 * below r's, which this call does not know). */
static int rollback_one(dbc_ctx *ctx, const dbc_migrate_row *r, const char *to)
{
	const dbc_migration *m = r->mig;
	char *label = dbc_migrate_label_of(ctx, m);
	if (!label)
		return DBC_ERROR;
	if (!m->down_script)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "down script of %s was not loaded", label);
	if (dbc_script_is_no_transaction(m->down_script)) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
		          "the down script of migration %s is marked -- dbcare:no-transaction", label);
		if (to)
			dbc_error_hint(ctx,
			               "Roll it back with the script SELECT dbmigrate_script('rollback', '%s') "
			               "writes, run in psql or sqlite3.",
			               to);
		else
			dbc_error_hint(ctx, "Roll it back with the script SELECT dbmigrate_script('rollback', "
			                    "TARGET) writes, run in psql or sqlite3, TARGET the version to "
			                    "stand at (dbmigrate_status() lists them).");
		return DBC_ERROR;
	}
	double t0 = dbc_monotonic_ms();
	dbc_rename_source src = {m->version, "down"};
	if (dbc_migrate_run_script(ctx, m->down_script, "rolling back", label, &src) != DBC_OK)
		return DBC_ERROR;
	double ms = dbc_monotonic_ms() - t0;
	dbc_value p = dbc_text(m->version);
	if (dbc_migrate_query(ctx, "DELETE FROM @migrations_applied WHERE version = $1", 1, &p, NULL,
	                      NULL) != DBC_OK ||
	    dbc_migrate_record(ctx, m->version, m->name, "versioned", "down", m->checksum, ms, true,
	                       NULL, 0) != DBC_OK)
		return bookkeeping_broken(ctx, label);
	return DBC_OK;
}

int dbc_migrate_rollback(dbc_ctx *ctx, const dbc_migrate_hooks *env, const char *target,
                         int64_t *count)
{
	dbc_migrate_frame f;
	dbc_migrate_set set;
	dbc_migrate_derived st;
	dbc_migrate_row **plan;
	char *canon = NULL;
	int n = 0, rc;
	*count = 0;
	if (dbc_migrate_canonical_opt(ctx, target, "target version", &canon) != DBC_OK)
		return DBC_ERROR;
	dbc_migrate_keys keys;
	if (dbc_migrate_keys_begin(ctx, env, &keys) != DBC_OK)
		return DBC_ERROR;
	rc = dbc_migrate_frame_begin(ctx, env, &f, true);
	if (rc == DBC_OK)
		rc = dbc_migrate_read_status(ctx, DBC_LOAD_DOWN_APPLIED, &set, &st);
	if (rc == DBC_OK && set.nfailed)
		rc = dbc_migrate_check_applicable(ctx, &set, &st, true);
	if (rc == DBC_OK)
		rc = dbc_migrate_plan_down(ctx, &st, canon, &plan, &n);
	if (rc == DBC_OK)
		rc = dbc_migrate_check_registrants(ctx, env, plan, n, "roll back");
	for (int i = 0; rc == DBC_OK && i < n; i++)
		rc = dbc_rename_log_prepare(ctx, plan[i]->mig->down_script);
	dbc_migrate_poll_reset();
	for (int i = 0; rc == DBC_OK && i < n; i++)
		rc = rollback_one(ctx, plan[i], canon);
	if (rc == DBC_OK && n > 0)
		rc = dbc_migrate_keys_check(ctx, &keys);
	if (rc == DBC_OK && n > 0)
		rc = dbc_migrate_store_snapshot(ctx, 0);
	rc = dbc_migrate_keys_end(ctx, &keys, dbc_migrate_frame_end(ctx, &f, rc));
	if (rc == DBC_OK)
		*count = n;
	return rc;
}
