/*
 * check_calls.c — dbcheck_drop_relation and dbcheck_relations as the API table calls them
 * (core/api/functions.h, forms CORE_SCALAR and CORE_TABLE): the arguments
 * arrive decoded by the engine's generic glue; a scalar's result goes back
 * as a value, a table's as rows.
 */
#include "api/api.h"
#include "check/check.h"

int dbc_call_dbcheck_drop_relation(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	bool dropped = false;
	int rc = dbc_relation_drop(ctx, args[0].s, &dropped);
	*result = dbc_bool(dropped);
	return rc;
}

int dbc_call_dbcheck_relations(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	(void)argc, (void)args;
	dbc_rows_init(out, ctx, DBC_RELATION_NCOLS);
	return dbc_relations_rows(ctx, out);
}
