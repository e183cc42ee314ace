/*
 * retain_calls.c — the retain part's functions of form CORE_TABLE as the API
 * table calls them (core/api/functions.h): their rows.
 */
#include "api/api.h"
#include "retain/retain.h"

int dbc_call_dbsoftdelete_tables(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	(void)argc, (void)args;
	return dbc_softdelete_rows(ctx, out);
}
