/*
 * migrate_calls.c — dbmigrate_current and dbmigrate_assert as the API table
 * calls them (core/api/functions.h, form CORE_SCALAR): the arguments arrive
 * decoded by the engine's generic glue, the result goes back as a value.
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
