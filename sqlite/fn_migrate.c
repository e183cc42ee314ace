/*
 * fn_migrate.c — the dbmigrate_* functions for SQLite. Decoding and encoding
 * only: every decision is in core/migrate/. SQLite's write lock is the
 * migration lock (the core's first write takes it, honouring busy_timeout).
 */
#include "backup_glue.h"
#include "base/json.h"
#include "migrate/migrate.h"
#include "settings/settings.h"
#include "glue.h"

#include <stdlib.h>
#include <string.h>

/* the write lock, no roles, no trace */
static const dbc_migrate_env env = {NULL, NULL, &sqldbc_lint_engine, NULL};

/* Optional text argument i: absent or NULL means "not given". */
static int opt_text(sqldbc_call *call, int argc, sqlite3_value **argv, int i, const char *name,
                    const char **out)
{
	*out = NULL;
	if (i >= argc || sqlite3_value_type(argv[i]) == SQLITE_NULL)
		return DBC_OK;
	return sqldbc_arg_text(call, argv, i, name, out);
}

static void result_text(sqlite3_context *c, const char *s)
{
	if (s)
		sqlite3_result_text(c, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_result_null(c);
}

void sqldbc_dbmigrate_add(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	sqldbc_call call;
	sqldbc_begin(&call, c);
	const char *version, *name, *up, *down = NULL;
	char *checksum = NULL;
	int rc = sqldbc_arg_text(&call, argv, 0, "version", &version);
	if (rc == DBC_OK)
		rc = sqldbc_arg_text(&call, argv, 1, "name", &name);
	if (rc == DBC_OK)
		rc = sqldbc_arg_text(&call, argv, 2, "up_sql", &up);
	if (rc == DBC_OK)
		rc = opt_text(&call, argc, argv, 3, "down_sql", &down);
	if (rc == DBC_OK)
		rc = dbc_migrate_add(&call.ctx, version, name, up, down, &checksum);
	if (rc == DBC_OK)
		result_text(c, checksum);
	sqldbc_finish(&call, c, rc);
}

void sqldbc_dbmigrate_add_repeatable(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	(void)argc;
	sqldbc_call call;
	sqldbc_begin(&call, c);
	const char *name, *sql;
	char *checksum = NULL;
	int rc = sqldbc_arg_text(&call, argv, 0, "name", &name);
	if (rc == DBC_OK)
		rc = sqldbc_arg_text(&call, argv, 1, "sql", &sql);
	if (rc == DBC_OK)
		rc = dbc_migrate_add_repeatable(&call.ctx, name, sql, &checksum);
	if (rc == DBC_OK)
		result_text(c, checksum);
	sqldbc_finish(&call, c, rc);
}

void sqldbc_dbmigrate_add_all(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	(void)argc;
	sqldbc_call call;
	sqldbc_begin(&call, c);
	const char *migrations;
	int64_t n = 0;
	int rc = sqldbc_arg_text(&call, argv, 0, "migrations", &migrations);
	if (rc == DBC_OK)
		rc = dbc_migrate_add_all_json(&call.ctx, migrations, &n);
	if (rc == DBC_OK)
		sqlite3_result_int64(c, n);
	sqldbc_finish(&call, c, rc);
}

void sqldbc_dbmigrate_load(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	(void)argc;
	sqldbc_call call;
	sqldbc_begin(&call, c);
	const char *path;
	char *skipped = NULL;
	int64_t n = 0;
	int rc = sqldbc_arg_text(&call, argv, 0, "path", &path);
	if (rc == DBC_OK)
		rc = dbc_migrate_load(&call.ctx, path, &n, &skipped);
	/* Flyway callbacks are skipped, not run: SQLite has no notices a
	 * statement returns, so the error log says it (as for dbcare's warnings) */
	if (rc == DBC_OK && skipped)
		sqlite3_log(SQLITE_NOTICE, "dbcare: Flyway callback file(s) skipped: %s", skipped);
	if (rc == DBC_OK)
		sqlite3_result_int64(c, n);
	sqldbc_finish(&call, c, rc);
}

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
		static const dbc_migrate_env no_lint = {0};
		dbc_rows plan;
		if (dbc_migrate_plan(ctx, &no_lint, target, &plan) != DBC_OK)
			return DBC_ERROR;
		if (plan.nrows == 0)
			return DBC_OK;
	}
	char *json, *max = NULL;
	int64_t id;
	if (dbc_backup_create(ctx, &sqldbc_backup_env, NULL, &json, &id) != DBC_OK)
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

/* apply / rollback: an optional target, a count back. */
static void run_counted(sqlite3_context *c, int argc, sqlite3_value **argv,
                        int (*fn)(dbc_ctx *, const dbc_migrate_env *, const char *, int64_t *))
{
	sqldbc_call call;
	sqldbc_begin(&call, c);
	const char *target;
	char *backup = NULL;
	int64_t n = 0, history_before = 0;
	int rc = opt_text(&call, argc, argv, 0, "target", &target);
	if (rc == DBC_OK)
		rc = backup_first(&call.ctx, fn == dbc_migrate_apply, target, &backup, &history_before);
	if (rc == DBC_OK)
		rc = fn(&call.ctx, &env, target, &n);
	if (rc == DBC_OK && backup)
		rc = name_backup(&call.ctx, backup, history_before);
	if (rc == DBC_OK)
		sqlite3_result_int64(c, n);
	sqldbc_finish(&call, c, rc);
}

void sqldbc_dbmigrate_apply(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	run_counted(c, argc, argv, dbc_migrate_apply);
}

void sqldbc_dbmigrate_rollback(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	run_counted(c, argc, argv, dbc_migrate_rollback);
}

void sqldbc_dbmigrate_baseline(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	(void)argc;
	sqldbc_call call;
	sqldbc_begin(&call, c);
	const char *version;
	int64_t n = 0;
	int rc = sqldbc_arg_text(&call, argv, 0, "version", &version);
	if (rc == DBC_OK)
		rc = dbc_migrate_baseline(&call.ctx, &env, version, &n);
	if (rc == DBC_OK)
		sqlite3_result_int64(c, n);
	sqldbc_finish(&call, c, rc);
}

void sqldbc_dbmigrate_repair(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	(void)argc, (void)argv;
	sqldbc_call call;
	sqldbc_begin(&call, c);
	int64_t n = 0;
	int rc = dbc_migrate_repair(&call.ctx, &env, &n);
	if (rc == DBC_OK)
		sqlite3_result_int64(c, n);
	sqldbc_finish(&call, c, rc);
}

void sqldbc_dbmigrate_script(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	sqldbc_call call;
	sqldbc_begin(&call, c);
	const char *target, *direction = "apply";
	char *script = NULL;
	/* dbmigrate_script([target]) or dbmigrate_script(direction, target) */
	int rc = argc == 2 ? sqldbc_arg_text(&call, argv, 0, "direction", &direction) : DBC_OK;
	if (rc == DBC_OK)
		rc = opt_text(&call, argc, argv, argc == 2 ? 1 : 0, "target", &target);
	if (rc == DBC_OK)
		rc = dbc_migrate_script_direction(&call.ctx, &env, direction, target, &script);
	if (rc == DBC_OK)
		result_text(c, script);
	sqldbc_finish(&call, c, rc);
}

/* dbmigrate_script(direction, target): the signature of two arguments, which
 * the glue above tells by argc. */
void sqldbc_dbmigrate_script_direction(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	sqldbc_dbmigrate_script(c, argc, argv);
}

void sqldbc_dbmigrate_step_begin(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	(void)argc;
	sqldbc_call call;
	sqldbc_begin(&call, c);
	const char *kind, *key, *checksum;
	bool run = false;
	int rc = sqldbc_arg_text(&call, argv, 0, "kind", &kind);
	if (rc == DBC_OK)
		rc = sqldbc_arg_text(&call, argv, 1, "key", &key);
	if (rc == DBC_OK)
		rc = sqldbc_arg_text(&call, argv, 2, "checksum", &checksum);
	if (rc == DBC_OK)
		rc = dbc_migrate_step_begin(&call.ctx, &env, kind, key, checksum, &run);
	if (rc == DBC_OK)
		sqlite3_result_int(c, run);
	sqldbc_finish(&call, c, rc);
}

void sqldbc_dbmigrate_step_end(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	(void)argc;
	sqldbc_call call;
	sqldbc_begin(&call, c);
	const char *kind, *key;
	int rc = sqldbc_arg_text(&call, argv, 0, "kind", &kind);
	if (rc == DBC_OK)
		rc = sqldbc_arg_text(&call, argv, 1, "key", &key);
	if (rc == DBC_OK)
		rc = dbc_migrate_step_end(&call.ctx, &env, kind, key);
	if (rc == DBC_OK)
		sqlite3_result_int(c, 1);
	sqldbc_finish(&call, c, rc);
}

/* dbmigrate_verify_json([target]): the rows of dbmigrate_verify as a JSON
 * array. SQLite refuses DROP TABLE while another statement reads the
 * database, which a table-valued function's own SELECT does; a scalar call
 * has no such statement, so down scripts that drop tables verify here. */
void sqldbc_dbmigrate_verify_json(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	static const char *cols[] = {"version", "name", "up_ok", "down_ok", "reversible", "detail"};
	sqldbc_call call;
	sqldbc_begin(&call, c);
	const char *target;
	dbc_rows rows;
	int rc = opt_text(&call, argc, argv, 0, "target", &target);
	if (rc == DBC_OK)
		rc = dbc_migrate_verify(&call.ctx, &env, target, &rows);
	if (rc == DBC_OK) {
		json_t *arr = json_array();
		for (int i = 0; arr && i < rows.nrows; i++) {
			json_t *o = json_object();
			for (int k = 0; o && k < 6; k++) {
				const dbc_value *v = &rows.cells[(size_t)i * 6 + (size_t)k];
				json_t *jv = v->type == DBC_TEXT   ? dbc_json_str(v->s)
				             : v->type == DBC_BOOL ? json_boolean(v->i)
				             : v->type == DBC_INT  ? json_integer(v->i)
				                                   : json_null();
				dbc_json_set(o, cols[k], jv);
			}
			if (!o || json_array_append_new(arr, o) != 0) {
				json_decref(arr);
				arr = NULL;
			}
		}
		char *text = arr ? dbc_json_dump(&call.ctx, arr, JSON_COMPACT) : NULL;
		json_decref(arr);
		if (text) {
			sqlite3_result_text(c, text, -1, SQLITE_TRANSIENT);
			sqlite3_result_subtype(c, 'J');
		} else
			rc = dbc_error(&call.ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	}
	sqldbc_finish(&call, c, rc);
}

static const char *tvf_opt(int argc, const dbc_value *args, int i)
{
	return i < argc && args[i].type == DBC_TEXT ? args[i].s : NULL;
}

int sqldbc_dbmigrate_plan(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	return dbc_migrate_plan(ctx, &env, tvf_opt(argc, args, 0), out);
}

void sqldbc_dbmigrate_rebuild_script(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	(void)argc;
	sqldbc_call call;
	sqldbc_begin(&call, c);
	const char *table, *sql;
	char *script = NULL;
	int rc = sqldbc_arg_text(&call, argv, 0, "table", &table);
	if (rc == DBC_OK)
		rc = sqldbc_arg_text(&call, argv, 1, "new_create_sql", &sql);
	if (rc == DBC_OK)
		rc = dbc_migrate_rebuild_script(&call.ctx, &env, table, sql, &script);
	if (rc == DBC_OK)
		result_text(c, script);
	sqldbc_finish(&call, c, rc);
}

int sqldbc_dbmigrate_lint(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	return dbc_migrate_lint(ctx, &env, tvf_opt(argc, args, 0), out);
}

int sqldbc_dbmigrate_validate(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	(void)argc, (void)args;
	return dbc_migrate_validate(ctx, out);
}

int sqldbc_dbmigrate_verify(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	return dbc_migrate_verify(ctx, &env, tvf_opt(argc, args, 0), out);
}

