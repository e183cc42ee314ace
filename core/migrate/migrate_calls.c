/*
 * migrate_calls.c — dbmigrate_current, dbmigrate_assert, dbmigrate_status
 * and dbmigrate_history as the API table calls them
 * (core/api/functions.h, forms CORE_SCALAR and CORE_TABLE): the arguments
 * arrive decoded by the engine's generic glue; a scalar's result goes back
 * as a value, a table's as rows.
 */
#include "api/api.h"
#include "migrate/migrate.h"

int dbc_call_dbmigrate_current(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	char *version = NULL;
	int rc;
	(void)args;
	rc = dbc_migrate_current(ctx, &version);
	*result = dbc_text(version); /* NULL when none is applied */
	return rc;
}

int dbc_call_dbmigrate_assert(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	int rc = dbc_migrate_assert(ctx, args[0].s);
	*result = dbc_bool(true);
	return rc;
}

int dbc_call_dbmigrate_status(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	(void)argc, (void)args;
	return dbc_migrate_status(ctx, out);
}

int dbc_call_dbmigrate_history(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out)
{
	(void)argc, (void)args;
	return dbc_migrate_history(ctx, out);
}
