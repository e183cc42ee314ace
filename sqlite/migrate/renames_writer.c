/*
 * renames_writer.c — the rename log's own write path on SQLite (issue 49):
 * whoever may write the file may insert into any table, so a rename row
 * (and the registry row it is checked against) could be forged by any
 * connection. The log's triggers (sqlite/book/bookkeeping.c, RENAMES_GUARD)
 * refuse an INSERT or UPDATE unless dbmigrate_renames_writer() is true,
 * which it is only on a connection with the module while the runner
 * inserts the row it logged (core/migrate/rename_log.c); a connection
 * without the module cannot even compile the triggers. A writer who
 * changes the file's schema (drops the triggers) can still forge rows:
 * the registry's checksum check (rename_verify.c) stays behind this one.
 */
#include "sqlite/host/glue.h"

void sqldbc_renames_writer(dbc_ctx *ctx, bool on)
{
	sqldbc_call_conn(ctx)->renames_writer = on;
}

/* True once per opening of the path: the guard of the runner's row takes
 * it, so a trigger that row fires (one a migration made on this
 * connection, TEMP or not) writes no second row through it. */
void sqldbc_dbmigrate_renames_writer(sqlite3_context *c, int argc, sqlite3_value **argv)
{
	(void)argc, (void)argv;
	sqldbc_conn *conn = sqldbc_conn_of(c);
	sqlite3_result_int(c, conn->renames_writer);
	conn->renames_writer = false;
}
