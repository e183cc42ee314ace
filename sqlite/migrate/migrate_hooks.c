/*
 * migrate_hooks.c — what the migrate part needs of SQLite (dbc_migrate_hooks,
 * reached through dbc_api_hooks.migrate): the lint's facts, and
 * migrate.backup_before around dbmigrate_apply and dbmigrate_rollback.
 * SQLite's write lock is the migration lock (the core's first write takes
 * it, honouring busy_timeout); SQLite has no roles and no trace.
 */
#include "sqlite/backup/backup_glue.h"
#include "migrate/migrate.h"
#include "settings/settings.h"
#include "sqlite/host/glue.h"

#include <stdlib.h>

/* migrate.backup_before: a verified backup before a migration changes
 * anything (apply only when its plan has a step: an application that
 * applies at every start does not back up each time), named afterwards in
 * the history rows the call wrote. *path stays NULL without one. */
static int backup_first(dbc_ctx *ctx, bool apply, const char *target, char **path,
                        int64_t *history_before)
{
	bool on, exists;
	*path = NULL;
	/* no bookkeeping: the setting is its default (off); incomplete
	 * bookkeeping: the migration's own first step reports it, as always */
	if (ctx->host->book_exists(ctx, &exists) != DBC_OK) {
		dbc_error_clear(ctx);
		return DBC_OK;
	}
	if (!exists)
		return DBC_OK;
	if (dbc_setting_get_bool(ctx, "migrate.backup_before", &on) != DBC_OK)
		return DBC_ERROR;
	if (!on)
		return DBC_OK;
	if (apply) {
		/* only whether a step is due: the apply that follows lints */
		static const dbc_migrate_hooks no_lint = {0};
		dbc_rows plan;
		if (dbc_migrate_plan(ctx, &no_lint, target, &plan) != DBC_OK)
			return DBC_ERROR;
		if (plan.nrows == 0)
			return DBC_OK;
	}
	char *json, *max = NULL;
	int64_t id;
	if (dbc_backup_create(ctx, &sqldbc_backup_hooks, NULL, &json, &id) != DBC_OK)
		return DBC_ERROR;
	dbc_value p = dbc_int(id);
	if (dbc_query_text(ctx, "SELECT path FROM main.dbcare_backups WHERE id = $1", 1, &p, path,
	                   NULL) != DBC_OK ||
	    dbc_query_text(ctx, "SELECT coalesce(max(id), 0) FROM main.dbcare_migrations_history", 0,
	                   NULL, &max, NULL) != DBC_OK)
		return DBC_ERROR;
	*history_before = max ? strtoll(max, NULL, 10) : 0;
	return DBC_OK;
}

static int name_backup(dbc_ctx *ctx, const char *path, int64_t history_before)
{
	dbc_value p[2] = {dbc_text(path), dbc_int(history_before)};
	return ctx->host->query(ctx,
	                        "UPDATE main.dbcare_migrations_history SET backup = $1 WHERE id > $2",
	                        2, p, NULL, NULL);
}

/* apply or rollback (run), after the backup migrate.backup_before asks for,
 * which the history rows the call wrote then name. */
static int change(dbc_ctx *ctx, const dbc_migrate_hooks *env,
                  int (*run)(dbc_ctx *, const dbc_migrate_hooks *, const char *, int64_t *),
                  const char *target, int64_t *count)
{
	char *backup = NULL;
	int64_t history_before = 0;
	int rc = backup_first(ctx, run == dbc_migrate_apply, target, &backup, &history_before);
	if (rc == DBC_OK)
		rc = run(ctx, env, target, count);
	if (rc == DBC_OK && backup)
		rc = name_backup(ctx, backup, history_before);
	return rc;
}

const dbc_migrate_hooks sqldbc_migrate_hooks = {
    .lint = &sqldbc_lint_hooks,
    .keys = &sqldbc_keys_hooks,
    .change = change,
    .step_mark = sqldbc_step_mark,
    .step_unmark = sqldbc_step_unmark,
    .step_live = sqldbc_step_live,
    .desired_schema = sqldbc_desired_schema,
    .scratch = sqldbc_scratch,
    .scratch_parts = sqldbc_scratch_parts,
};

void sqldbc_migrate_register(dbc_api_hooks *api)
{
	api->migrate = &sqldbc_migrate_hooks;
}
