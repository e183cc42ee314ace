/*
 * fn_core.c — dbcare_version for SQLite. The settings functions (dbcare_get,
 * dbcare_set, the dbcare_settings table) have the generic glue of
 * sqlite/api/api.c; their logic is in core/settings/.
 */
#include "sqlite/host/glue.h"

void sqldbc_dbcare_version(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	(void)argc, (void)argv;
	sqlite3_result_text(c, dbc_version(), -1, SQLITE_STATIC);
}
