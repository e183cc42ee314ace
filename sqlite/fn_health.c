/*
 * fn_health.c — the SQLite functions of the health feature: dbhealth_report,
 * dbhealth_score, dbhealth_metrics, dbhealth_snapshot, dbhealth_growth, the
 * table dbhealth_checks, and dbmonitor_start / dbmonitor_stop / dbmonitor_slow.
 */
#include "health_glue.h"

#include <string.h>

/* Optional mode argument: absent or NULL is the default (standard). */
static int arg_mode(sqldbc_call *call, int argc, sqlite3_value **argv, dbc_health_mode *mode)
{
	const char *text = NULL;
	if (argc > 0 && sqlite3_value_type(argv[0]) != SQLITE_NULL &&
	    sqldbc_arg_text(call, argv, 0, "mode", &text) != DBC_OK)
		return DBC_ERROR;
	return dbc_health_parse_mode(&call->ctx, text, mode);
}

enum { OUT_JSON, OUT_SCORE, OUT_PROMETHEUS };

static void report(sqlite3_context *fctx, int argc, sqlite3_value **argv, int what)
{
	sqldbc_call call;
	dbc_health_engine eng;
	dbc_health_report r;
	dbc_health_mode mode;
	char *text = NULL;
	sqldbc_begin(&call, fctx);
	sqldbc_health_engine(&eng, call.conn);
	int rc = arg_mode(&call, argc, argv, &mode);
	if (rc == DBC_OK)
		rc = dbc_health_run(&call.ctx, &eng, mode, &r);
	if (rc == DBC_OK && what == OUT_JSON)
		rc = dbc_health_report_json(&call.ctx, &r, &text);
	else if (rc == DBC_OK && what == OUT_PROMETHEUS)
		rc = dbc_health_report_prometheus(&call.ctx, &r, &text);
	if (rc == DBC_OK) {
		if (what == OUT_SCORE)
			sqlite3_result_int(fctx, r.score);
		else
			sqlite3_result_text(fctx, text, -1, SQLITE_TRANSIENT);
	}
	sqldbc_finish(&call, fctx, rc);
}

void sqldbc_dbhealth_report(sqlite3_context *fctx, int argc, sqlite3_value **argv)
{
	report(fctx, argc, argv, OUT_JSON);
}

void sqldbc_dbhealth_score(sqlite3_context *fctx, int argc, sqlite3_value **argv)
{
	report(fctx, argc, argv, OUT_SCORE);
}

void sqldbc_dbhealth_metrics(sqlite3_context *fctx, int argc, sqlite3_value **argv)
{
	report(fctx, argc, argv, OUT_PROMETHEUS);
}

void sqldbc_dbhealth_snapshot(sqlite3_context *fctx, int argc, sqlite3_value **argv)
{
	sqldbc_call call;
	dbc_health_engine eng;
	char *json = NULL;
	(void)argc, (void)argv;
	sqldbc_begin(&call, fctx);
	sqldbc_health_engine(&eng, call.conn);
	int rc = dbc_health_snapshot(&call.ctx, &eng, &json);
	if (rc == DBC_OK)
		sqlite3_result_text(fctx, json, -1, SQLITE_TRANSIENT);
	sqldbc_finish(&call, fctx, rc);
}

void sqldbc_dbhealth_growth(sqlite3_context *fctx, int argc, sqlite3_value **argv)
{
	sqldbc_call call;
	dbc_health_engine eng;
	char *json = NULL;
	int64_t days = 30;
	sqldbc_begin(&call, fctx);
	sqldbc_health_engine(&eng, call.conn);
	int rc = DBC_OK;
	if (argc > 0 && sqlite3_value_type(argv[0]) != SQLITE_NULL)
		rc = sqldbc_arg_int(&call, argv, 0, "days", &days);
	if (rc == DBC_OK)
		rc = dbc_health_growth(&call.ctx, &eng, (double)days, &json);
	if (rc == DBC_OK)
		sqlite3_result_text(fctx, json, -1, SQLITE_TRANSIENT);
	sqldbc_finish(&call, fctx, rc);
}

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

int sqldbc_dbhealth_checks(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	dbc_health_engine eng;
	dbc_health_report r;
	dbc_health_mode mode;
	const char *text = argc > 0 && args[0].type == DBC_TEXT ? args[0].s : NULL;
	dbc_rows_init(out, ctx, 7);
	if (argc > 0 && args[0].type != DBC_TEXT && args[0].type != DBC_NULL)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "argument \"mode\" must be text");
	sqldbc_health_engine(&eng, sqldbc_call_conn(ctx));
	if (dbc_health_parse_mode(ctx, text, &mode) != DBC_OK ||
	    dbc_health_run(ctx, &eng, mode, &r) != DBC_OK)
		return DBC_ERROR;
	return dbc_health_report_rows(ctx, &r, out);
}
