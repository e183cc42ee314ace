/*
 * report_html_growth.c — the page's fastest-growing tables: the "tables"
 * of dbhealth_growth(30) (each table's bytes per day, fitted through the
 * sizes dbhealth_snapshot records, fastest first) and, for each, a chart
 * of its recorded sizes read from the growth history (health_table_sizes,
 * a statement per engine as for the snapshots).
 */
#include "report_html.h"
#include "report_html_svg.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* Tables shown: the fastest-growing of the history. */
#define GROWING_SHOWN 5

/* Every recorded size of the last 30 days: (table as "schema.name" or
 * "name", epoch, bytes), by table, oldest first. */
static const struct {
	const char *engine, *sql;
} points_sql[] = {
    {"postgresql",
     "SELECT coalesce(t.table_schema || '.', '') || t.table_name, extract(epoch FROM s.taken_at), "
     "t.bytes FROM dbcare.health_table_sizes t JOIN dbcare.health_snapshots s "
     "ON s.id = t.snapshot_id WHERE s.taken_at >= now() - interval '30 days' "
     "ORDER BY 1, s.taken_at, s.id"},
    {"sqlite",
     "SELECT coalesce(t.table_schema || '.', '') || t.table_name, "
     "(julianday(s.taken_at) - 2440587.5) * 86400, t.bytes FROM dbcare_health_table_sizes t "
     "JOIN dbcare_health_snapshots s ON s.id = t.snapshot_id "
     "WHERE julianday(s.taken_at) >= julianday('now') - 30 ORDER BY 1, s.taken_at, s.id"},
};

static const char *points_of(const cli_db *db)
{
	for (size_t i = 0; i < sizeof points_sql / sizeof points_sql[0]; i++)
		if (strcmp(points_sql[i].engine, db->drv->engine) == 0)
			return points_sql[i].sql;
	return NULL;
}

/* The chart of one table's recorded sizes (rows of pts named name). */
static void table_chart(FILE *out, const cli_rows *pts, const char *name)
{
	double *x = calloc((size_t)pts->nrows + 1, sizeof *x);
	double *y = calloc((size_t)pts->nrows + 1, sizeof *y);
	int n = 0;
	for (int i = 0; x && y && i < pts->nrows; i++) {
		const char *t = cli_cell(pts, i, 0);
		if (!t || strcmp(t, name) != 0 || !cli_cell(pts, i, 1) || !cli_cell(pts, i, 2))
			continue;
		x[n] = atof(cli_cell(pts, i, 1));
		y[n++] = atof(cli_cell(pts, i, 2));
	}
	if (n > 0) {
		fputs("<figure class=\"table-growth\"><figcaption>", out);
		report_html_escape(out, name);
		fputs("</figcaption>", out);
		report_html_svg_line(out, name, x, y, n, true);
		fputs("</figure>", out);
	}
	free(x);
	free(y);
}

void report_html_growth_part(cli_db *db, FILE *out)
{
	cli_rows g = {0}, pts = {0};
	fputs("<h3>Fastest-growing tables <small>(dbhealth_growth, 30 days)</small></h3>\n", out);
	if (db->drv->query(db, "SELECT dbhealth_growth(30)", 0, NULL, &g) != 0) {
		cli_error_clear(db);
		fputs("<p class=\"missing\">No growth history readable.</p>\n", out);
		return;
	}
	json_t *j = cli_cell(&g, 0, 0) ? json_loads(cli_cell(&g, 0, 0), 0, NULL) : NULL;
	const json_t *tables = json_object_get(j, "tables");
	/* the fitted ones, fastest first as dbhealth_growth lists them */
	size_t shown = 0;
	for (size_t i = 0; i < json_array_size(tables); i++)
		shown += json_is_number(json_object_get(json_array_get(tables, i), "bytes_per_day"));
	if (shown == 0) {
		fputs("<p class=\"missing\">No table history yet: each <code>SELECT "
		      "dbhealth_snapshot()</code> records the largest tables' sizes; two make a "
		      "trend.</p>\n",
		      out);
		json_decref(j);
		cli_rows_free(&g);
		return;
	}
	const char *sql = points_of(db);
	if (!sql || db->drv->query(db, sql, 0, NULL, &pts) != 0)
		cli_error_clear(db); /* the table without its charts */
	fputs("<table class=\"growing\"><thead><tr><th>table</th><th>size</th><th>rows</th>"
	      "<th>growth per day</th><th>snapshots</th></tr></thead><tbody>\n",
	      out);
	char **names = calloc(GROWING_SHOWN, sizeof *names);
	int n = 0;
	for (size_t i = 0; names && i < json_array_size(tables) && n < GROWING_SHOWN; i++) {
		const json_t *t = json_array_get(tables, i);
		const json_t *per_day = json_object_get(t, "bytes_per_day");
		if (!json_is_number(per_day))
			continue;
		const char *schema = json_string_value(json_object_get(t, "schema"));
		const char *table = json_string_value(json_object_get(t, "table"));
		if (!table ||
		    asprintf(&names[n], "%s%s%s", schema ? schema : "", schema ? "." : "", table) < 0) {
			names[n] = NULL;
			continue;
		}
		char size[32], growth[32];
		double v = json_number_value(per_day);
		report_html_bytes(size, sizeof size,
		                  (double)json_integer_value(json_object_get(t, "size_bytes")));
		report_html_bytes(growth, sizeof growth, v < 0 ? -v : v);
		fputs("<tr><td class=\"table-name\">", out);
		report_html_escape(out, names[n]);
		fprintf(out, "</td><td>%s</td><td>", size);
		if (json_is_integer(json_object_get(t, "rows")))
			fprintf(out, "%lld", (long long)json_integer_value(json_object_get(t, "rows")));
		fprintf(
		    out,
		    "</td><td class=\"per-day\" data-bytes-per-day=\"%.1f\">%s%s</td><td>%lld</td></tr>\n",
		    v, v < 0 ? "−" : "", growth,
		    (long long)json_integer_value(json_object_get(t, "samples")));
		n++;
	}
	fputs("</tbody></table>\n<div class=\"charts\">", out);
	for (int i = 0; i < n; i++)
		table_chart(out, &pts, names[i]);
	fputs("</div>\n", out);
	for (int i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
	json_decref(j);
	cli_rows_free(&g);
	cli_rows_free(&pts);
}
