/*
 * cmd_database.c — dbcare create and drop (as dbmate's): the database
 * itself, made or removed by its driver (conn.h: cli_target_create). Both
 * are idempotent: creating what exists or dropping what does not is said
 * on stderr and exits 0. create --install also installs the extension in
 * the new database where the engine installs one (PostgreSQL).
 */
#include "cli/cli.h"

static int exit_code(int rc)
{
	return rc == CLI_DB_DONE ? CLI_OK : rc == CLI_DB_UNNAMED ? CLI_USAGE : CLI_ERROR;
}

int cmd_create(cli_db *probe, cli_opts *o)
{
	const cli_target *t = probe->handle; /* run.c hands the target over */
	return exit_code(cli_target_create(t, o->install, &o->out));
}

int cmd_drop(cli_db *probe, cli_opts *o)
{
	const cli_target *t = probe->handle;
	return exit_code(cli_target_drop(t, &o->out));
}
