/*
 * fn_core.c — dbcare_version, dbcare_set, dbcare_get and the dbcare_settings
 * table for SQLite.
 */
#include "settings/settings.h"
#include "glue.h"

void sqldbc_dbcare_version(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	(void)argc, (void)argv;
	sqlite3_result_text(c, dbc_version(), -1, SQLITE_STATIC);
}

void sqldbc_dbcare_get(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	(void)argc;
	sqldbc_call call;
	sqldbc_begin(&call, c);
	const char *key;
	char *value;
	int rc = sqldbc_arg_text(&call, argv, 0, "key", &key);
	if (rc == DBC_OK)
		rc = dbc_setting_get(&call.ctx, key, &value);
	if (rc == DBC_OK)
		sqlite3_result_text(c, value, -1, SQLITE_TRANSIENT);
	sqldbc_finish(&call, c, rc);
}

void sqldbc_dbcare_set(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	(void)argc;
	sqldbc_call call;
	sqldbc_begin(&call, c);
	const char *key, *value;
	char *previous;
	int rc = sqldbc_arg_text(&call, argv, 0, "key", &key);
	if (rc == DBC_OK)
		rc = sqldbc_arg_text(&call, argv, 1, "value", &value);
	if (rc == DBC_OK)
		rc = dbc_setting_set(&call.ctx, key, value, &previous);
	if (rc == DBC_OK)
		sqlite3_result_text(c, previous, -1, SQLITE_TRANSIENT);
	sqldbc_finish(&call, c, rc);
}

int sqldbc_dbcare_settings(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	(void)argc, (void)args;
	return dbc_settings_rows(ctx, out);
}
