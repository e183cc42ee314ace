/*
 * cmd_report.c — dbcare report --html FILE: one self-contained HTML page
 * (report_html.h) for the database, or for a fleet one page with a summary
 * table and a section per database, written whole or not at all (beside
 * FILE, then renamed over it; "-" is stdout). The databases are read one
 * after the other; one that cannot be opened gets a section saying why, and
 * one whose report could not read it (status unknown) its page: either
 * makes the exit code 1, the page is still written.
 */
#include "cli/cli.h"
#include "cli/common/files.h"
#include "health/health.h"
#include "report_html.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static cli_db *connect_plain(void *arg, int i, const cli_target *t, char **err)
{
	(void)i;
	const cli_opts *o = arg;
	cli_connect_opts co = {.module = o->module, .install = o->install};
	return cli_connect(t, &co, err);
}

static void disconnect_plain(void *arg, int i, cli_db *db)
{
	(void)arg;
	(void)i;
	cli_disconnect(db);
}

int report_html_page(cli_opts *o, FILE *out, const report_html_opener *op)
{
	report_html_opener plain = {connect_plain, disconnect_plain, o, NULL, NULL};
	if (!op)
		op = &plain;
	bool fleet = o->ndbs > 1;
	const char **labels = calloc((size_t)o->ndbs + 1, sizeof *labels);
	report_html_summary *sums = calloc((size_t)o->ndbs + 1, sizeof *sums);
	char *body = NULL;
	size_t body_len = 0;
	FILE *sections = open_memstream(&body, &body_len);
	if (!labels || !sums || !sections) {
		cli_errorf("out of memory");
		free(labels);
		free(sums);
		return CLI_ERROR;
	}
	int rc = CLI_OK;
	for (int i = 0; i < o->ndbs; i++) {
		cli_target t;
		char *err = NULL;
		sums[i] = (report_html_summary){.score = -1, .pending = -1};
		snprintf(sums[i].status, sizeof sums[i].status, "unreachable");
		/* the summary's row i links here, whatever became of the database */
		fprintf(sections, "<div id=\"db-%d\">\n", i + 1);
		if (cli_target_parse(o->dbs[i], &t, &err) != 0) {
			labels[i] = strdup(o->dbs[i]);
			fprintf(stderr, "%s\n", err);
			report_html_unreachable(o->dbs[i], err, sections);
			fputs("</div>\n", sections);
			free(err);
			rc = CLI_ERROR;
			continue;
		}
		labels[i] = strdup(t.label);
		cli_db *db = op->open(op->arg, i, &t, &err);
		if (!db) {
			fprintf(stderr, "%s\n", err);
			report_html_unreachable(t.label, err, sections);
			free(err);
			rc = CLI_ERROR;
		} else {
			if (report_html_section(db, o, sections, &sums[i]) != 0) {
				rc = CLI_ERROR;
			} else if (dbc_health_unread(sums[i].status)) {
				fprintf(stderr,
				        "dbcare: %s: the health report could not read the database (status "
				        "unknown): its checks say why\n",
				        sums[i].label);
				rc = CLI_ERROR;
			}
			if (op->live)
				op->live(op->arg, i, db, sections);
			/* the page names it as its metrics do: the report's label */
			char *named = strdup(sums[i].label);
			if (named) {
				free((char *)labels[i]);
				labels[i] = named;
			}
			op->close(op->arg, i, db);
		}
		fputs("</div>\n", sections);
		free(t.spec);
		free(t.label);
	}
	fclose(sections);
	char *title = NULL;
	if (fleet && asprintf(&title, "%d databases", o->ndbs) < 0)
		title = NULL;
	report_html_begin(out, fleet ? (title ? title : "fleet") : labels[0]);
	if (fleet)
		report_html_fleet_summary(out, o->ndbs, labels, sums);
	fwrite(body, 1, body_len, out);
	if (op->tail)
		fputs(op->tail, out);
	report_html_end(out);
	free(title);
	free(body);
	for (int i = 0; i < o->ndbs; i++)
		free((char *)labels[i]);
	free(labels);
	free(sums);
	return rc;
}

int cmd_report(cli_db *db, cli_opts *o)
{
	(void)db; /* CMD_WHOLE_FLEET: every database of o->dbs, opened here */
	if (!o->html) {
		cli_errorf("usage: dbcare report --html FILE (\"-\" writes the page to stdout)");
		return CLI_USAGE;
	}
	if (strcmp(o->html, "-") == 0)
		return report_html_page(o, stdout, NULL);
	cli_replace out;
	FILE *f = cli_replace_open(&out, o->html);
	if (!f)
		return CLI_ERROR;
	/* the page is written whatever its verdict (the exit status says it) */
	int rc = report_html_page(o, f, NULL);
	return cli_replace_close(&out, true) != 0 ? CLI_ERROR : rc;
}
