/*
 * cmd_audit.c — audit history TABLE KEY_JSON: dbaudit_history's entries
 * of one row, oldest first. The old and new values are JSON on both
 * engines (SQLite hands them over as text), so --json nests them as
 * objects either way.
 */
#include "cli/cli.h"

#include <string.h>

int cmd_audit(cli_db *db, cli_opts *o)
{
	if (o->nargs != 3 || strcmp(o->args[0], "history") != 0) {
		cli_errorf("usage: dbcare audit history TABLE KEY_JSON (e.g. '{\"id\": 1}')");
		return CLI_USAGE;
	}
	cli_rows r = {0};
	const char *p[2] = {o->args[1], o->args[2]};
	if (cli_q(db, o,
	          "SELECT id, at, txid, db_user, actor, operation, old_values, new_values "
	          "FROM dbaudit_history($1, $2)",
	          2, p, &r) != 0)
		return CLI_ERROR;
	for (int c = 0; c < r.ncols; c++)
		if (strcmp(r.names[c], "old_values") == 0 || strcmp(r.names[c], "new_values") == 0)
			r.types[c] = CLI_T_JSON;
	if (o->out.format == CLI_FMT_JSON) {
		cli_json_envelope(stdout, db);
		fprintf(stdout, ",\"table\":");
		cli_json_string(stdout, o->args[1]);
		fputs(",\"history\":", stdout);
		cli_json_rows(stdout, &r);
		fputs("}\n", stdout);
	} else if (!o->out.quiet || o->out.format == CLI_FMT_PLAIN) {
		cli_print_rows(&o->out, stdout, &r);
	}
	cli_note(&o->out, "%d entr%s", r.nrows, r.nrows == 1 ? "y" : "ies");
	cli_rows_free(&r);
	return CLI_OK;
}
