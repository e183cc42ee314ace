/*
 * schema_calls.c — dbschema_snapshot, dbschema_fingerprint and dbschema_diff
 * as the API table calls them (core/api/functions.h, forms CORE_SCALAR and
 * CORE_TABLE). The live schema comes through the host's reader.
 */
#include "api/api.h"
#include "schema/schema.h"

int dbc_call_dbschema_snapshot(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	char *json = NULL;
	int rc = dbc_schema_snapshot(ctx, ctx->host->read_schema, &json);
	(void)args;
	*result = json ? dbc_text(json) : dbc_null();
	return rc;
}

/* Hashes the core's canonical text, not jsonb's re-serialisation of it
 * (jsonb orders keys by length first), so both engines hash the same
 * bytes. */
int dbc_call_dbschema_fingerprint(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	char *hex = NULL;
	int rc = dbc_schema_fingerprint(ctx, ctx->host->read_schema, &hex);
	(void)args;
	*result = hex ? dbc_text(hex) : dbc_null();
	return rc;
}

int dbc_call_dbschema_diff(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	(void)argc;
	return dbc_schema_diff(ctx, args[0].s, args[1].s, out);
}
