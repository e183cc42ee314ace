/*
 * report_html.h — one self-contained HTML page about a database (or a
 * fleet): score and status, findings with their fix, the largest tables, the
 * size and score history, migrations, backups. No CDN: CSS and charts
 * (inline SVG) are in the page; everything taken from the database is
 * HTML-escaped. `dbcare report --html` writes it; `dbcare serve` serves the
 * same page at GET / (report_html_page).
 */
#ifndef DBCARE_CLI_REPORT_HTML_H
#define DBCARE_CLI_REPORT_HTML_H

#include "cli/cli.h"
#include "cli/driver/driver.h"

#include <stdio.h>

/* What a fleet's summary table shows of one database. */
typedef struct report_html_summary {
	int score;       /* -1: no report */
	char status[16]; /* healthy, warning, critical, unknown; "unreachable" */
	int findings;    /* checks at warning or critical */
	int pending;     /* migrations pending, -1 unknown */
	char label[512]; /* the report's `database` (its metrics' label), else the --db label */
} report_html_summary;

/* The whole page for one database, in the standard health mode. 0, or -1
 * when its health report could not be read (the page then says so). */
int report_html_write(cli_db *db, FILE *out);

/* The pieces of a page, for a fleet: the page's head, one section per
 * database (o: its --mode and --dir, NULL: standard, no folder; sum filled
 * in), a section for a database
 * that could not be opened, the fleet's summary table, the page's end. */
void report_html_begin(FILE *out, const char *title);
int report_html_section(cli_db *db, cli_opts *o, FILE *out, report_html_summary *sum);
void report_html_unreachable(const char *label, const char *error, FILE *out);
void report_html_fleet_summary(FILE *out, int n, const char *const *labels,
                               const report_html_summary *sums);
void report_html_end(FILE *out);

/* How report_html_page opens database i of o->dbs (t: parsed from it) and
 * gives it back; dbcare serve holds the database meanwhile. live, when
 * not NULL, writes more of database i's section before it is closed
 * (serve's live panels); tail, when not NULL, ends the page's body. */
typedef struct report_html_opener {
	cli_db *(*open)(void *arg, int i, const cli_target *t, char **err);
	void (*close)(void *arg, int i, cli_db *db);
	void *arg;
	void (*live)(void *arg, int i, cli_db *db, FILE *out);
	const char *tail;
} report_html_opener;

/* The page of every database of o->dbs (a fleet: a summary table and a
 * section each) into out; op NULL: cli_connect and cli_disconnect. Returns
 * the exit code: CLI_ERROR when a database could not be opened or reported
 * (the page says so and is still whole). cmd_report.c. */
int report_html_page(cli_opts *o, FILE *out, const report_html_opener *op);

/* The fastest-growing tables of the growth history, with a chart each
 * (report_html_growth.c). */
void report_html_growth_part(cli_db *db, FILE *out);

/* Text as HTML (&, <, >, ", ' escaped); NULL prints nothing. */
void report_html_escape(FILE *out, const char *s);

#endif
