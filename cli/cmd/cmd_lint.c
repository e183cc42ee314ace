/*
 * cmd_lint.c — lint: registers the files of --dir in a transaction it
 * rolls back (nothing stays registered, as status), prints
 * dbmigrate_lint's findings. The severities are the extension's; the
 * client only counts them: exit 3 when a finding reaches the threshold
 * (error; with --fail-on warning, also a warning).
 */
#include "cli/cli.h"

#include <string.h>

static int severity_rank(const char *s)
{
	return !s ? 0 : strcmp(s, "error") == 0 ? 2 : strcmp(s, "warning") == 0 ? 1 : 0;
}

int cmd_lint(cli_db *db, cli_opts *o)
{
	bool found;
	int nfiles;
	cli_rows r = {0};
	if (cli_q(db, o, "BEGIN", 0, NULL, NULL) != 0)
		return CLI_ERROR;
	if (cli_register_files(db, o, &found, &nfiles) != 0) {
		cli_rollback(db);
		return CLI_ERROR;
	}
	/* a table-valued function on SQLite, a set-returning one on PostgreSQL:
	 * the same FROM clause reads both */
	const char *p[1] = {o->version};
	int rc = cli_q(db, o,
	               o->version ? "SELECT version, line, rule, severity, message, suggestion "
	                            "FROM dbmigrate_lint($1)"
	                          : "SELECT version, line, rule, severity, message, suggestion "
	                            "FROM dbmigrate_lint()",
	               o->version ? 1 : 0, o->version ? p : NULL, &r);
	cli_rollback(db);
	if (rc != 0)
		return CLI_ERROR;
	int threshold = o->fail_on && strcmp(o->fail_on, "warning") == 0 ? 1 : 2;
	int sc = cli_col(&r, "severity"), errors = 0, warnings = 0;
	for (int i = 0; i < r.nrows; i++) {
		int rank = severity_rank(cli_cell(&r, i, sc));
		errors += rank == 2;
		warnings += rank == 1;
	}
	bool reached = errors > 0 || (threshold == 1 && warnings > 0);
	if (o->out.format == CLI_FMT_JSON) {
		cli_json_envelope(stdout, db);
		fprintf(stdout, ",\"errors\":%d,\"warnings\":%d,\"findings\":", errors, warnings);
		cli_json_rows(stdout, &r);
		fputs("}\n", stdout);
	} else {
		if (!o->out.quiet || o->out.format == CLI_FMT_PLAIN)
			cli_print_rows(&o->out, stdout, &r);
		cli_note(&o->out, "%d error(s), %d warning(s)", errors, warnings);
	}
	cli_rows_free(&r);
	return reached ? CLI_THRESHOLD : CLI_OK;
}
