/*
 * serve_result.c — what every part of `dbcare serve` reads of a database's
 * result (serve.h): the wall clock results are stamped with, the gauges a refresh reads anew,
 * whether a result is stale, the label a result is served under, its typed samples (read
 * once per report), and freeing one. Below the
 * collection (serve_collect.c), the fleet (serve_fleet.c) and the rendering
 * (serve_render.c): it names none of them.
 */
#include "serve.h"

#include "cli/common/files.h"
#include "base/clock.h"
#include "health/health.h"

#include <stdlib.h>

double serve_wall_s(void)
{
	return dbc_now_epoch();
}

const serve_gauge serve_gauges[SERVE_GAUGES] = {
    {"dbcare_database_size_bytes", "size_bytes"},
    {"dbcare_database_tables", "tables"},
    {"dbcare_database_indexes", "indexes"},
    {"dbcare_migrations_pending", "pending_migrations"}};

/* The report part's strings: r's own while no part holds them. */
static void free_report_strings(char *engine, char *label, char *status, char *report,
                                serve_samples *samples, char *schema, char *growth)
{
	free(engine);
	free(label);
	free(status);
	free(report);
	serve_samples_free(samples);
	free(schema);
	free(growth);
}

void serve_report_part_unref(serve_report_part *p)
{
	if (p && __atomic_sub_fetch(&p->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		free_report_strings(p->engine, p->label, p->status, p->report, p->samples, p->schema,
		                    p->growth);
		free(p);
	}
}

void serve_result_free(serve_result *r)
{
	if (!r)
		return;
	if (r->part)
		serve_report_part_unref(r->part);
	else
		free_report_strings(r->engine, r->label, r->status, r->report, r->samples, r->schema,
		                    r->growth);
	free(r->statistics);
	free(r->migrations);
	free(r->current);
	serve_replicas_free(r);
	serve_queries_free(r);
	free(r);
}

serve_samples *serve_samples_read(const char *json, const char *engine, const char *label)
{
	serve_samples *s = json ? calloc(1, sizeof *s) : NULL;
	if (!s)
		return NULL;
	dbc_ctx_init(&s->ctx, cli_text_host(), NULL);
	dbc_prom_init(&s->model, &s->ctx);
	s->labels = dbc_prom_database_labels(&s->ctx, engine, label);
	if (!s->labels || dbc_prom_from_json(&s->model, json) != DBC_OK) {
		serve_samples_free(s);
		return NULL;
	}
	return s;
}

void serve_samples_free(serve_samples *s)
{
	if (!s)
		return;
	dbc_ctx_finish(&s->ctx);
	free(s);
}

const char *serve_db_label(const serve_db *d, const serve_result *r)
{
	(void)r;
	return d->fallback_label;
}

bool serve_result_stale(const serve_result *r, double now, double *age)
{
	*age = r ? now - r->report_at : 0;
	if (*age < 0)
		*age = 0;
	return r && dbc_health_stale(*age, r->stale_s);
}
