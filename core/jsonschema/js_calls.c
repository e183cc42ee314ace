/*
 * js_calls.c — the registry's functions as the API table calls them
 * (core/api/functions.h, forms CORE_SCALAR and CORE_TABLE).
 */
#include "api/api.h"
#include "jsonschema/jsonschema.h"

int dbc_call_dbjson_register(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	char *sha256 = NULL;
	int rc = dbc_js_register(ctx, args[0].s, args[1].s, args[2].type == DBC_TEXT ? args[2].s : NULL,
	                         &sha256);
	*result = sha256 ? dbc_text(sha256) : dbc_null();
	return rc;
}

int dbc_call_dbjson_unregister(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	bool removed = false;
	int rc = dbc_js_unregister(ctx, args[0].s, &removed);
	*result = dbc_bool(removed);
	return rc;
}

int dbc_call_dbjson_schemas(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	(void)argc, (void)args;
	return dbc_js_schemas(ctx, out);
}

int dbc_call_dbjson_revalidate(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	(void)argc;
	return dbc_js_revalidate(ctx, args[0].s, out);
}

int dbc_call_dbjson_history(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	(void)argc;
	return dbc_js_history(ctx, args[0].s, out);
}
