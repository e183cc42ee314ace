/*
 * migrate_calls.c — the dbmigrate_* functions of forms CORE_SCALAR,
 * CORE_TABLE, CORE_PG and CORE_SQLITE as the API table calls them
 * (core/api/functions.h): the arguments arrive decoded by the engine's
 * generic glue; a scalar's result goes back as a value, a table's as rows.
 * The engine's hooks (migration lock, roles, lint, trace, ...) come from
 * dbc_api_engine_of(ctx)->migrate.
 */
#include "api/api.h"
#include "migrate/migrate.h"

static const dbc_migrate_hooks *env_of(dbc_ctx *ctx)
{
	return dbc_api_engine_of(ctx)->migrate;
}

/* the text of args[k], or NULL for SQL NULL */
static const char *opt_text(const dbc_value *args, int k)
{
	return args[k].type == DBC_TEXT ? args[k].s : NULL;
}

/* a result that is a count */
static int counted(int rc, int64_t n, dbc_value *result)
{
	*result = dbc_int(n);
	return rc;
}

/* a result that is a text, SQL NULL when none */
static int texted(int rc, char *s, dbc_value *result)
{
	*result = s ? dbc_text(s) : dbc_null();
	return rc;
}

int dbc_call_dbmigrate_current(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	char *version = NULL;
	int rc;
	(void)args;
	rc = dbc_migrate_current(ctx, &version);
	*result = dbc_text(version); /* NULL when none is applied */
	return rc;
}

int dbc_call_dbmigrate_assert(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	int rc = dbc_migrate_assert(ctx, env_of(ctx), args[0].s);
	*result = dbc_bool(true);
	return rc;
}

int dbc_call_dbmigrate_status(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	(void)argc, (void)args;
	return dbc_migrate_status(ctx, out);
}

int dbc_call_dbmigrate_pending(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	int64_t n = 0;
	int rc = dbc_migrate_pending(ctx, args[0].type == DBC_TEXT ? args[0].s : NULL, &n);
	*result = dbc_int(n);
	return rc;
}

int dbc_call_dbmigrate_history(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	(void)argc, (void)args;
	return dbc_migrate_history(ctx, out);
}

int dbc_call_dbmigrate_add(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	char *checksum = NULL;
	int rc = dbc_migrate_add(ctx, args[0].s, args[1].s, args[2].s, opt_text(args, 3), &checksum);
	return texted(rc, checksum, result);
}

int dbc_call_dbmigrate_add_repeatable(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	char *checksum = NULL;
	int rc = dbc_migrate_add_repeatable(ctx, args[0].s, args[1].s, &checksum);
	return texted(rc, checksum, result);
}

/* The jsonb and the text signature: the list's text either way. */
int dbc_call_dbmigrate_add_all(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	const dbc_migrate_hooks *env = env_of(ctx);
	int64_t n = 0;
	int rc = env->add_all ? env->add_all(ctx, args[0].s, &n)
	                      : dbc_migrate_add_all_json(ctx, args[0].s, &n);
	return counted(rc, n, result);
}

int dbc_call_dbmigrate_add_all_text(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	return dbc_call_dbmigrate_add_all(ctx, args, result);
}

/* Flyway callbacks are skipped, not run: said so as a notice. */
int dbc_call_dbmigrate_load(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	const dbc_migrate_hooks *env = env_of(ctx);
	char *skipped = NULL;
	int64_t n = 0;
	if (env->may_read_files && env->may_read_files(ctx) != DBC_OK)
		return DBC_ERROR;
	if (dbc_migrate_load(ctx, args[0].s, &n, &skipped) != DBC_OK)
		return DBC_ERROR;
	if (skipped && ctx->host->notice)
		ctx->host->notice(ctx, dbc_printf(ctx, "Flyway callback file(s) skipped: %s", skipped),
		                  "dbcare does not run Flyway callbacks; run their SQL yourself or make "
		                  "it a migration.");
	return counted(DBC_OK, n, result);
}

/* apply and rollback: through the engine's change hook when it has one */
static int change(dbc_ctx *ctx, const dbc_value *args, dbc_value *result,
                  int (*run)(dbc_ctx *, const dbc_migrate_hooks *, const char *, int64_t *))
{
	const dbc_migrate_hooks *env = env_of(ctx);
	int64_t n = 0;
	int rc = env->change ? env->change(ctx, env, run, opt_text(args, 0), &n)
	                     : run(ctx, env, opt_text(args, 0), &n);
	return counted(rc, n, result);
}

int dbc_call_dbmigrate_apply(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	return change(ctx, args, result, dbc_migrate_apply);
}

/* dbmigrate_apply(target, online): online => true refused on both
 * engines, before anything runs. An online migration commits between its
 * steps (each batch of a backfill or a copy, each index built outside a
 * transaction); a function call runs inside the statement that calls it,
 * in one transaction (PostgreSQL's CONCURRENTLY refuses a function,
 * SQLite's connection cannot commit under its own running statement, and
 * a second connection's batches would wait for the caller's write lock).
 * The command drives the steps from outside. */
int dbc_call_dbmigrate_apply_online(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	if (args[1].type == DBC_BOOL && args[1].i) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
		          "dbmigrate_apply cannot run a migration online: a function call runs in one "
		          "transaction, and an online migration commits between its steps");
		dbc_error_detail(ctx, "Each batch of an online backfill or copy commits on its own, and "
		                      "an index is built outside a transaction; neither can happen inside "
		                      "the statement that calls the function.");
		dbc_error_hint(ctx, "Run dbcare migrate --online, which drives the steps "
		                    "dbmigrate_online_plan(version) lists from outside the database; or "
		                    "call dbmigrate_apply() without online.");
		return DBC_ERROR;
	}
	return change(ctx, args, result, dbc_migrate_apply);
}

int dbc_call_dbmigrate_rollback(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	return change(ctx, args, result, dbc_migrate_rollback);
}

int dbc_call_dbmigrate_baseline(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	int64_t n = 0;
	int rc = dbc_migrate_baseline(ctx, env_of(ctx), args[0].s, &n);
	return counted(rc, n, result);
}

int dbc_call_dbmigrate_repair(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	int64_t n = 0;
	int rc;
	(void)args;
	rc = dbc_migrate_repair(ctx, env_of(ctx), &n);
	return counted(rc, n, result);
}

int dbc_call_dbmigrate_script(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	char *script = NULL;
	int rc = dbc_migrate_script(ctx, env_of(ctx), opt_text(args, 0), &script);
	return texted(rc, script, result);
}

/* dbmigrate_script(direction, target): 'apply' or 'rollback' */
int dbc_call_dbmigrate_script_direction(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	char *script = NULL;
	int rc = dbc_migrate_script_direction(ctx, env_of(ctx), args[0].s, opt_text(args, 1), &script);
	return texted(rc, script, result);
}

int dbc_call_dbmigrate_step_begin(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	bool run = false;
	int rc = dbc_migrate_step_begin(ctx, env_of(ctx), args[0].s, args[1].s, args[2].s, &run);
	*result = dbc_bool(run);
	return rc;
}

int dbc_call_dbmigrate_step_end(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	*result = dbc_bool(true);
	return dbc_migrate_step_end(ctx, env_of(ctx), args[0].s, args[1].s);
}

int dbc_call_dbmigrate_plan(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	(void)argc;
	return dbc_migrate_plan(ctx, env_of(ctx), opt_text(args, 0), out);
}

int dbc_call_dbmigrate_lint(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	(void)argc;
	return dbc_migrate_lint(ctx, env_of(ctx), opt_text(args, 0), out);
}

int dbc_call_dbmigrate_online_plan(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	(void)argc;
	return dbc_migrate_online_plan(ctx, env_of(ctx), args[0].s, out);
}

int dbc_call_dbmigrate_online_record(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	*result = dbc_bool(true);
	return dbc_migrate_online_record(ctx, args[0].s, args[1].i, args[2].s);
}

int dbc_call_dbmigrate_online_done(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	char *json = NULL;
	int rc = dbc_migrate_online_done(ctx, opt_text(args, 0), &json);
	return texted(rc, json, result);
}

int dbc_call_dbmigrate_online_forget(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	*result = dbc_bool(true);
	return dbc_migrate_online_forget(ctx, env_of(ctx), args[0].s);
}

int dbc_call_dbmigrate_validate(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	(void)argc, (void)args;
	return dbc_migrate_validate(ctx, out);
}

int dbc_call_dbmigrate_verify(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	(void)argc;
	return dbc_migrate_verify(ctx, env_of(ctx), opt_text(args, 0), out);
}

int dbc_call_dbmigrate_rebuild_script(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	char *script = NULL;
	int rc = dbc_migrate_rebuild_script(ctx, env_of(ctx), args[0].s, args[1].s, &script);
	return texted(rc, script, result);
}

int dbc_call_dbmigrate_generate(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	(void)argc;
	return dbc_migrate_generate(ctx, env_of(ctx), args[0].s, opt_text(args, 1), out);
}
