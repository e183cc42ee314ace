/*
 * pg/host/health_readable.c — whether the caller may read a dbcare table a health
 * check reads, else the check's skip with the grant that gives it. Below
 * pg/health/health.c and the gatherers it calls in pg/audit/fn_audit.c and pg/backup/backup.c
 * (which all ask it), so those depend on each other in one direction.
 */
#include "glue.h"

#include "health/health.h"

#include <string.h>

int pgdbc_health_readable(dbc_ctx *ctx, dbc_health_fact *fact, const char *table, const char *what,
                          bool *readable)
{
	char *can_read = NULL;
	dbc_value arg = dbc_text(table);
	if (dbc_query_text(ctx,
	                   "SELECT CASE WHEN NOT pg_catalog.has_schema_privilege('dbcare', 'USAGE')"
	                   " THEN 'no' WHEN pg_catalog.has_table_privilege($1, 'SELECT')"
	                   " THEN 'yes' ELSE 'no' END",
	                   1, &arg, &can_read, NULL) != DBC_OK)
		return DBC_ERROR;
	*readable = can_read && strcmp(can_read, "yes") == 0;
	if (*readable)
		return DBC_OK;
	char *user = NULL;
	dbc_query_text(ctx, "SELECT current_user", 0, NULL, &user, NULL);
	dbc_health_skip_denied(ctx, fact, dbc_printf(ctx, "cannot read %s %s", what, table),
	                       dbc_printf(ctx, "GRANT pg_monitor TO %s;",
	                                  ctx->host->quote_ident(ctx, user ? user : "current_user")));
	return DBC_OK;
}
