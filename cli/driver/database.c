/*
 * database.c — dbcare create and drop: which driver's database_*.c makes
 * or removes the database a target names (conn.h: cli_target_create).
 */
#include "conn.h"
#include "database.h"

#include <stdio.h>
#include <stdlib.h>

int cli_target_create(const cli_target *t, bool install, cli_out *out)
{
	if (t->engine == CLI_ENGINE_SQLITE)
		return cli_sqlite_create(t, out);
	int rc = cli_pg_create_drop(t, out, true);
	if (rc != CLI_DB_DONE || !install)
		return rc;
	char *err = NULL;
	cli_db *db = cli_connect(t, &(cli_connect_opts){.install = true}, &err);
	if (!db) {
		fprintf(stderr, "%s\n", err ? err : "dbcare: cannot connect");
		free(err);
		return CLI_DB_FAILED;
	}
	cli_disconnect(db);
	return CLI_DB_DONE;
}

int cli_target_drop(const cli_target *t, cli_out *out)
{
	return t->engine == CLI_ENGINE_SQLITE ? cli_sqlite_drop(t, out)
	                                      : cli_pg_create_drop(t, out, false);
}
