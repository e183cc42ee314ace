/*
 * check_calls.c — the dbcheck_* functions as the API table calls them
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

/* The live schema, read through the host. */
static int live_schema(dbc_ctx *ctx, dbc_schema *s)
{
	dbc_schema_init(s, ctx);
	return ctx->host->read_schema(ctx, s);
}

int dbc_call_dbcheck_constraints(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	dbc_schema s;
	dbc_check_options opt = {0};
	(void)argc;
	opt.table = args[0].type == DBC_TEXT ? args[0].s : NULL;
	dbc_rows_init(out, ctx, DBC_CHECK_NCOLS);
	if (live_schema(ctx, &s) != DBC_OK)
		return DBC_ERROR;
	return dbc_check_constraints(ctx, &s, &opt, out);
}

int dbc_call_dbcheck_orphans(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	dbc_schema s;
	(void)argc, (void)args;
	dbc_rows_init(out, ctx, DBC_ORPHAN_NCOLS);
	if (live_schema(ctx, &s) != DBC_OK)
		return DBC_ERROR;
	return dbc_check_orphans(ctx, &s, NULL, out);
}

int dbc_call_dbcheck_add_relation(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	dbc_schema s;
	*result = args[0];
	if (live_schema(ctx, &s) != DBC_OK)
		return DBC_ERROR;
	return dbc_relation_add(ctx, &s, args[0].s, args[1].s, args[2].s, args[3].s, args[4].s);
}

int dbc_call_dbcheck_cleanup_orphans(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	dbc_schema s;
	int64_t count = 0;
	int rc = live_schema(ctx, &s);
	if (rc == DBC_OK)
		rc = dbc_check_cleanup_orphans(ctx, &s, args[0].i != 0, &count);
	*result = dbc_int(count);
	return rc;
}
