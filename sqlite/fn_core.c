/*
 * fn_core.c — dbcare_version and the dbcare_settings table for SQLite
 * (dbcare_get and dbcare_set have the generic glue of sqlite/api.c).
 */
#include "settings/settings.h"
#include "glue.h"

void sqldbc_dbcare_version(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	(void)argc, (void)argv;
	sqlite3_result_text(c, dbc_version(), -1, SQLITE_STATIC);
}

int sqldbc_dbcare_settings(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	(void)argc, (void)args;
	return dbc_settings_rows(ctx, out);
}
