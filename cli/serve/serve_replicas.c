/*
 * serve_replicas.c — a PostgreSQL primary's standbys and subscribers as
 * serve shows them (docs/topology.md): read by each refresh through the
 * driver's SQL (what `dbcare status --replicas` lists; the schemas of
 * the subscribers given by --subscriber compared as it does), at most
 * SERVE_REPLICAS_MAX a database, so the replica label of the metrics stays
 * bounded; listed on /readyz?replicas=1 and exported as two families.
 */
#include "serve.h"

#include <stdlib.h>
#include <string.h>

static char *dup_cell(const cli_rows *rows, int i, const char *col)
{
	const char *v = cli_cell(rows, i, cli_col(rows, col));
	return v ? strdup(v) : NULL;
}

static bool true_cell(const cli_rows *rows, int i, const char *col)
{
	const char *v = cli_cell(rows, i, cli_col(rows, col));
	return v && (strcmp(v, "t") == 0 || strcmp(v, "true") == 0);
}

static int keep_rows(serve_result *r, const cli_rows *rows, const int *nlacking, char **lacking)
{
	int n = rows->nrows < SERVE_REPLICAS_MAX ? rows->nrows : SERVE_REPLICAS_MAX;
	r->replicas_more = rows->nrows - n;
	r->replicas = calloc((size_t)n + 1, sizeof *r->replicas);
	if (!r->replicas)
		return -1;
	for (int i = 0; i < n; i++) {
		serve_replica *p = &r->replicas[r->nreplicas++];
		const char *lag = cli_cell(rows, i, cli_col(rows, "lag_bytes"));
		p->kind = dup_cell(rows, i, "kind");
		p->receiver = p->kind && strcmp(p->kind, "receiver") == 0;
		p->name = dup_cell(rows, i, "name");
		p->state = dup_cell(rows, i, "state");
		p->slot = dup_cell(rows, i, "slot");
		p->lag_bytes = lag ? strtod(lag, NULL) : -1;
		p->nlacking = nlacking[i];
		p->lacking = lacking[i];
		lacking[i] = NULL;
		p->visible = true_cell(rows, i, "caught_up") && !p->nlacking;
	}
	return 0;
}

/* The version now, and the position that shows it: prev's while the
 * version is the same, else this server's position now (the bookmark's). */
static int read_target(cli_db *db, serve_result *r, const serve_result *prev)
{
	cli_rows v = {0}, t = {0};
	int rc = db->drv->query(db, "SELECT dbmigrate_current()", 0, NULL, &v);
	const char *version = rc == 0 ? cli_cell(&v, 0, 0) : NULL;
	bool same =
	    prev && prev->target && version && prev->version && strcmp(prev->version, version) == 0;
	if (rc == 0 && !same)
		rc = db->drv->query(db, db->drv->replica_target, 0, NULL, &t);
	if (rc == 0) {
		const char *target = same ? prev->target : cli_cell(&t, 0, 0);
		r->version = version ? strdup(version) : NULL;
		r->target = target ? strdup(target) : NULL;
	}
	cli_rows_free(&v);
	cli_rows_free(&t);
	return rc;
}

int serve_replicas_read(cli_db *db, cli_opts *o, serve_result *r, const serve_result *prev)
{
	cli_rows rows = {0};
	int *nlacking = NULL;
	char **lacking = NULL;
	if (!db->drv->replicas)
		return 0;
	int rc = read_target(db, r, prev);
	/* a module older than dbmigrate_bookmark (0.3.8; undefined function:
	 * 42883) has no replica data to give: up and age still stand */
	if (rc != 0 && strcmp(db->error.sqlstate, "42883") == 0) {
		cli_error_clear(db);
		return 0;
	}
	const char *p[1] = {r->target};
	if (rc == 0 && r->target)
		rc = db->drv->query(db, db->drv->replicas, 1, p, &rows);
	if (rc == 0) {
		nlacking = calloc((size_t)rows.nrows + 1, sizeof *nlacking);
		lacking = calloc((size_t)rows.nrows + 1, sizeof *lacking);
		rc = nlacking && lacking ? 0 : -1;
	}
	/* a subscriber out of reach is said on stderr; the positions stand */
	if (rc == 0 && o->nsubscribers)
		(void)cli_replicas_compare(db, o, &rows, nlacking, lacking);
	if (rc == 0)
		rc = keep_rows(r, &rows, nlacking, lacking);
	for (int i = 0; lacking && i < rows.nrows; i++)
		free(lacking[i]);
	free(lacking);
	free(nlacking);
	cli_rows_free(&rows);
	return rc;
}

/* A subscriber lacking columns, as status --replicas words it (the
 * column's name escaped: a catalog name may hold a line break). */
static void readyz_lacking(FILE *m, const serve_replica *p, const char *name)
{
	char *first = cli_text_escaped(p->lacking ? p->lacking : "?");
	fprintf(m, "  %s %s: lacks %d published column(s), first %s, %s, ", p->kind, name ? name : "?",
	        p->nlacking, first ? first : "?", p->state ? p->state : "unknown");
	free(first);
}

int serve_replicas_readyz(FILE *m, const serve_result *r)
{
	int behind = 0;
	const char *v = r->version ? r->version : "(none)";
	for (int i = 0; i < r->nreplicas; i++) {
		const serve_replica *p = &r->replicas[i];
		char *name = cli_text_escaped(p->name ? p->name : "");
		/* a receiver replays nothing: listed, never waited on */
		behind += !p->receiver && !p->visible;
		if (p->receiver)
			fprintf(m, "  receiver %s: receives WAL, replays none (not waited on), %s, ",
			        name ? name : "?", p->state ? p->state : "unknown");
		else if (p->nlacking)
			readyz_lacking(m, p, name);
		else
			fprintf(m, "  %s %s: schema %s %s, %s, ", p->kind, name ? name : "?", v,
			        p->visible ? "visible" : "not visible yet", p->state ? p->state : "unknown");
		if (p->lag_bytes >= 0)
			fprintf(m, "%.0f bytes behind", p->lag_bytes);
		else
			fputs("lag unknown (grant pg_monitor)", m);
		fprintf(m, ", slot %s\n", p->slot ? p->slot : "none");
		free(name);
	}
	if (r->replicas_more)
		fprintf(m, "  and %d more replica(s), not listed\n", r->replicas_more);
	return behind;
}

int serve_replicas_samples(dbc_prom *fleet, const char *labels, const serve_result *r)
{
	/* both families exist (serve.h); adding samples moves neither */
	dbc_prom_family *lag = dbc_prom_family_of(fleet, "dbcare_replica_lag_bytes", NULL, NULL);
	dbc_prom_family *vis = dbc_prom_family_of(fleet, "dbcare_replica_schema_visible", NULL, NULL);
	for (int i = 0; i < r->nreplicas; i++) {
		const serve_replica *p = &r->replicas[i];
		const char *mine = dbc_printf(fleet->ctx, "%s,kind=\"%s\",replica=\"%s\"", labels,
		                              dbc_prom_escape_label(fleet->ctx, p->kind),
		                              dbc_prom_escape_label(fleet->ctx, p->name));
		/* an unknown lag: no sample; a receiver shows no schema */
		if ((p->lag_bytes >= 0 &&
		     dbc_prom_add(fleet, lag, mine, p->lag_bytes, DBC_PROM_GO) != DBC_OK) ||
		    (!p->receiver &&
		     dbc_prom_add(fleet, vis, mine, p->visible ? 1 : 0, DBC_PROM_GO) != DBC_OK))
			return DBC_ERROR;
	}
	return DBC_OK;
}

void serve_replicas_free(serve_result *r)
{
	for (int i = 0; i < r->nreplicas; i++) {
		free(r->replicas[i].kind);
		free(r->replicas[i].name);
		free(r->replicas[i].state);
		free(r->replicas[i].slot);
		free(r->replicas[i].lacking);
	}
	free(r->replicas);
	free(r->version);
	free(r->target);
}
