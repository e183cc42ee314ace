/*
 * settings_calls.c — dbcare_get, dbcare_set and dbcare_settings as the API table calls them
 * (core/api/functions.h, forms CORE_SCALAR and CORE_TABLE): the arguments
 * arrive decoded by the engine's generic glue; a scalar's result goes back
 * as a value, a table's as rows.
 */
#include "api/api.h"
#include "settings/settings.h"

int dbc_call_dbcare_get(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	char *value = NULL;
	int rc = dbc_setting_get(ctx, args[0].s, &value);
	*result = dbc_text(value);
	return rc;
}

int dbc_call_dbcare_set(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	char *previous = NULL;
	int rc = dbc_setting_set(ctx, args[0].s, args[1].s, &previous);
	*result = dbc_text(previous);
	return rc;
}

int dbc_call_dbcare_settings(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	(void)argc, (void)args;
	return dbc_settings_rows(ctx, out);
}
