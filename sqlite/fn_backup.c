/*
 * fn_backup.c — dbbackup_* for SQLite. Decoding and encoding only: what a
 * backup is and when it counts as verified is core/backup/; the files are
 * backup_file.c.
 */
#include "backup_glue.h"
#include "glue.h"

static void result_json(sqlite3_context *c, const char *json)
{
	sqlite3_result_text(c, json, -1, SQLITE_TRANSIENT);
}

void sqldbc_dbbackup_create(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	sqldbc_call call;
	sqldbc_begin(&call, c);
	const char *path = NULL;
	char *json = NULL;
	int64_t id = 0;
	int rc = DBC_OK;
	if (argc > 0 && sqlite3_value_type(argv[0]) != SQLITE_NULL)
		rc = sqldbc_arg_text(&call, argv, 0, "path", &path);
	if (rc == DBC_OK)
		rc = dbc_backup_create(&call.ctx, &sqldbc_backup_env, path, &json, &id);
	if (rc == DBC_OK)
		result_json(c, json);
	sqldbc_finish(&call, c, rc);
}

void sqldbc_dbbackup_verify(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	(void)argc;
	sqldbc_call call;
	sqldbc_begin(&call, c);
	const char *path;
	char *json = NULL;
	int rc = sqldbc_arg_text(&call, argv, 0, "path", &path);
	if (rc == DBC_OK)
		rc = dbc_backup_verify(&call.ctx, &sqldbc_backup_env, path, &json);
	if (rc == DBC_OK)
		result_json(c, json);
	sqldbc_finish(&call, c, rc);
}

/* Optional integer argument i: absent or NULL is -1 (not given); a
 * negative one is an error. */
static int opt_count(sqldbc_call *call, int argc, sqlite3_value **argv, int i, const char *name,
                     int64_t *out)
{
	*out = -1;
	if (i >= argc || sqlite3_value_type(argv[i]) == SQLITE_NULL)
		return DBC_OK;
	if (sqldbc_arg_int(call, argv, i, name, out) != DBC_OK)
		return DBC_ERROR;
	if (*out < 0)
		return dbc_error(&call->ctx, DBC_SQLSTATE_BAD_ARGUMENT, "%s must not be negative", name);
	return DBC_OK;
}

void sqldbc_dbbackup_prune(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	sqldbc_call call;
	sqldbc_begin(&call, c);
	int64_t keep_count, keep_days, dry_run = 1;
	char *json = NULL;
	int rc = opt_count(&call, argc, argv, 0, "keep_count", &keep_count);
	if (rc == DBC_OK)
		rc = opt_count(&call, argc, argv, 1, "keep_days", &keep_days);
	if (rc == DBC_OK && argc > 2)
		rc = sqldbc_arg_int(&call, argv, 2, "dry_run", &dry_run);
	if (rc == DBC_OK)
		rc = dbc_backup_prune(&call.ctx, &sqldbc_backup_env, keep_count, keep_days, dry_run != 0,
		                      &json);
	if (rc == DBC_OK)
		result_json(c, json);
	sqldbc_finish(&call, c, rc);
}

int sqldbc_dbbackup_list(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	(void)argc, (void)args;
	return dbc_backup_list(ctx, &sqldbc_backup_env, out);
}
