/*
 * serve_live_queries.c — the page's query statistics with their deltas:
 * dbhealth_queries (docs/health.md, "Query statistics") read on the
 * database, the statements of most total time with what each did since
 * the newest snapshot of dbcare's history, so the deltas survive serve's
 * restarts. Where the source cannot be read (pg_stat_statements not
 * installed or not loaded; SQLite: serve's connection records nothing)
 * the panel says so and how to enable it, with the newest snapshot's
 * figures when the history has any. A module without the function (older
 * than 0.3.9) shows no panel. Every text taken from the database is
 * HTML-escaped.
 */
#include "cli/report/report_html.h"
#include "serve.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* the statements shown, as the call's text */
#define SHOWN_TEXT "20"

/* Whether db's error says the module has no dbhealth_queries. */
static bool function_missing(const cli_db *db)
{
	const char *m = db->error.message ? db->error.message : "";
	return strstr(m, "dbhealth_queries") &&
	       (strcmp(db->error.sqlstate, "42883") == 0 || strstr(m, "no such function"));
}

static void text(FILE *out, const char *tag, const char *cls, const char *s)
{
	fprintf(out, "<%s class=\"%s\">", tag, cls);
	report_html_escape(out, s ? s : "");
	fprintf(out, "</%s>\n", tag);
}

/* A JSON number or null as a cell. */
static void cell(FILE *out, json_t *v)
{
	char buf[64];
	if (json_is_integer(v))
		snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, sizeof buf, "%.3f", json_real_value(v));
	else {
		fputs("<td class=\"null\"></td>", out);
		return;
	}
	fprintf(out, "<td>%s</td>", buf);
}

static const char *const columns[] = {"calls",   "calls_delta",   "total_ms", "total_ms_delta",
                                      "mean_ms", "mean_ms_delta", "rows",     "rows_delta"};

static void rows(FILE *out, json_t *list)
{
	fputs("<table class=\"live-table sortable\"><thead><tr><th>query</th>", out);
	for (size_t c = 0; c < sizeof columns / sizeof *columns; c++)
		fprintf(out, "<th>%s</th>", columns[c]);
	fputs("</tr></thead><tbody>\n", out);
	size_t k;
	json_t *s;
	json_array_foreach(list, k, s)
	{
		fputs("<tr><td>", out);
		report_html_escape(out, json_string_value(json_object_get(s, "query")));
		fputs("</td>", out);
		for (size_t c = 0; c < sizeof columns / sizeof *columns; c++)
			cell(out, json_object_get(s, columns[c]));
		fputs("</tr>\n", out);
	}
	fputs("</tbody></table>\n", out);
	if (!json_array_size(list))
		fputs("<p class=\"empty\">None recorded.</p>\n", out);
}

static void body(FILE *out, json_t *doc)
{
	const char *read = json_string_value(json_object_get(doc, "read"));
	const char *at = json_string_value(json_object_get(doc, "at"));
	const char *since = json_string_value(json_object_get(doc, "since"));
	fputs("<p class=\"source\">Source: ", out);
	report_html_escape(out, json_string_value(json_object_get(doc, "source")));
	fputs("</p>\n", out);
	if (!json_is_true(json_object_get(doc, "available"))) {
		fputs("<p class=\"missing\">Not available here: ", out);
		report_html_escape(out, json_string_value(json_object_get(doc, "reason")));
		fputs("</p>\n", out);
		text(out, "p", "enable", json_string_value(json_object_get(doc, "hint")));
	}
	if (read && strcmp(read, "snapshot") == 0) {
		fputs("<p class=\"at\">As the snapshot of ", out);
		report_html_escape(out, at);
		fputs(" recorded them.</p>\n", out);
	}
	if (since) {
		fprintf(out, "<p class=\"since\">Deltas over %.0f s, since the snapshot of ",
		        json_real_value(json_object_get(doc, "seconds")));
		report_html_escape(out, since);
		fputs(".</p>\n", out);
	} else if (read && strcmp(read, "none") != 0)
		fputs("<p class=\"since\">No earlier snapshot: the deltas start with the next "
		      "dbhealth_snapshot().</p>\n",
		      out);
	if (read && strcmp(read, "none") != 0)
		rows(out, json_object_get(doc, "statements"));
}

void serve_live_queries(cli_db *db, int i, FILE *out)
{
	cli_rows r = {0};
	int rc = db->drv->query(db, "SELECT dbhealth_queries(" SHOWN_TEXT ")", 0, NULL, &r);
	if (rc != 0 && function_missing(db)) {
		cli_error_clear(db);
		cli_rows_free(&r);
		return;
	}
	json_t *doc = rc == 0 && r.nrows > 0 && cli_cell(&r, 0, 0)
	                  ? json_loads(cli_cell(&r, 0, 0), 0, NULL)
	                  : NULL;
	cli_rows_free(&r);
	fprintf(out,
	        "<div class=\"panel\" id=\"query-deltas-%d\" data-panel=\"query-deltas\">\n<h3>Query "
	        "statistics since the last snapshot</h3>\n<p class=\"what\">The " SHOWN_TEXT
	        " statements of most total time: their counters and what each did since the newest "
	        "dbhealth_snapshot() (empty for a statement that snapshot did not record).</p>\n",
	        i);
	if (doc)
		body(out, doc);
	else if (rc != 0) {
		fputs("<p class=\"missing\">Not available: ", out);
		report_html_escape(out, db->error.message ? db->error.message : "the query failed");
		fputs("</p>\n", out);
		cli_error_clear(db);
	} else
		text(out, "p", "missing", "dbhealth_queries returned no document");
	json_decref(doc);
	fputs("</div>\n", out);
}
