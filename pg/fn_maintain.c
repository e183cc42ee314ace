/*
 * fn_maintain.c — dbmaintain_plan, dbmaintain_run and dbmaintain_history for
 * PostgreSQL. The facts come from pg/health.c through the health run; the
 * plan and the run are core/maintain's. dbmaintain_run changes the
 * database: pgdbc_begin refuses it on a standby (25006).
 */
#include "glue.h"
#include "health_glue.h"

#include "maintain/maintain.h"

typedef struct maintain_args {
	dbc_health_engine eng;
	dbc_health_mode mode;
	const char *include;
	dbc_rows *rows;
} maintain_args;

static int plan_body(dbc_ctx *ctx, void *arg)
{
	maintain_args *a = arg;
	dbc_maintain_plan plan;
	if (dbc_maintain_plan_build(ctx, &a->eng, a->mode, &plan) != DBC_OK)
		return DBC_ERROR;
	return dbc_maintain_plan_rows(ctx, &plan, a->rows);
}

static int run_body(dbc_ctx *ctx, void *arg)
{
	maintain_args *a = arg;
	return dbc_maintain_run(ctx, &a->eng, a->mode, a->include, a->rows);
}

static int history_body(dbc_ctx *ctx, void *arg)
{
	maintain_args *a = arg;
	return dbc_maintain_history(ctx, &a->eng, a->rows);
}

/* The engine, the mode (argument 0; NULL: standard), the body run under
 * pgdbc_run: a cancel ends the call with 57014, the core's savepoints
 * rolled back. */
static Datum call(FunctionCallInfo fcinfo, int ncols, int (*body)(dbc_ctx *, void *), bool has_mode)
{
	pgdbc_call c;
	dbc_rows rows;
	maintain_args a;
	int rc = DBC_OK;
	pgdbc_begin(&c, fcinfo);
	memset(&a, 0, sizeof(a));
	dbc_rows_init(&rows, &c.ctx, ncols);
	a.rows = &rows;
	a.mode = DBC_HEALTH_STANDARD;
	pgdbc_health_engine(&a.eng, &c.ctx);
	if (has_mode)
		rc = dbc_health_parse_mode(&c.ctx, pgdbc_arg_text_opt(&c, 0), &a.mode);
	if (rc == DBC_OK && body == run_body)
		a.include = pgdbc_arg_text_opt(&c, 1);
	if (rc == DBC_OK)
		rc = pgdbc_run(&c, body, &a);
	return pgdbc_return_rows(&c, rc, &rows);
}

Datum dbmaintain_plan(PG_FUNCTION_ARGS)
{
	return call(fcinfo, DBC_MAINTAIN_PLAN_NCOLS, plan_body, true);
}

Datum dbmaintain_run(PG_FUNCTION_ARGS)
{
	return call(fcinfo, DBC_MAINTAIN_RUN_NCOLS, run_body, true);
}

Datum dbmaintain_history(PG_FUNCTION_ARGS)
{
	return call(fcinfo, DBC_MAINTAIN_HISTORY_NCOLS, history_body, false);
}
