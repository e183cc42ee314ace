/*
 * fn_health.c — dbmonitor_start and dbmonitor_stop, SQLite's slow-statement
 * monitor of a connection (SQLite only: it holds the connection's trace
 * callback). The dbhealth_* functions have the generic glue of sqlite/api/api.c.
 */
#include "health_glue.h"

#include <string.h>

void sqldbc_dbmonitor_start(sqlite3_context *fctx, int argc, sqlite3_value **argv)
{
	sqldbc_call call;
	int64_t ms = 0;
	(void)argc;
	sqldbc_begin(&call, fctx);
	int64_t replace = 0;
	int rc = sqldbc_arg_int(&call, argv, 0, "threshold_ms", &ms);
	if (rc == DBC_OK && ms < 0) {
		rc = dbc_error(&call.ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		               "argument \"threshold_ms\" must not be negative");
	}
	if (rc == DBC_OK && argc > 1)
		rc = sqldbc_arg_int(&call, argv, 1, "replace_trace", &replace);
	if (rc == DBC_OK)
		rc = sqldbc_monitor_start(&call.ctx, call.conn, (double)ms, replace != 0);
	if (rc == DBC_OK)
		sqlite3_result_int(fctx, 1);
	sqldbc_finish(&call, fctx, rc);
}

void sqldbc_dbmonitor_stop(sqlite3_context *fctx, int argc, sqlite3_value **argv)
{
	sqldbc_call call;
	(void)argc, (void)argv;
	sqldbc_begin(&call, fctx);
	bool was_running = false;
	int rc = sqldbc_monitor_stop(&call.ctx, call.conn, &was_running);
	if (rc == DBC_OK)
		sqlite3_result_int(fctx, was_running ? 1 : 0);
	sqldbc_finish(&call, fctx, rc);
}
