/*
 * database.h — each driver's create and drop of the database itself
 * (database_pg.c, database_sqlite.c), which database.c's cli_target_create
 * and cli_target_drop choose between.
 */
#ifndef DBCARE_CLI_DATABASE_H
#define DBCARE_CLI_DATABASE_H

#include "conn.h"
#include "cli/common/output.h"

int cli_pg_create_drop(const cli_target *t, cli_out *out, bool create);
int cli_sqlite_create(const cli_target *t, cli_out *out);
int cli_sqlite_drop(const cli_target *t, cli_out *out);

#endif
