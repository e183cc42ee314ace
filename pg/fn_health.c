/*
 * fn_health.c — dbhealth_report, dbhealth_checks, dbhealth_score,
 * dbhealth_metrics, dbhealth_snapshot and dbhealth_growth for PostgreSQL. The
 * facts come from pg/health.c; grading and rendering are the core's.
 */
#include "glue.h"

#include "health_glue.h"

typedef struct report_args {
	dbc_health_engine *eng;
	dbc_health_mode mode;
	dbc_health_report *r;
	double days;
	char *json;
} report_args;

static int run_body(dbc_ctx *ctx, void *arg)
{
	report_args *a = arg;
	return dbc_health_run(ctx, a->eng, a->mode, a->r);
}

/* Runs the report for the optional mode argument 0 (NULL: standard). The
 * checks run inside pgdbc_run: a cancel or timeout in any of them ends the
 * call with 57014, the core's savepoints rolled back. */
static int run(pgdbc_call *call, dbc_health_engine *eng, dbc_health_report *r)
{
	report_args a = {eng, DBC_HEALTH_STANDARD, r, 0, NULL};
	const char *text = pgdbc_arg_text_opt(call, 0);
	pgdbc_health_engine(eng, &call->ctx);
	if (dbc_health_parse_mode(&call->ctx, text, &a.mode) != DBC_OK)
		return DBC_ERROR;
	return pgdbc_run(call, run_body, &a);
}

static int snapshot_body(dbc_ctx *ctx, void *arg)
{
	report_args *a = arg;
	return dbc_health_snapshot(ctx, a->eng, &a->json);
}

static int growth_body(dbc_ctx *ctx, void *arg)
{
	report_args *a = arg;
	return dbc_health_growth(ctx, a->eng, a->days, &a->json);
}

Datum dbhealth_report(PG_FUNCTION_ARGS)
{
	pgdbc_call call;
	dbc_health_engine eng;
	dbc_health_report r;
	struct json_t *tree = NULL;
	int rc;
	pgdbc_begin(&call, fcinfo);
	rc = run(&call, &eng, &r);
	if (rc == DBC_OK)
		rc = dbc_health_report_tree(&call.ctx, &r, &tree);
	return pgdbc_return_jsonb_tree(&call, rc, tree);
}

Datum dbhealth_checks(PG_FUNCTION_ARGS)
{
	pgdbc_call call;
	dbc_health_engine eng;
	dbc_health_report r;
	dbc_rows rows;
	int rc;
	pgdbc_begin(&call, fcinfo);
	rc = run(&call, &eng, &r);
	if (rc == DBC_OK)
		rc = dbc_health_report_rows(&call.ctx, &r, &rows);
	return pgdbc_return_rows(&call, rc, rc == DBC_OK ? &rows : NULL);
}

Datum dbhealth_score(PG_FUNCTION_ARGS)
{
	pgdbc_call call;
	dbc_health_engine eng;
	dbc_health_report r;
	int rc;
	pgdbc_begin(&call, fcinfo);
	rc = run(&call, &eng, &r);
	return pgdbc_return_int32(&call, rc, rc == DBC_OK ? r.score : 0);
}

Datum dbhealth_metrics(PG_FUNCTION_ARGS)
{
	pgdbc_call call;
	dbc_health_engine eng;
	dbc_health_report r;
	char *text = NULL;
	int rc;
	pgdbc_begin(&call, fcinfo);
	rc = run(&call, &eng, &r);
	if (rc == DBC_OK)
		rc = dbc_health_report_prometheus(&call.ctx, &r, &text);
	return pgdbc_return_text(&call, rc, text);
}

Datum dbhealth_snapshot(PG_FUNCTION_ARGS)
{
	pgdbc_call call;
	dbc_health_engine eng;
	report_args a = {&eng, DBC_HEALTH_STANDARD, NULL, 0, NULL};
	int rc;
	pgdbc_begin(&call, fcinfo);
	pgdbc_health_engine(&eng, &call.ctx);
	rc = pgdbc_run(&call, snapshot_body, &a);
	return pgdbc_return_jsonb(&call, rc, a.json);
}

Datum dbhealth_growth(PG_FUNCTION_ARGS)
{
	pgdbc_call call;
	dbc_health_engine eng;
	report_args a = {&eng, DBC_HEALTH_STANDARD, NULL, 30, NULL};
	int rc;
	pgdbc_begin(&call, fcinfo);
	if (pgdbc_arg_given(&call, 0))
		a.days = pgdbc_arg_int32(&call, 0, "days");
	pgdbc_health_engine(&eng, &call.ctx);
	rc = pgdbc_run(&call, growth_body, &a);
	return pgdbc_return_jsonb(&call, rc, a.json);
}
