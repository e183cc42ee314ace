/*
 * run.c — the query and output helpers the commands share (one command's
 * run on a database: run_one.c).
 */
#include "cli/cli.h"

#include <jansson.h>
#include <stdlib.h>

int cli_q(cli_db *db, cli_opts *o, const char *sql, int n, const char *const *p, cli_rows *out)
{
	if (db->drv->query(db, sql, n, p, out) == 0)
		return 0;
	if (!db->error_kept)
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

void cli_json_envelope(FILE *f, const cli_db *db)
{
	fputs("{\"database\":", f);
	cli_json_string(f, db->label);
	fprintf(f, ",\"engine\":\"%s\"", cli_driver_engine(db->drv));
}

void cli_print_result(cli_db *db, cli_opts *o, const char *key, const cli_rows *r)
{
	if (o->out.format == CLI_FMT_JSON) {
		cli_json_envelope(stdout, db);
		fprintf(stdout, ",\"%s\":", key);
		cli_json_rows(stdout, r);
		fputs("}\n", stdout);
	} else if (!o->out.quiet || o->out.format == CLI_FMT_PLAIN) {
		cli_print_rows(&o->out, stdout, r);
	}
}

/* A JSON answer of the extension: under --json one compact document (the
 * same bytes on both engines: jsonb's text has spaces, SQLite's none);
 * otherwise a table, key and value for an object, a row per element for
 * an array of objects. */
void cli_print_json_doc(cli_db *db, cli_opts *o, const char *key, const char *text)
{
	json_t *doc = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
	if (o->out.format == CLI_FMT_JSON) {
		char *compact =
		    doc ? json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY) : NULL;
		cli_json_envelope(stdout, db);
		fprintf(stdout, ",\"%s\":%s}\n", key, compact ? compact : "null");
		free(compact);
	} else if (!o->out.quiet || o->out.format == CLI_FMT_PLAIN) {
		cli_print_json_table(&o->out, stdout, doc);
	}
	json_decref(doc);
}
