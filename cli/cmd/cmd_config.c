/*
 * cmd_config.c — dbcare config [list | get KEY | set KEY VALUE]: the
 * settings store (dbcare_settings, dbcare_get, dbcare_set) from the shell.
 * Every check of a key or value is the extension's: an unknown key or a
 * value it refuses is its error (exit 1), and set writes nothing then.
 */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

static int config_usage(void)
{
	cli_errorf("usage: dbcare config [list | get KEY | set KEY VALUE]");
	return CLI_USAGE;
}

int cmd_config(cli_db *db, cli_opts *o)
{
	const char *sub = o->nargs ? o->args[0] : "list";
	cli_rows r = {0};
	if (strcmp(sub, "list") == 0 && o->nargs <= 1) {
		if (cli_q(db, o,
		          "SELECT key, value, default_value, description, problem FROM dbcare_settings()",
		          0, NULL, &r) != 0)
			return CLI_ERROR;
		cli_print_result(db, o, "settings", &r);
	} else if (strcmp(sub, "get") == 0 && o->nargs == 2) {
		const char *p[1] = {o->args[1]};
		if (cli_q(db, o, "SELECT $1 AS key, dbcare_get($1) AS value", 1, p, &r) != 0)
			return CLI_ERROR;
		if (o->out.format == CLI_FMT_JSON)
			cli_print_result(db, o, "settings", &r);
		else /* the value alone, for $(dbcare config get KEY) */
			printf("%s\n", cli_cell(&r, 0, 1) ? cli_cell(&r, 0, 1) : "");
	} else if (strcmp(sub, "set") == 0 && o->nargs == 3) {
		/* two statements: the value read back is the one stored (a STABLE
		 * dbcare_get in the same statement would read the old snapshot) */
		const char *p[2] = {o->args[1], o->args[2]};
		if (cli_q(db, o, "SELECT dbcare_set($1, $2)", 2, p, &r) != 0)
			return CLI_ERROR;
		char *previous = cli_cell(&r, 0, 0) ? strdup(cli_cell(&r, 0, 0)) : NULL;
		cli_rows_free(&r);
		const char *p2[2] = {o->args[1], previous};
		int rc = cli_q(db, o,
		               "SELECT CAST($1 AS text) AS key, CAST($2 AS text) AS previous, "
		               "dbcare_get($1) AS value",
		               2, p2, &r);
		free(previous);
		if (rc != 0)
			return CLI_ERROR;
		cli_print_result(db, o, "settings", &r);
	} else {
		return config_usage();
	}
	cli_rows_free(&r);
	return CLI_OK;
}
