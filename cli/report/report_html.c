/*
 * report_html.c — the sections of the HTML page (report_html.h): the health
 * report and its findings with dbmaintain_plan()'s fixes, the largest
 * tables, the snapshots' size and score history, migrations and backups.
 * Each part reads through the extension's functions, the same statements
 * on both engines (dbhealth_largest_tables, dbhealth_history for the
 * charts). A part that cannot be read (a missing privilege) says so and
 * the page goes on.
 */
#include "cli/cmd/health_file.h"
#include "report_html.h"
#include "health/health.h"
#include "report_html_svg.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Runs sql; on an error the page shows its message instead of the part. */
static bool read_rows(cli_db *db, FILE *out, const char *sql, int n, const char *const *p,
                      cli_rows *r)
{
	if (db->drv->query(db, sql, n, p, r) == 0)
		return true;
	fputs("<p class=\"missing\">Not available: ", out);
	report_html_escape(out, db->error.message ? db->error.message : "the query failed");
	fputs("</p>\n", out);
	cli_error_clear(db);
	return false;
}

/* rows as a table, with the given headings over the columns */
static void rows_table(FILE *out, const cli_rows *r, const char *cls)
{
	fprintf(out, "<table class=\"%s\"><thead><tr>", cls);
	for (int c = 0; c < r->ncols; c++) {
		fputs("<th>", out);
		report_html_escape(out, r->names[c]);
		fputs("</th>", out);
	}
	fputs("</tr></thead><tbody>\n", out);
	for (int i = 0; i < r->nrows; i++) {
		fputs("<tr>", out);
		for (int c = 0; c < r->ncols; c++) {
			const char *v = cli_cell(r, i, c);
			fputs(v ? "<td>" : "<td class=\"null\">", out);
			report_html_escape(out, v ? v : "");
			fputs("</td>", out);
		}
		fputs("</tr>\n", out);
	}
	fputs("</tbody></table>\n", out);
}

static const char *jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Score, status and the checks that are not ok; returns the report (the
 * caller's reference) or NULL. */
static json_t *health_part(cli_db *db, const char *mode, FILE *out, report_html_summary *sum)
{
	/* the report of the database, as `dbcare health` and serve read it */
	char *text = NULL;
	if (cli_health_read(db, mode, db->report_label, &text, NULL) != 0) {
		fputs("<p class=\"missing\">Not available: ", out);
		report_html_escape(out, db->error.message ? db->error.message : "the query failed");
		fputs("</p>\n", out);
		cli_error_clear(db);
		return NULL;
	}
	json_t *rep = json_loads(text, 0, NULL);
	free(text);
	if (!rep) {
		fputs("<p class=\"missing\">The health report is not JSON.</p>\n", out);
		return NULL;
	}
	const char *status = jstr(rep, "status");
	sum->score = (int)json_integer_value(json_object_get(rep, "score"));
	snprintf(sum->status, sizeof sum->status, "%s", status ? status : "");
	fprintf(out,
	        "<div class=\"headline\"><div class=\"score %s\" data-score=\"%d\">"
	        "<span class=\"value\">%d</span><span class=\"of\">/100</span></div>"
	        "<div><div class=\"status %s\">",
	        status ? status : "", sum->score, sum->score, status ? status : "");
	report_html_escape(out, status);
	fputs("</div><div class=\"meta\">", out);
	report_html_escape(out, jstr(rep, "engine"));
	fputs(" ", out);
	report_html_escape(out, jstr(rep, "engine_version"));
	fputs(" · ", out);
	report_html_escape(out, jstr(rep, "mode"));
	fputs(" mode · checked ", out);
	report_html_escape(out, jstr(rep, "checked_at"));
	fputs("</div></div></div>\n", out);

	const json_t *checks = json_object_get(rep, "checks");
	fputs("<h3>Findings</h3>\n<table class=\"findings\"><thead><tr><th>check</th><th>status</th>"
	      "<th>penalty</th><th>finding</th><th>what to do</th></tr></thead><tbody>\n",
	      out);
	sum->findings = 0;
	for (size_t i = 0; i < json_array_size(checks); i++) {
		const json_t *c = json_array_get(checks, i);
		const char *st = jstr(c, "status");
		if (dbc_health_grade_rank(st) <= DBC_CHECK_OK) /* ok, skipped, error: no finding */
			continue;
		sum->findings++;
		fprintf(out, "<tr class=\"%s\"><td>", st);
		report_html_escape(out, jstr(c, "name"));
		fprintf(out, "</td><td>%s</td><td>%lld</td><td>", st,
		        (long long)json_integer_value(json_object_get(c, "penalty")));
		report_html_escape(out, jstr(c, "message"));
		fputs("</td><td>", out);
		report_html_escape(out, jstr(c, "hint"));
		fputs("</td></tr>\n", out);
	}
	if (!sum->findings)
		fputs("<tr><td colspan=\"5\">No finding: every check that ran is ok.</td></tr>\n", out);
	fputs("</tbody></table>\n<details><summary>All checks</summary>\n<table class=\"checks\">"
	      "<thead><tr><th>check</th><th>status</th><th>message</th></tr></thead><tbody>\n",
	      out);
	for (size_t i = 0; i < json_array_size(checks); i++) {
		const json_t *c = json_array_get(checks, i);
		fputs("<tr><td>", out);
		report_html_escape(out, jstr(c, "name"));
		fputs("</td><td>", out);
		report_html_escape(out, jstr(c, "status"));
		fputs("</td><td>", out);
		report_html_escape(out, jstr(c, "message"));
		fputs("</td></tr>\n", out);
	}
	fputs("</tbody></table></details>\n", out);
	return rep;
}

static void fixes_part(cli_db *db, const char *mode, FILE *out)
{
	cli_rows r = {0};
	const char *p[1] = {mode};
	fputs("<h3>Fixes <small>(dbmaintain_plan)</small></h3>\n", out);
	if (!read_rows(db, out,
	               "SELECT object, action, reason, statement, safety FROM dbmaintain_plan($1)", 1,
	               p, &r))
		return;
	if (r.nrows == 0)
		fputs("<p>Nothing to repair.</p>\n", out);
	else
		rows_table(out, &r, "fixes");
	cli_rows_free(&r);
}

static void tables_part(cli_db *db, FILE *out)
{
	cli_rows r = {0};
	fputs("<h3>Largest tables</h3>\n", out);
	if (!read_rows(db, out, "SELECT table_name, bytes FROM dbhealth_largest_tables(10)", 0, NULL,
	               &r))
		return;
	const char **names = calloc((size_t)r.nrows + 1, sizeof *names);
	double *bytes = calloc((size_t)r.nrows + 1, sizeof *bytes);
	for (int i = 0; names && bytes && i < r.nrows; i++) {
		names[i] = cli_cell(&r, i, 0) ? cli_cell(&r, i, 0) : "";
		bytes[i] = cli_cell(&r, i, 1) ? atof(cli_cell(&r, i, 1)) : 0;
	}
	if (r.nrows == 0)
		fputs("<p>No user table.</p>\n", out);
	else if (names && bytes) {
		report_html_svg_bars(out, "Largest tables (with their indexes)", names, bytes, r.nrows);
		fputs("<table class=\"tables\"><thead><tr><th>table</th><th>size</th></tr></thead>"
		      "<tbody>\n",
		      out);
		for (int i = 0; i < r.nrows; i++) {
			char b[32];
			report_html_bytes(b, sizeof b, bytes[i]);
			fputs("<tr><td class=\"table-name\">", out);
			report_html_escape(out, names[i]);
			fprintf(out, "</td><td>%s</td></tr>\n", b);
		}
		fputs("</tbody></table>\n", out);
	}
	free(names);
	free(bytes);
	cli_rows_free(&r);
}

/* The snapshots of dbhealth_snapshot(): size and score over time, and the
 * growth dbhealth_growth(30) fits through them. */
static void history_part(cli_db *db, FILE *out)
{
	cli_rows r = {0};
	fputs("<h3>Growth <small>(dbhealth_snapshot history)</small></h3>\n", out);
	if (db->drv->query(db, "SELECT epoch, size_bytes, score FROM dbhealth_history(500)", 0, NULL,
	                   &r) != 0 ||
	    r.nrows == 0) {
		cli_error_clear(db); /* an older extension without the function */
		cli_rows_free(&r);
		fputs("<p class=\"missing\">No snapshot recorded: <code>SELECT dbhealth_snapshot()</code> "
		      "from cron records one.</p>\n",
		      out);
		return;
	}
	double *x = calloc((size_t)r.nrows + 1, sizeof *x),
	       *size = calloc((size_t)r.nrows + 1, sizeof *size),
	       *score = calloc((size_t)r.nrows + 1, sizeof *score);
	int n = 0;
	for (int i = 0; x && size && score && i < r.nrows; i++) {
		if (!cli_cell(&r, i, 0) || !cli_cell(&r, i, 1))
			continue;
		x[n] = atof(cli_cell(&r, i, 0));
		size[n] = atof(cli_cell(&r, i, 1));
		score[n++] = cli_cell(&r, i, 2) ? atof(cli_cell(&r, i, 2)) : 0;
	}
	if (n == 0) {
		fputs("<p class=\"missing\">No snapshot recorded.</p>\n", out);
	} else {
		fprintf(out, "<p>%d snapshot(s).", n);
		cli_rows g = {0};
		if (db->drv->query(db, "SELECT dbhealth_growth(30)", 0, NULL, &g) == 0) {
			json_t *j = cli_cell(&g, 0, 0) ? json_loads(cli_cell(&g, 0, 0), 0, NULL) : NULL;
			const json_t *per_day = json_object_get(j, "bytes_per_day");
			if (json_is_number(per_day)) {
				char b[32];
				double v = json_number_value(per_day);
				report_html_bytes(b, sizeof b, v < 0 ? -v : v);
				fprintf(out, " Growth over 30 days: <b class=\"growth\">%s%s per day</b>.",
				        v < 0 ? "−" : "", b);
			}
			json_decref(j);
			cli_rows_free(&g);
		} else {
			cli_error_clear(db);
		}
		fputs("</p>\n<div class=\"charts\"><figure><figcaption>Database size</figcaption>", out);
		report_html_svg_line(out, "Database size", x, size, n, true);
		fputs("</figure><figure><figcaption>Health score</figcaption>", out);
		report_html_svg_line(out, "Health score", x, score, n, false);
		fputs("</figure></div>\n", out);
	}
	free(x);
	free(size);
	free(score);
	cli_rows_free(&r);
}

/* The migrations, pending counted as `dbcare status` and serve's /readyz
 * count them (dbmigrate_pending: the registry's pending states and the
 * --dir files it lacks; o NULL: no folder). */
static void migrations_part(cli_db *db, cli_opts *o, FILE *out, report_html_summary *sum)
{
	cli_rows r = {0}, pending = {0};
	fputs("<h3>Migrations</h3>\n", out);
	if (!read_rows(db, out, "SELECT version, name, kind, state, applied_at FROM dbmigrate_status()",
	               0, NULL, &r))
		return;
	bool found = false;
	sum->pending = -1;
	if (o ? cli_pending_files(db, o, &found, &sum->pending) != 0
	      : !read_rows(db, out, "SELECT dbmigrate_pending()", 0, NULL, &pending)) {
		sum->pending = -1;
		cli_error_clear(db);
	} else if (!o)
		sum->pending = cli_cell(&pending, 0, 0) ? atoi(cli_cell(&pending, 0, 0)) : 0;
	cli_rows_free(&pending);
	if (r.nrows == 0 && sum->pending <= 0) {
		fputs("<p>No migration registered.</p>\n", out);
	} else {
		fprintf(out, "<p>%d migration(s), %d pending.</p>\n", r.nrows, sum->pending);
		if (r.nrows > 0)
			rows_table(out, &r, "migrations");
	}
	cli_rows_free(&r);
}

static void backups_part(cli_db *db, FILE *out)
{
	cli_rows r = {0};
	fputs("<h3>Backups</h3>\n", out);
	if (!read_rows(db, out,
	               "SELECT kind, path, created_at, bytes, verified_at, status FROM "
	               "dbbackup_list() ORDER BY created_at DESC, id DESC LIMIT 10",
	               0, NULL, &r))
		return;
	if (r.nrows == 0)
		fputs("<p>No backup recorded.</p>\n", out);
	else
		rows_table(out, &r, "backups");
	cli_rows_free(&r);
}

static const char page_style[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;background:#f5f6f8;"
    "color:#222}header{background:#2c3e50;color:#fff;padding:14px 28px}header h1{margin:0;"
    "font-size:22px}header p{margin:4px 0 0;color:#cdd}main{padding:10px 28px 40px;"
    "max-width:1200px}section.db{background:#fff;border-radius:6px;padding:8px 22px 20px;"
    "margin:18px 0;box-shadow:0 1px 3px rgba(0,0,0,.1)}h2{border-bottom:1px solid #eee;"
    "padding-bottom:6px}h3{margin-top:26px;color:#2c3e50}small{color:#888;font-weight:normal}"
    "table{border-collapse:collapse;width:100%;font-size:14px;margin:6px 0}th,td{text-align:left;"
    "padding:5px 8px;border-bottom:1px solid #eee;vertical-align:top}th{background:#fafafa}"
    "td.null{color:#bbb}tr.critical td:nth-child(2){color:#c0392b;font-weight:bold}"
    "tr.warning td:nth-child(2){color:#d68910;font-weight:bold}.headline{display:flex;"
    "gap:22px;align-items:center}.score{font-size:54px;font-weight:700;width:150px;"
    "text-align:center;border-radius:8px;padding:6px 0;color:#fff;background:#27ae60}"
    ".score .of{font-size:18px;opacity:.8}.score.warning{background:#e67e22}"
    ".score.critical,.score.unknown{background:#c0392b}.status{font-size:26px;text-transform:"
    "capitalize}"
    ".status.critical,.status.unknown{color:#c0392b}.status.warning{color:#e67e22}.status.healthy{"
    "color:#27ae60}"
    ".meta{color:#777;font-size:13px}.missing{color:#999}svg.chart{max-width:100%;height:auto;"
    "background:#fcfcfd;border:1px solid #eee}svg polyline{fill:none;stroke:#2980b9;"
    "stroke-width:2}svg circle{fill:#2980b9}svg rect{fill:#5dade2}svg .axis{stroke:#ccc}"
    "svg text{font-size:12px;fill:#444}.charts{display:flex;flex-wrap:wrap;gap:16px}"
    "figure{margin:0}figcaption{font-size:13px;color:#666}code{background:#f3f3f3;padding:1px 4px}"
    "a{color:#2980b9}";

void report_html_begin(FILE *out, const char *title)
{
	char when[32];
	time_t now = time(NULL);
	struct tm tm;
	strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", gmtime_r(&now, &tm));
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
	      "<meta name=\"generator\" content=\"dbcare\"><title>dbcare · ",
	      out);
	report_html_escape(out, title);
	fprintf(out, "</title><style>%s</style></head>\n<body><header><h1>dbcare · ", page_style);
	report_html_escape(out, title);
	fprintf(out, "</h1><p>Generated %s</p></header>\n<main>\n", when);
}

void report_html_end(FILE *out)
{
	fputs("</main></body></html>\n", out);
}

int report_html_section(cli_db *db, cli_opts *o, FILE *out, report_html_summary *sum)
{
	const char *mode = o && o->mode ? o->mode : "standard";
	*sum = (report_html_summary){.score = -1, .pending = -1};
	/* the heading is the report's `database`, the label of its metrics
	 * (one home: the module's report); db->label only without a report */
	char *health = NULL;
	size_t health_len = 0;
	FILE *hm = open_memstream(&health, &health_len);
	json_t *rep = hm ? health_part(db, mode, hm, sum) : NULL;
	if (hm)
		fclose(hm);
	const char *label = rep ? jstr(rep, "database") : NULL;
	snprintf(sum->label, sizeof sum->label, "%s", label ? label : db->label);
	fputs("<section class=\"db\"><h2 class=\"database\">", out);
	report_html_escape(out, sum->label);
	const char *shown = rep ? jstr(rep, "display_name") : NULL;
	if (shown) {
		fputs(" <small>", out);
		report_html_escape(out, shown);
		fputs("</small>", out);
	}
	fputs("</h2>\n", out);
	if (health)
		fwrite(health, 1, health_len, out);
	free(health);
	fixes_part(db, mode, out);
	tables_part(db, out);
	history_part(db, out);
	report_html_growth_part(db, out);
	migrations_part(db, o, out, sum);
	backups_part(db, out);
	fputs("</section>\n", out);
	json_decref(rep);
	return rep ? 0 : -1;
}

void report_html_unreachable(const char *label, const char *error, FILE *out)
{
	fputs("<section class=\"db unreachable\"><h2 class=\"database\">", out);
	report_html_escape(out, label);
	fputs("</h2>\n<p class=\"status critical\">unreachable</p><pre>", out);
	report_html_escape(out, error);
	fputs("</pre></section>\n", out);
}

void report_html_fleet_summary(FILE *out, int n, const char *const *labels,
                               const report_html_summary *sums)
{
	fputs("<section class=\"fleet\"><h2>Fleet</h2>\n<table class=\"summary\"><thead><tr>"
	      "<th>database</th><th>score</th><th>status</th><th>findings</th><th>pending "
	      "migrations</th></tr></thead><tbody>\n",
	      out);
	for (int i = 0; i < n; i++) {
		const report_html_summary *s = &sums[i];
		fprintf(out, "<tr class=\"%s\"><td><a href=\"#db-%d\">", s->status, i + 1);
		report_html_escape(out, labels[i]);
		fputs("</a></td><td>", out);
		if (s->score >= 0)
			fprintf(out, "%d", s->score);
		fprintf(out, "</td><td>%s</td><td>%d</td><td>", s->status, s->findings);
		if (s->pending >= 0)
			fprintf(out, "%d", s->pending);
		fputs("</td></tr>\n", out);
	}
	fputs("</tbody></table></section>\n", out);
}

int report_html_write(cli_db *db, FILE *out)
{
	report_html_summary sum;
	char *section = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&section, &len);
	if (!m)
		return -1;
	int rc = report_html_section(db, NULL, m, &sum);
	fclose(m);
	report_html_begin(out, sum.label);
	fwrite(section, 1, len, out);
	free(section);
	report_html_end(out);
	return rc;
}
