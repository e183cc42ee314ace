/*
 * cmd_health.c — health, check, orphans and schema: one call of the
 * extension each, printed; the exit code says whether a threshold was
 * reached (3), so a nightly job fails on the database's own verdict.
 */
#include "cli/cli.h"
#include "cli/common/files.h"
#include "health/health.h"
#include "health_file.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* The report's checks as a table, with its score, its status and, when a
 * check is graded worse than the report, its worst_check above (each as
 * the module wrote it: the order of the words is core's). */
static void print_report_table(cli_db *db, const json_t *rep)
{
	const char *status = json_string_value(json_object_get(rep, "status"));
	const char *worst = json_string_value(json_object_get(rep, "worst_check"));
	printf("%s: score %lld, status %s (%s mode)", db->label,
	       (long long)json_integer_value(json_object_get(rep, "score")), status,
	       json_string_value(json_object_get(rep, "mode")));
	if (dbc_health_grade_rank(worst) > dbc_health_grade_rank(status))
		printf(", a check at %s", worst);
	putchar('\n');
	const json_t *checks = json_object_get(rep, "checks");
	size_t n = json_array_size(checks);
	cli_rows r = {.ncols = 3, .nrows = (int)n};
	char *names[3] = {"check", "status", "message"};
	cli_type types[3] = {CLI_T_TEXT, CLI_T_TEXT, CLI_T_TEXT};
	r.names = names;
	r.types = types;
	r.cells = calloc(n * 3 + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		const json_t *c = json_array_get(checks, i);
		r.cells[i * 3] = (char *)json_string_value(json_object_get(c, "name"));
		r.cells[i * 3 + 1] = (char *)json_string_value(json_object_get(c, "status"));
		r.cells[i * 3 + 2] = (char *)json_string_value(json_object_get(c, "message"));
	}
	cli_out table = {.format = CLI_FMT_TABLE};
	cli_print_rows(&table, stdout, &r);
	free(r.cells);
}

/* An unknown report (dbc_health_unread) says on stderr why: the first
 * check that could not read its part (an error row, or a skip that cost
 * its penalty: a denied read) with its remedy, so a script's log names the
 * file or role and what to do. */
static void say_unread(cli_db *db, const json_t *rep)
{
	const json_t *c;
	size_t i;
	json_array_foreach(json_object_get(rep, "checks"), i, c)
	{
		if (!dbc_health_row_unread(json_string_value(json_object_get(c, "status")),
		                           json_integer_value(json_object_get(c, "penalty"))))
			continue;
		const char *hint = json_string_value(json_object_get(c, "hint"));
		fprintf(stderr, "dbcare: %s: the health report could not read the database: %s: %s\n",
		        db->label, json_string_value(json_object_get(c, "name")),
		        json_string_value(json_object_get(c, "message")));
		if (hint)
			fprintf(stderr, "HINT: %s\n", hint);
		return;
	}
}

/* --subscriber: each subscriber whose schema lags this publisher's (it
 * lacks a column its publications publish) is a check row of its own at
 * warning, and the report's worst_check rises to it; the score is the
 * module's, unchanged. */
static int add_subscriber_findings(cli_db *db, cli_opts *o, json_t *rep)
{
	char **msgs = NULL;
	int n = 0;
	if (cli_replicas_schema_lag(db, o, &msgs, &n) != 0)
		return -1;
	json_t *checks = json_object_get(rep, "checks");
	const char *warning = dbc_check_status_name(DBC_CHECK_WARNING);
	for (int i = 0; i < n; i++) {
		json_array_append_new(
		    checks, json_pack("{s:s, s:s, s:s, s:s, s:i}", "name", "subscriber_schema", "status",
		                      warning, "message", msgs[i], "hint",
		                      "add the columns on the subscriber first, then on the publisher "
		                      "(docs/topology.md, the order of changes)",
		                      "penalty", 0));
		free(msgs[i]);
	}
	const char *worst = json_string_value(json_object_get(rep, "worst_check"));
	if (n && worst && dbc_health_grade_rank(worst) < DBC_CHECK_WARNING)
		json_object_set_new(rep, "worst_check", json_string(warning));
	free(msgs);
	return 0;
}

int cmd_health(cli_db *db, cli_opts *o)
{
	const char *mode = o->mode ? o->mode : "standard";
	const char *status = NULL, *worst = NULL;
	json_t *rep = NULL;
	char *metrics = NULL, *text = NULL;
	bool prometheus = o->out.format == CLI_FMT_PROMETHEUS;
	/* refused before the report: a SQLite file has no subscribers */
	if (o->nsubscribers && !db->drv->replicas) {
		cli_errorf("%s has no subscribers to compare: --subscriber is PostgreSQL's "
		           "(docs/topology.md)",
		           db->label);
		return CLI_USAGE;
	}
	/* the exposition as the module wrote it; --fail-on reads the report's
	 * statuses (the same run: one statement reads both) */
	if (cli_health_read(db, mode, NULL,
	                    prometheus && !o->fail_on && !o->nsubscribers ? NULL : &text,
	                    prometheus ? &metrics : NULL) != 0) {
		cli_print_db_error(&o->out, db);
		return CLI_ERROR;
	}
	if (text && !(rep = json_loads(text, 0, NULL))) {
		cli_errorf("the health report is not JSON");
		free(text);
		free(metrics);
		return CLI_ERROR;
	}
	if (rep && o->nsubscribers && add_subscriber_findings(db, o, rep) != 0) {
		json_decref(rep);
		free(text);
		free(metrics);
		return CLI_ERROR;
	}
	if (rep) {
		status = json_string_value(json_object_get(rep, "status"));
		worst = json_string_value(json_object_get(rep, "worst_check"));
	}
	/* an extension older than 0.3.9 writes no worst_check: its status is
	 * all the module judged, and the command grades nothing of its own */
	if (rep && o->fail_on && !worst)
		cli_errorf("the extension's report has no worst_check (older than %s): --fail-on "
		           "compares its status only",
		           DBC_VERSION);
	if (prometheus) {
		fputs(metrics, stdout);
	} else if (o->out.format == CLI_FMT_JSON) {
		/* one compact line on both engines (jsonb text has spaces) */
		char *compact = json_dumps(rep, JSON_COMPACT | JSON_PRESERVE_ORDER);
		printf("%s\n", compact ? compact : text);
		free(compact);
	} else if (!o->out.quiet) {
		print_report_table(db, rep);
	}
	free(text);
	if (rep && dbc_health_unread(status))
		say_unread(db, rep);
	int rc = o->fail_on && dbc_health_reaches(status, worst, o->fail_on) ? CLI_THRESHOLD : CLI_OK;
	if (rc == CLI_THRESHOLD)
		cli_note(&o->out, "dbcare: health status %s, worst check %s: reaches --fail-on %s",
		         status ? status : "?", worst ? worst : "?", o->fail_on);
	json_decref(rep);
	free(metrics);
	return rc;
}

/* Rows whose count column is above zero decide the exit code. */
static int count_rows(const cli_rows *r, const char *col)
{
	int c = cli_col(r, col), n = 0;
	for (int i = 0; i < r->nrows; i++)
		n += cli_cell(r, i, c) && atoll(cli_cell(r, i, c)) > 0;
	return n;
}

/* A jsonb column of the function: SQLite hands it over as text, so it is
 * marked JSON here and --json prints the same array on both engines (a
 * string "[]" on SQLite otherwise). */
static void json_column(cli_rows *r, const char *name)
{
	int c = cli_col(r, name);
	if (c >= 0)
		r->types[c] = CLI_T_JSON;
}

static void print_wrapped(cli_db *db, cli_opts *o, const char *key, const cli_rows *r)
{
	if (o->out.format == CLI_FMT_JSON) {
		cli_json_envelope(stdout, db);
		fprintf(stdout, ",\"%s\":", key);
		cli_json_rows(stdout, r);
		fputs("}\n", stdout);
	} else if (!o->out.quiet) {
		cli_print_rows(&o->out, stdout, r);
	}
}

int cmd_check(cli_db *db, cli_opts *o)
{
	cli_rows r = {0};
	if (cli_q(db, o,
	          "SELECT table_name, constraint_name, kind, violations, sample "
	          "FROM dbcheck_constraints()",
	          0, NULL, &r) != 0)
		return CLI_ERROR;
	json_column(&r, "sample");
	int bad = count_rows(&r, "violations");
	print_wrapped(db, o, "constraints", &r);
	cli_note(&o->out, "%d constraint(s) violated", bad);
	cli_rows_free(&r);
	return bad ? CLI_THRESHOLD : CLI_OK;
}

int cmd_orphans(cli_db *db, cli_opts *o)
{
	cli_rows r = {0};
	if (o->delete_rows) {
		if (cli_q(db, o, "SELECT dbcheck_cleanup_orphans(false) AS deleted", 0, NULL, &r) != 0)
			return CLI_ERROR;
		print_wrapped(db, o, "deleted", &r);
		cli_rows_free(&r);
		return CLI_OK;
	}
	if (cli_q(db, o,
	          "SELECT relation, child_table, parent_table, orphans, sample "
	          "FROM dbcheck_orphans()",
	          0, NULL, &r) != 0)
		return CLI_ERROR;
	json_column(&r, "sample");
	int bad = count_rows(&r, "orphans");
	print_wrapped(db, o, "orphans", &r);
	cli_rows_free(&r);
	return bad ? CLI_THRESHOLD : CLI_OK;
}

int cmd_schema(cli_db *db, cli_opts *o)
{
	const char *sub = o->args[0];
	cli_rows r = {0};
	if (strcmp(sub, "snapshot") == 0 || strcmp(sub, "fingerprint") == 0) {
		if (o->nargs != 1) {
			cli_errorf("usage: dbcare schema %s", sub);
			return CLI_USAGE;
		}
		bool snap = sub[0] == 's';
		if (cli_q(db, o, snap ? "SELECT dbschema_snapshot()" : "SELECT dbschema_fingerprint()", 0,
		          NULL, &r) != 0)
			return CLI_ERROR;
		const char *v = cli_cell(&r, 0, 0);
		if (!snap && o->out.format == CLI_FMT_JSON) {
			fputs("{\"fingerprint\":", stdout);
			cli_json_string(stdout, v ? v : "");
			fputs("}\n", stdout);
		} else {
			printf("%s\n", v ? v : "");
		}
		cli_rows_free(&r);
		return CLI_OK;
	}
	if (strcmp(sub, "diff") != 0 || o->nargs != 3) {
		cli_errorf("usage: dbcare schema snapshot | fingerprint | diff FILE_A FILE_B");
		return CLI_USAGE;
	}
	char *a = cli_read_file(o->args[1]);
	char *b = a ? cli_read_file(o->args[2]) : NULL;
	if (!a || !b) {
		free(a);
		free(b);
		return CLI_ERROR;
	}
	const char *p[2] = {a, b};
	int rc =
	    cli_q(db, o, "SELECT object_type, object_name, change, detail FROM dbschema_diff($1, $2)",
	          2, p, &r);
	free(a);
	free(b);
	if (rc != 0)
		return CLI_ERROR;
	print_wrapped(db, o, "changes", &r);
	cli_rows_free(&r);
	return CLI_OK;
}
