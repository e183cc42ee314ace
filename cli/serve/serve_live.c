/*
 * serve_live.c — the live part of serve's page: each database's panels
 * (the driver's, cli/driver/live_panels.h: statements of the engine's own
 * statistics views) and the xmin horizon's finding of its last report, as
 * HTML; GET /live, the same sections alone, which the page's script
 * fetches again every 15 s; POST /cancel and /terminate of a session.
 * Every cell taken from the database is HTML-escaped (query texts are the
 * users' input); the page's script puts no text of the database into
 * markup. A database is held while it is read, as the page holds it.
 */
#include "cli/driver/live_panels.h"
#include "cli/report/report_html.h"
#include "serve.h"

#include "base/clock.h"
#include "health/health.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The panel's statement, its schema found; NULL with the reason shown
 * (the source is not installed: how to enable it). */
static char *panel_sql(cli_db *db, const cli_live_panel *p, FILE *out)
{
	if (!p->locate)
		return strdup(p->sql);
	cli_rows r = {0};
	char *sql = NULL;
	if (db->drv->query(db, p->locate, 0, NULL, &r) != 0)
		cli_error_clear(db);
	else if (r.nrows > 0 && cli_cell(&r, 0, 0))
		sql = cli_live_sql_in(p->sql, cli_cell(&r, 0, 0));
	cli_rows_free(&r);
	if (!sql) {
		fputs("<p class=\"enable\">", out);
		report_html_escape(out, p->missing);
		fputs("</p>\n", out);
	}
	return sql;
}

static void panel_head(FILE *out, const cli_rows *r, const cli_live_panel *p, bool signals)
{
	fprintf(out, "<table class=\"live-table%s\"><thead><tr>",
	        p->depth_column < 0 ? " sortable" : "");
	for (int c = 0; c < r->ncols; c++) {
		fputs("<th>", out);
		report_html_escape(out, r->names[c]);
		fputs("</th>", out);
	}
	fputs(signals ? "<th></th></tr></thead><tbody>\n" : "</tr></thead><tbody>\n", out);
}

/* A pid as the buttons carry it: digits only, else none. */
static const char *pid_of(const cli_rows *r, int row, int col)
{
	const char *v = col >= 0 && col < r->ncols ? cli_cell(r, row, col) : NULL;
	if (!v || !*v || strlen(v) > 10)
		return NULL;
	for (const char *c = v; *c; c++)
		if (!isdigit((unsigned char)*c))
			return NULL;
	return v;
}

static void panel_rows(FILE *out, const cli_rows *r, const cli_live_panel *p, bool signals)
{
	panel_head(out, r, p, signals);
	for (int i = 0; i < r->nrows; i++) {
		int depth = p->depth_column >= 0 ? atoi(cli_cell(r, i, p->depth_column) ?: "0") : 0;
		depth = depth < 0 ? 0 : depth > 20 ? 20 : depth;
		fprintf(out, "<tr data-depth=\"%d\">", depth);
		for (int c = 0; c < r->ncols; c++) {
			const char *v = cli_cell(r, i, c);
			if (c == p->depth_column + 1 && p->depth_column >= 0)
				fprintf(out, "<td style=\"padding-left:%.1fem\">%s", 0.4 + 1.5 * depth,
				        depth ? "&#x21b3; " : "");
			else
				fputs(v ? "<td>" : "<td class=\"null\">", out);
			report_html_escape(out, v ? v : "");
			fputs("</td>", out);
		}
		const char *pid = signals ? pid_of(r, i, p->pid_column) : NULL;
		if (pid)
			fprintf(out,
			        "<td class=\"actions\"><button type=\"button\" data-action=\"cancel\" "
			        "data-pid=\"%s\">cancel</button> <button type=\"button\" "
			        "data-action=\"terminate\" data-pid=\"%s\">terminate</button></td>",
			        pid, pid);
		else if (signals)
			fputs("<td></td>", out);
		fputs("</tr>\n", out);
	}
	fputs("</tbody></table>\n", out);
	if (!r->nrows)
		fputs("<p class=\"empty\">None now.</p>\n", out);
}

/* Panel p of database i; writes: serve takes cancel and terminate
 * (--allow-writes), so a session's row gets their buttons. */
static void panel(cli_db *db, int i, const cli_live_panel *p, bool writes, FILE *out)
{
	cli_rows r = {0};
	fprintf(out, "<div class=\"panel\" id=\"%s-%d\" data-panel=\"%s\">\n<h3>", p->id, i, p->id);
	report_html_escape(out, p->title);
	fputs("</h3>\n<p class=\"what\">", out);
	report_html_escape(out, p->what);
	fputs("</p>\n", out);
	char *sql = panel_sql(db, p, out);
	bool signals = writes && p->pid_column >= 0 && db->drv->cancel_session;
	if (sql && db->drv->query(db, sql, 0, NULL, &r) == 0) {
		fprintf(out, "<div class=\"rows\" data-rows=\"%d\">\n", r.nrows);
		panel_rows(out, &r, p, signals);
		fputs("</div>\n", out);
	} else if (sql) {
		fputs("<p class=\"missing\">Not available: ", out);
		report_html_escape(out, db->error.message ? db->error.message : "the query failed");
		fputs("</p>\n", out);
		if (p->missing) {
			fputs("<p class=\"enable\">", out);
			report_html_escape(out, p->missing);
			fputs("</p>\n", out);
		}
		cli_error_clear(db);
	}
	cli_rows_free(&r);
	free(sql);
	fputs("</div>\n", out);
}

/* The report's xmin_horizon check of database i (serve's last result; a
 * reference the caller releases); NULL when its report has none or it has
 * no grade (skipped: an engine without the check). The report's text is
 * copied under the fleet's lock and parsed outside it. */
static json_t *xmin_check(serve_fleet *f, int i)
{
	pthread_mutex_lock(&f->mu);
	serve_result *r = f->dbs[i].good;
	char *report = r && r->report ? strdup(r->report) : NULL;
	pthread_mutex_unlock(&f->mu);
	json_t *doc = report ? json_loads(report, 0, NULL) : NULL;
	free(report);
	json_t *checks = json_object_get(doc, "checks"), *c, *found = NULL;
	size_t k;
	json_array_foreach(checks, k, c)
	{
		const char *name = json_string_value(json_object_get(c, "name"));
		const char *st = json_string_value(json_object_get(c, "status"));
		if (!found && name && strcmp(name, "xmin_horizon") == 0 &&
		    dbc_health_grade_rank(st) >= DBC_CHECK_OK)
			found = json_incref(c);
	}
	json_decref(doc);
	return found;
}

static void xmin_panel(serve_fleet *f, int i, FILE *out)
{
	json_t *c = xmin_check(f, i);
	if (!c)
		return;
	const char *st = json_string_value(json_object_get(c, "status"));
	fprintf(out,
	        "<div class=\"panel\" id=\"xmin-%d\" data-panel=\"xmin\">\n<h3>xmin horizon "
	        "<small>(the xmin_horizon check of the last report)</small></h3>\n",
	        i);
	fputs("<p class=\"what\">What holds back the oldest row versions VACUUM may remove: a "
	      "session in a transaction, a prepared transaction, a replication slot or a standby's "
	      "feedback, with the age in transaction IDs it pins.</p>\n<p><span class=\"status ",
	      out);
	report_html_escape(out, st);
	fputs("\">", out);
	report_html_escape(out, st);
	fputs("</span> ", out);
	report_html_escape(out, json_string_value(json_object_get(c, "message")));
	fputs("</p>\n", out);
	const char *hint = json_string_value(json_object_get(c, "hint"));
	if (hint && dbc_health_grade_rank(st) > DBC_CHECK_OK) {
		fputs("<p class=\"hint\">", out);
		report_html_escape(out, hint);
		fputs("</p>\n", out);
	}
	fputs("</div>\n", out);
	json_decref(c);
}

void serve_live_section(serve_fleet *f, int i, cli_db *db, FILE *out)
{
	char when[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
	fprintf(out, "<section class=\"live\" id=\"live-%d\" data-database=\"", i);
	report_html_escape(out, f->dbs[i].fallback_label);
	fprintf(out, "\">\n<h3 class=\"live-head\">Now <small>read %s</small></h3>\n", when);
	int n = db->drv->live_panel_count ? *db->drv->live_panel_count : 0;
	for (int k = 0; k < n; k++)
		panel(db, i, &db->drv->live_panels[k], f->o->allow_writes, out);
	serve_live_queries(db, i, out);
	xmin_panel(f, i, out);
	fputs("</section>\n", out);
}

/* One database's section of GET /live: held and opened as the page does,
 * within --scrape-timeout for the wait; false when it could not be read
 * (the section then says why). */
static bool live_one(serve_fleet *f, int i, FILE *out)
{
	int64_t deadline = (int64_t)(dbc_monotonic_ms() + f->budget_s * 1000);
	char *err = NULL;
	cli_db *db = NULL;
	if (!serve_fleet_hold_until(f, i, deadline, true))
		err = strdup("dbcare: the database stayed busy past the request's deadline "
		             "(--scrape-timeout)");
	else if (!(db = serve_connect(f, &f->dbs[i], NULL, &err)))
		serve_fleet_unhold(f, i);
	if (db) {
		serve_live_section(f, i, db, out);
		serve_disconnect(f, &f->dbs[i], db);
		serve_fleet_unhold(f, i);
		return true;
	}
	fprintf(out, "<section class=\"live\" id=\"live-%d\" data-database=\"", i);
	report_html_escape(out, f->dbs[i].fallback_label);
	fputs("\"><p class=\"missing\">Not available: ", out);
	report_html_escape(out, err ? err : "dbcare: out of memory");
	fputs("</p></section>\n", out);
	free(err);
	return false;
}

int serve_live(serve_fleet *f, int only, char **out, const char **type)
{
	char *body = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&body, &len);
	if (!m)
		return 500;
	bool all_read = true;
	for (int i = 0; i < f->n; i++)
		if (only < 0 || i == only)
			all_read = live_one(f, i, m) && all_read;
	if (fclose(m) != 0) {
		free(body);
		return 500;
	}
	*out = body;
	*type = "text/html; charset=utf-8";
	return all_read ? 200 : 503;
}
