/*
 * retain_calls.c — the retain part's functions of forms CORE_SCALAR and
 * CORE_TABLE as the API table calls them (core/api/functions.h).
 */
#include "api/api.h"
#include "retain/retain.h"

int dbc_call_dbsoftdelete_tables(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	(void)argc, (void)args;
	return dbc_softdelete_rows(ctx, out);
}

int dbc_call_dbretain_drop(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	bool dropped = false;
	int rc = dbc_retain_drop(ctx, args[0].s, &dropped);
	*result = dbc_bool(dropped);
	return rc;
}

int dbc_call_dbretain_policies(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	(void)argc, (void)args;
	return dbc_retain_policy_rows(ctx, out);
}
