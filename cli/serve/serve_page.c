/*
 * serve_page.c — GET / of `dbcare serve`: the HTML page of `dbcare report
 * --html` (report_html.h), of the whole fleet or of one database
 * (?database=), each database's section with its live panels
 * (serve_live.c) and the page's script at its end. Each database is held while the page reads it
 * (no refresh or write has it open meanwhile: a file is never opened twice at once) and opened as
 * the refreshes open it, so a stop interrupts it.
 */
#include "cli/report/report_html.h"
#include "serve.h"

#include "base/clock.h"

#include <stdlib.h>
#include <string.h>

typedef struct page_source {
	serve_fleet *f;
	const int *index; /* page position -> fleet index */
} page_source;

/* Each database's part of the page has --scrape-timeout: to wait for
 * the database (a refresh or a write holds it) and to read it; past it,
 * the part says why, and the page goes on with the next database. */
static cli_db *open_held(void *arg, int i, const cli_target *t, char **err)
{
	(void)t;
	page_source *p = arg;
	int64_t deadline = (int64_t)(dbc_monotonic_ms() + p->f->budget_s * 1000);
	if (!serve_fleet_hold_until(p->f, p->index[i], deadline, true)) {
		*err = strdup("dbcare: the database stayed busy past the request's deadline "
		              "(--scrape-timeout)");
		return NULL;
	}
	cli_db *db = serve_connect(p->f, &p->f->dbs[p->index[i]], NULL, err);
	if (!db)
		serve_fleet_unhold(p->f, p->index[i]);
	else /* the page's label is its metrics' (serve_collect.c) */
		db->report_label = p->f->dbs[p->index[i]].fallback_label;
	return db;
}

static void close_held(void *arg, int i, cli_db *db)
{
	page_source *p = arg;
	serve_disconnect(p->f, &p->f->dbs[p->index[i]], db);
	serve_fleet_unhold(p->f, p->index[i]);
}

/* The database's live panels (serve_live.c), read on the page's connection. */
static void live_part(void *arg, int i, cli_db *db, FILE *out)
{
	page_source *p = arg;
	serve_live_section(p->f, p->index[i], db, out);
}

int serve_page(serve_fleet *f, int only, char **out, const char **type)
{
	/* the page's own copy of the options: only the databases it shows */
	cli_opts o = *f->o;
	int n = only >= 0 ? 1 : f->n;
	int *index = calloc((size_t)n, sizeof *index);
	const char **dbs = calloc((size_t)n, sizeof *dbs);
	char *body = NULL;
	size_t len = 0;
	FILE *m = index && dbs ? open_memstream(&body, &len) : NULL;
	if (!m) {
		free(index);
		free(dbs);
		return 500;
	}
	for (int i = 0; i < n; i++) {
		index[i] = only >= 0 ? only : i;
		dbs[i] = f->o->dbs[index[i]];
	}
	o.dbs = dbs;
	o.ndbs = n;
	page_source src = {f, index};
	report_html_opener op = {open_held, close_held, &src, live_part, serve_live_tail};
	int rc = report_html_page(&o, m, &op);
	free(index);
	free(dbs);
	if (fclose(m) != 0) {
		free(body);
		return 500;
	}
	*out = body;
	*type = "text/html; charset=utf-8";
	return rc == CLI_OK ? 200 : 503;
}
