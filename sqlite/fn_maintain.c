/*
 * fn_maintain.c — the SQLite producers of dbmaintain_plan, dbmaintain_run
 * and dbmaintain_history (eponymous virtual tables, DIRECTONLY as every
 * dbcare table). Decoding only: the plan and the run are core/maintain's.
 */
#include "health_glue.h"
#include "maintain/maintain.h"

/* Optional text argument n: absent or NULL gives NULL. */
static int text_arg(dbc_ctx *ctx, int argc, const dbc_value *args, int n, const char *name,
                    const char **out)
{
	*out = NULL;
	if (argc <= n || args[n].type == DBC_NULL)
		return DBC_OK;
	if (args[n].type != DBC_TEXT)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "argument \"%s\" must be text", name);
	*out = args[n].s;
	return DBC_OK;
}

int sqldbc_dbmaintain_plan(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	dbc_health_engine eng;
	dbc_health_mode mode;
	dbc_maintain_plan plan;
	const char *text;
	dbc_rows_init(out, ctx, DBC_MAINTAIN_PLAN_NCOLS);
	sqldbc_health_engine(&eng, sqldbc_call_conn(ctx));
	if (text_arg(ctx, argc, args, 0, "mode", &text) != DBC_OK ||
	    dbc_health_parse_mode(ctx, text, &mode) != DBC_OK ||
	    dbc_maintain_plan_build(ctx, &eng, mode, &plan) != DBC_OK)
		return DBC_ERROR;
	return dbc_maintain_plan_rows(ctx, &plan, out);
}

int sqldbc_dbmaintain_run(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	dbc_health_engine eng;
	dbc_health_mode mode;
	const char *text, *include;
	dbc_rows_init(out, ctx, DBC_MAINTAIN_RUN_NCOLS);
	sqldbc_health_engine(&eng, sqldbc_call_conn(ctx));
	if (text_arg(ctx, argc, args, 0, "mode", &text) != DBC_OK ||
	    text_arg(ctx, argc, args, 1, "include", &include) != DBC_OK ||
	    dbc_health_parse_mode(ctx, text, &mode) != DBC_OK)
		return DBC_ERROR;
	return dbc_maintain_run(ctx, &eng, mode, include, out);
}

int sqldbc_dbmaintain_history(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	dbc_health_engine eng;
	(void)argc, (void)args;
	sqldbc_health_engine(&eng, sqldbc_call_conn(ctx));
	return dbc_maintain_history(ctx, &eng, out);
}
