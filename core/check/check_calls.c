/*
 * check_calls.c — dbcheck_drop_relation as the API table calls it
 * (core/api/functions.h, form CORE_SCALAR): the arguments arrive decoded by
 * the engine's generic glue, the result goes back as a value.
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
