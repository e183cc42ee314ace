/*
 * serve_result.c — what every part of `dbcare serve` reads of a database's
 * result (serve.h): the wall clock results are stamped with, the gauges a refresh reads anew,
 * whether a result is stale, the label a result is served under, and freeing one. Below the
 * collection (serve_collect.c), the fleet (serve_fleet.c) and the rendering
 * (serve_render.c): it names none of them.
 */
#include "serve.h"

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
                                char *report_metrics, char *schema, char *growth)
{
	free(engine);
	free(label);
	free(status);
	free(report);
	free(report_metrics);
	free(schema);
	free(growth);
}

void serve_report_part_unref(serve_report_part *p)
{
	if (p && __atomic_sub_fetch(&p->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		free_report_strings(p->engine, p->label, p->status, p->report, p->report_metrics, p->schema,
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
		free_report_strings(r->engine, r->label, r->status, r->report, r->report_metrics, r->schema,
		                    r->growth);
	free(r->statistics);
	free(r->migrations);
	serve_replicas_free(r);
	free(r);
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
