/*
 * maintain_calls.c — dbmaintain_plan, dbmaintain_run and dbmaintain_history
 * as the API table calls them (core/api/functions.h, form CORE_TABLE): the
 * facts come through the engine's health hooks (dbc_api_engine_of), the
 * mode is 'standard' when left out or NULL.
 */
#include "api/api.h"
#include "maintain/maintain.h"

/* The engine's hooks and the mode of args[0]. */
static int prepare(dbc_ctx *ctx, const dbc_value *args, dbc_health_hooks *eng,
                   dbc_health_mode *mode)
{
	dbc_api_engine_of(ctx)->health(ctx, eng);
	return dbc_health_parse_mode(ctx, args[0].s, mode);
}

int dbc_call_dbmaintain_plan(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	dbc_health_hooks eng;
	dbc_health_mode mode;
	dbc_maintain_plan plan;
	(void)argc;
	dbc_rows_init(out, ctx, DBC_MAINTAIN_PLAN_NCOLS);
	if (prepare(ctx, args, &eng, &mode) != DBC_OK ||
	    dbc_maintain_plan_build(ctx, &eng, mode, &plan) != DBC_OK)
		return DBC_ERROR;
	return dbc_maintain_plan_rows(ctx, &plan, out);
}

int dbc_call_dbmaintain_run(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	dbc_health_hooks eng;
	dbc_health_mode mode;
	(void)argc;
	dbc_rows_init(out, ctx, DBC_MAINTAIN_RUN_NCOLS);
	if (prepare(ctx, args, &eng, &mode) != DBC_OK)
		return DBC_ERROR;
	return dbc_maintain_run(ctx, &eng, mode, args[1].type == DBC_TEXT ? args[1].s : NULL, out);
}

int dbc_call_dbmaintain_history(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	dbc_health_hooks eng;
	(void)argc, (void)args;
	dbc_rows_init(out, ctx, DBC_MAINTAIN_HISTORY_NCOLS);
	dbc_api_engine_of(ctx)->health(ctx, &eng);
	return dbc_maintain_history(ctx, &eng, out);
}
