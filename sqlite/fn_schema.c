/*
 * fn_schema.c — dbschema_snapshot, dbschema_fingerprint and the dbschema_diff
 * table for SQLite. The work is the core's; this only decodes and encodes.
 */
#include "glue.h"

void sqldbc_dbschema_snapshot(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	(void)argc, (void)argv;
	sqldbc_call call;
	sqldbc_begin(&call, c);
	char *json;
	int rc = dbc_schema_snapshot(&call.ctx, sqldbc_read_schema, &json);
	if (rc == DBC_OK) {
		sqlite3_result_text(c, json, -1, SQLITE_TRANSIENT);
		sqlite3_result_subtype(c, 'J'); /* JSON for SQLite's json functions */
	}
	sqldbc_finish(&call, c, rc);
}

void sqldbc_dbschema_fingerprint(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	(void)argc, (void)argv;
	sqldbc_call call;
	sqldbc_begin(&call, c);
	char *hex;
	int rc = dbc_schema_fingerprint(&call.ctx, sqldbc_read_schema, &hex);
	if (rc == DBC_OK)
		sqlite3_result_text(c, hex, -1, SQLITE_TRANSIENT);
	sqldbc_finish(&call, c, rc);
}

int sqldbc_dbschema_diff(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	static const char *names[2] = {"from", "to"};
	for (int i = 0; i < 2; i++)
		if (i >= argc || args[i].type != DBC_TEXT)
			return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "argument \"%s\" must not be NULL",
			                 names[i]);
	return dbc_schema_diff(ctx, args[0].s, args[1].s, out);
}
