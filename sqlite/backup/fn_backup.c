/*
 * fn_backup.c — dbbackup_identity(), SQLite only: the database's identity
 * (the bookkeeping's, random, made with the first bookkeeping), which a
 * sealed backup's header names; NULL before the bookkeeping has one. The
 * other dbbackup_* functions have the generic glue of sqlite/api/api.c.
 */
#include "sqlite/host/glue.h"

void sqldbc_dbbackup_identity(sqlite3_context *fctx, int argc, sqlite3_value **argv)
{
	sqldbc_call call;
	(void)argc, (void)argv;
	sqldbc_begin(&call, fctx);
	char *id = sqldbc_book_database_id(&call.ctx);
	if (id)
		sqlite3_result_text(fctx, id, -1, SQLITE_TRANSIENT);
	else
		sqlite3_result_null(fctx);
	sqldbc_finish(&call, fctx, call.ctx.failed ? DBC_ERROR : DBC_OK);
}
