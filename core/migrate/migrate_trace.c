/*
 * migrate_trace.c — dbmigrate_trace (docs/lint.md "The trace"): one
 * migration's up script run statement by statement inside a savepoint that
 * is always rolled back, with what the engine observed after each statement
 * (dbc_trace_hooks). Nothing of the run is kept: not the schema, not the
 * rows, not the bookkeeping.
 */
#include "migrate/migrate.h"
#include "migrate/migrate_script.h"
#include "migrate/migrate_store.h"
#include "migrate/migrate_trust.h"
#include "migrate/migrate_version.h"

#include <string.h>

#define TRACE_NCOLS 8

/* The registered versioned migration canon, with its scripts; NULL (and a
 * 22023 error) when none is registered under it. */
static dbc_migration *find_migration(dbc_ctx *ctx, const char *canon, const char *version)
{
	dbc_migrate_set set;
	memset(&set, 0, sizeof(set));
	if (dbc_migrate_read(ctx, DBC_LOAD_ALL, &set) != DBC_OK)
		return NULL;
	for (int i = 0; i < set.nmigs; i++)
		if (!set.migs[i].repeatable && set.migs[i].version &&
		    strcmp(set.migs[i].version, canon) == 0)
			return &set.migs[i];
	dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "no migration %s is registered", version);
	dbc_error_hint(ctx, "dbmigrate_status() lists the registered migrations.");
	return NULL;
}

/* Why m cannot be traced, as an error; DBC_OK when it can. */
static int refuse_untraceable(dbc_ctx *ctx, const dbc_migration *m)
{
	if (m->no_transaction) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
		          "cannot trace migration %s: it is marked -- dbcare:no-transaction", m->version);
		dbc_error_detail(ctx, "The trace runs a migration inside a transaction it rolls back; "
		                      "this one must run outside any transaction.");
		dbc_error_hint(ctx, "Run it with the script from dbmigrate_script() on a copy of the "
		                    "database.");
		return DBC_ERROR;
	}
	if (!m->script)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "script of migration %s was not loaded",
		                 m->version);
	return DBC_OK;
}

/* The message of the error in ctx without the "dbcare: " prefixes nested
 * dbcare calls gave it. */
static const char *error_text(const dbc_ctx *ctx)
{
	const char *msg = ctx->message ? ctx->message : "failed";
	while (strncmp(msg, "dbcare: ", 8) == 0)
		msg += 8;
	return msg;
}

/* Runs the statements of info inside the savepoint the caller opened,
 * observing each; the first failure becomes a row with its error and ends
 * the run (its savepoint is gone then: the host rolled it back). */
static int run_traced(dbc_ctx *ctx, const dbc_trace_hooks *eng, const dbc_script_info *info,
                      dbc_rows *out)
{
	void *state = NULL;
	if (eng->start(ctx, &state) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < info->nstmts; i++) {
		const dbc_stmt *s = &info->stmts[i];
		char *sql = dbc_strndup(ctx, s->text, s->len);
		if (!sql)
			return DBC_ERROR;
		if (ctx->host->interrupted && ctx->host->interrupted(ctx))
			return DBC_ERROR;
		double t0 = dbc_monotonic_ms();
		ctx->error_line = 0;
		int rc = ctx->host->exec(ctx, sql);
		double ms = dbc_monotonic_ms() - t0;
		if (rc != DBC_OK) {
			char *err = dbc_strdup(ctx, error_text(ctx));
			dbc_error_clear(ctx);
			if (ctx->failed || !err)
				return DBC_ERROR;
			dbc_value row[TRACE_NCOLS] = {dbc_int(s->line), dbc_text(sql), dbc_null(),
			                              dbc_null(),       dbc_null(),    dbc_null(),
			                              dbc_float(ms),    dbc_text(err)};
			return dbc_rows_add(out, row);
		}
		if (eng->observe(ctx, state, s->line, sql, ms, out) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

int dbc_migrate_trace(dbc_ctx *ctx, const dbc_migrate_hooks *env, const char *version,
                      dbc_rows *out)
{
	dbc_migrate_frame f;
	dbc_script_info info;
	char *canon = NULL;
	dbc_rows_init(out, ctx, TRACE_NCOLS);
	if (!env || !env->trace)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
		                 "dbmigrate_trace is not available on this engine");
	if (dbc_version_canonical(ctx, version, "version", &canon) != DBC_OK)
		return DBC_ERROR;
	int rc = dbc_migrate_frame_begin(ctx, env, &f, true);
	dbc_migration *m = rc == DBC_OK ? find_migration(ctx, canon, version) : NULL;
	if (rc == DBC_OK && !m)
		rc = DBC_ERROR;
	if (rc == DBC_OK)
		rc = refuse_untraceable(ctx, m);
	if (rc == DBC_OK) {
		dbc_migrate_row row = {m, NULL, DBC_MS_PENDING};
		dbc_migrate_row *rows = &row;
		rc = dbc_migrate_check_registrants(ctx, env, &rows, 1, "trace");
	}
	if (rc == DBC_OK &&
	    (rc = dbc_script_analyse(ctx, ctx->host->dialect, m->script, &info)) == DBC_OK)
		rc = dbc_script_check(ctx, &info,
		                      dbc_printf(ctx, "%s (%s)", m->version, m->name ? m->name : ""),
		                      DBC_SQLSTATE_BAD_STATE);
	if (rc == DBC_OK) {
		/* a savepoint of its own inside the frame's: a failing statement
		 * rolls back to it, the frame's savepoint still holds the lock */
		int level = ctx->host->savepoint(ctx);
		rc = level < 0 ? DBC_ERROR : run_traced(ctx, env->trace, &info, out);
		if (rc == DBC_OK && level >= 0)
			rc = ctx->host->rollback(ctx, level);
	}
	if (rc != DBC_OK)
		return dbc_migrate_frame_end(ctx, &f, rc);
	/* always rolled back: schema, rows and bookkeeping as before */
	return dbc_migrate_frame_discard(ctx, &f);
}
