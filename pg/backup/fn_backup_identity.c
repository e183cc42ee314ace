/*
 * fn_backup_identity.c — dbbackup_identity() on PostgreSQL: the database's
 * identity (dbcare.database_identity, made by CREATE EXTENSION, kept by
 * pg_dump), which a sealed dump's header names; SQLite's is
 * sqlite/backup/fn_backup.c. The command reads it through this function, never the
 * table (test/script/core_cli_client.sh).
 */
#include "pg/host/glue.h"

Datum dbbackup_identity(PG_FUNCTION_ARGS)
{
	pgdbc_call call;
	char *identity = NULL;
	bool found = false;
	pgdbc_begin(&call, fcinfo);
	int rc = dbc_query_text(&call.ctx, "SELECT identity FROM dbcare.database_identity LIMIT 1", 0,
	                        NULL, &identity, &found);
	if (rc == DBC_OK && !identity)
		return pgdbc_return_null(&call, rc);
	return pgdbc_return_text(&call, rc, identity);
}
