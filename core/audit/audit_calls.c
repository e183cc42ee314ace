/*
 * audit_calls.c — the audit part's functions of form CORE_TABLE as the API
 * table calls them (core/api/functions.h): the arguments arrive decoded and
 * checked (dbc_api_args), the engine's audit hooks come from
 * dbc_api_engine_of, and a read of the log first does what the engine's
 * audit_read asks (SQLite completes the entries written without dbcare).
 */
#include "api/api.h"
#include "audit/audit.h"

int dbc_call_dbaudit_tables(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	(void)argc, (void)args;
	dbc_rows_init(out, ctx, DBC_AUDIT_TABLES_NCOLS);
	return dbc_audit_tables(ctx, dbc_api_engine_of(ctx)->audit, out);
}

int dbc_call_dbaudit_log(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	const dbc_api_hooks *api = dbc_api_engine_of(ctx);
	(void)argc;
	dbc_rows_init(out, ctx, DBC_AUDIT_LOG_NCOLS);
	if (api->audit_read && api->audit_read(ctx) != DBC_OK)
		return DBC_ERROR;
	return dbc_audit_log(ctx, api->audit, args[0].type == DBC_TEXT ? args[0].s : NULL,
	                     args[1].type == DBC_TEXT ? args[1].s : NULL, out);
}
