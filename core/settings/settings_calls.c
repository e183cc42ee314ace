/*
 * settings_calls.c — dbcare_get and dbcare_set as the API table calls them
 * (core/api/functions.h, form CORE_SCALAR): the arguments arrive decoded by
 * the engine's generic glue, the result goes back as a value.
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
