/*
 * fn_core.c — dbcare_version, dbcare_set, dbcare_get and the dbcare_settings
 * table for SQLite.
 */
#include "settings/settings.h"
#include "glue.h"

static void fn_version(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	(void)argc, (void)argv;
	sqlite3_result_text(c, dbc_version(), -1, SQLITE_STATIC);
}

static void fn_get(sqlite3_context *c, int argc, sqlite3_value **argv)
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

static void fn_set(sqlite3_context *c, int argc, sqlite3_value **argv)
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

static int produce_settings(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	(void)argc, (void)args;
	return dbc_settings_rows(ctx, out);
}

static const sqldbc_fn functions[] = {
	{"dbcare_version", 0, SQLDBC_PURE, fn_version},
	{"dbcare_get", 1, SQLDBC_SIDE_EFFECT, fn_get},
	{"dbcare_set", 2, SQLDBC_SIDE_EFFECT, fn_set},
};

static const sqldbc_tvf tables[] = {
	{"dbcare_settings", "key,value,default_value,description,problem", "", produce_settings},
};

int sqldbc_register_core(sqlite3 *db, sqldbc_conn *conn, char **errmsg)
{
	int rc = sqldbc_register_functions(db, conn, functions, 3, errmsg);
	return rc == SQLITE_OK ? sqldbc_register_tvfs(db, conn, tables, 1, errmsg) : rc;
}
