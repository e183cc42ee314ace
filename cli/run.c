/*
 * run.c — one command on one database: connect, run, disconnect; and the
 * query and output helpers the commands share.
 */
#include "cli.h"
#include "pg_cancel.h"

#include <stdlib.h>

int cli_q(cli_db *db, cli_opts *o, const char *sql, int n, const char *const *p, cli_rows *out)
{
	if (db->drv->query(db, sql, n, p, out) == 0)
		return 0;
	cli_print_db_error(&o->out, db);
	return -1;
}

void cli_rollback(cli_db *db)
{
	/* the error that ended the transaction is already shown; a failing
	 * ROLLBACK (the connection is gone) adds nothing useful */
	if (db->drv->query(db, "ROLLBACK", 0, NULL, NULL) != 0)
		cli_error_clear(db);
}

int cli_run_one(const cli_command *cmd, cli_opts *o, const char *dbvalue)
{
	cli_target t;
	char *err = NULL;
	if (cli_target_parse(dbvalue, &t, &err) != 0) {
		fprintf(stderr, "%s\n", err);
		free(err);
		return CLI_USAGE;
	}
	if (cmd->traits & CMD_OWN_CONNECT) {
		/* wait: connects itself, again and again */
		cli_db probe = {.label = t.label, .handle = &t};
		return cmd->run(&probe, o);
	}
	cli_connect_opts co = {
	    .module = o->module, .install = o->install, .create = (cmd->traits & CMD_CREATES) != 0};
	cli_new_file created;
	cli_new_file_before(&created, &t, (cmd->traits & CMD_UNDO_NEW) != 0);
	cli_db *db = cli_connect(&t, &co, &err);
	cli_new_file_opened(&created);
	if (!db) {
		cli_new_file_undo(&created);
		o->report.unreachable = true;
		fprintf(stderr, "%s\n", err);
		free(err);
		return CLI_ERROR;
	}
	int rc = cmd->run(db, o);
	cli_progress_end(&o->out);
	/* migrate, rollback --dump-schema: the schema they left, in a file */
	if (rc == CLI_OK && o->dump_schema && !o->dry_run)
		rc = cli_dump_schema(db, o, NULL);
	cli_disconnect(db);
	if (rc != CLI_OK)
		cli_new_file_undo(&created);
	free(t.spec);
	free(t.label);
	/* a stop signal cancelled a statement: the command has rolled back
	 * and disconnected, now dbcare ends as the signal asked */
	cli_stop_if_signalled();
	return rc;
}

void cli_report_version(cli_db *db, cli_opts *o)
{
	cli_rows r = {0};
	if (!o->report.wanted || db->drv->query(db, "SELECT dbmigrate_current()", 0, NULL, &r) != 0) {
		if (o->report.wanted)
			cli_error_clear(db); /* the summary just shows no version */
		return;
	}
	const char *v = cli_cell(&r, 0, 0);
	snprintf(o->report.version, sizeof o->report.version, "%s", v ? v : "");
	o->report.has_version = true;
	cli_rows_free(&r);
}

void cli_print_result(cli_db *db, cli_opts *o, const char *key, const cli_rows *r)
{
	if (o->out.format == CLI_FMT_JSON) {
		fputs("{\"database\":", stdout);
		cli_json_string(stdout, db->label);
		fprintf(stdout, ",\"engine\":\"%s\",\"%s\":", db->drv->engine, key);
		cli_json_rows(stdout, r);
		fputs("}\n", stdout);
	} else if (!o->out.quiet || o->out.format == CLI_FMT_PLAIN) {
		cli_print_rows(&o->out, stdout, r);
	}
}
