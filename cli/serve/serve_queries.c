/*
 * serve_queries.c — a PostgreSQL database's statements as serve exports
 * them (docs/observe.md): read by each refresh from pg_stat_statements
 * through the driver's SQL, at most CLI_QUERY_SERIES_MAX a database, the
 * largest total time first, so the queryid label stays bounded whatever
 * the server holds; two families, labelled by queryid, never by the
 * query's text (texts are the users' input and unbounded).
 */
#include "cli/driver/live_panels.h"
#include "serve.h"

#include <stdlib.h>
#include <string.h>

/* Whether db's error only says the statistics are not there for this
 * role: pg_stat_statements installed but not in shared_preload_libraries
 * (55000), or its view not granted (42501). The series are then absent,
 * and the refresh goes on: a database without them is still up. */
static bool not_available(const cli_db *db)
{
	return strcmp(db->error.sqlstate, "55000") == 0 || strcmp(db->error.sqlstate, "42501") == 0;
}

static int keep_rows(serve_result *r, const cli_rows *rows)
{
	int n = rows->nrows < CLI_QUERY_SERIES_MAX ? rows->nrows : CLI_QUERY_SERIES_MAX;
	r->queries = calloc((size_t)n + 1, sizeof *r->queries);
	if (!r->queries)
		return -1;
	int id = cli_col(rows, "queryid"), calls = cli_col(rows, "calls"),
	    total = cli_col(rows, "total_seconds");
	for (int i = 0; i < n; i++) {
		const char *q = cli_cell(rows, i, id), *c = cli_cell(rows, i, calls),
		           *t = cli_cell(rows, i, total);
		if (!q || !c || !t)
			continue;
		serve_query *p = &r->queries[r->nqueries];
		if (!(p->queryid = strdup(q)))
			return -1;
		p->calls = strtod(c, NULL);
		p->total_seconds = strtod(t, NULL);
		r->nqueries++;
	}
	return 0;
}

int serve_queries_read(cli_db *db, serve_result *r)
{
	if (!db->drv->query_series || !db->drv->statements_locate)
		return 0;
	cli_rows where = {0}, rows = {0};
	char *sql = NULL;
	int rc = db->drv->query(db, db->drv->statements_locate, 0, NULL, &where);
	if (rc == 0 && where.nrows > 0 && cli_cell(&where, 0, 0)) {
		sql = cli_live_sql_in(db->drv->query_series, cli_cell(&where, 0, 0));
		rc = sql ? db->drv->query(db, sql, 0, NULL, &rows) : -1;
		if (rc == 0)
			rc = keep_rows(r, &rows);
		else if (sql && not_available(db)) {
			cli_error_clear(db);
			rc = 0;
		}
	}
	free(sql);
	cli_rows_free(&where);
	cli_rows_free(&rows);
	return rc;
}

int serve_queries_samples(dbc_prom *fleet, const char *labels, const serve_result *r)
{
	/* both families exist (serve_render.c); adding samples moves neither */
	dbc_prom_family *calls = dbc_prom_family_of(fleet, "dbcare_query_calls", NULL, NULL);
	dbc_prom_family *time =
	    dbc_prom_family_of(fleet, "dbcare_query_total_time_seconds", NULL, NULL);
	for (int i = 0; i < r->nqueries; i++) {
		const serve_query *p = &r->queries[i];
		const char *mine = dbc_printf(fleet->ctx, "%s,queryid=\"%s\"", labels,
		                              dbc_prom_escape_label(fleet->ctx, p->queryid));
		if (dbc_prom_add(fleet, calls, mine, p->calls, DBC_PROM_GO) != DBC_OK ||
		    dbc_prom_add(fleet, time, mine, p->total_seconds, DBC_PROM_GO) != DBC_OK)
			return DBC_ERROR;
	}
	return DBC_OK;
}

void serve_queries_free(serve_result *r)
{
	for (int i = 0; i < r->nqueries; i++)
		free(r->queries[i].queryid);
	free(r->queries);
}
