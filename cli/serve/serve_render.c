/*
 * serve_render.c — the bodies of the GET endpoints from each database's last
 * result: the SQL API's JSON as it is (a fleet: an array of them), the IETF
 * health+json form, the readiness verdict, and the metrics. The metrics of
 * every database (its families as typed samples, dbhealth_samples) are
 * merged by family into one model that core renders (dbc_prom_text: each
 * family's HELP and TYPE once, then every database's samples, each already
 * labelled with its engine and database); no exposition text is read
 * back. Then serve's own families, dbcare_up and
 * dbcare_metric_age_seconds (the age of the health report the samples come
 * from), with the same two labels. A report older than its database's
 * health.alerts.stale_seconds is graded as DbcareMetricsStale fires: a
 * "report:age" warning on /health (health+json) and a line on /readyz.
 */
#include "serve.h"
#include "cli/cmd/health_file.h"
#include "cli/common/files.h"
#include "cli/common/version_tally.h"
#include "health/health.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static bool one(const serve_snapshot *s)
{
	return s->only >= 0 || s->f->n == 1;
}

static bool shown(const serve_snapshot *s, int i)
{
	return s->only < 0 || s->only == i;
}

static const char *label_of(const serve_snapshot *s, int i)
{
	return serve_db_label(&s->f->dbs[i], s->views[i].r);
}

static char *memstream_done(FILE *m, char **text)
{
	if (fclose(m) != 0) {
		free(*text);
		return NULL;
	}
	return *text;
}

/* {"database": label, "error": message} for a database without a result. */
static void put_missing(FILE *m, const serve_snapshot *s, int i)
{
	fputs("{\"database\":", m);
	cli_json_string(m, label_of(s, i));
	fputs(",\"error\":", m);
	cli_json_string(m, s->views[i].error ? s->views[i].error : "dbcare: no result yet");
	fputc('}', m);
}

static const char *field(const serve_result *r, const char *what)
{
	if (!r)
		return NULL;
	return strcmp(what, "health") == 0       ? r->report
	       : strcmp(what, "schema") == 0     ? r->schema
	       : strcmp(what, "statistics") == 0 ? r->statistics
	                                         : r->migrations;
}

int serve_render_json(serve_snapshot *s, const char *what, char **out, const char **type)
{
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	if (!m)
		return 500;
	int status = 200;
	bool first = true;
	if (!one(s))
		fputc('[', m);
	for (int i = 0; i < s->f->n; i++) {
		if (!shown(s, i))
			continue;
		const char *body = field(s->views[i].r, what);
		if (!first)
			fputc(',', m);
		first = false;
		if (body) {
			fputs(body, m);
		} else {
			put_missing(m, s, i);
			status = 503;
		}
	}
	if (!one(s))
		fputc(']', m);
	fputc('\n', m);
	*out = memstream_done(m, &text);
	*type = "application/json";
	return *out ? status : 500;
}

/* One entry per database and check: "check:status" -> [{componentId, ...}]. */
static void add_checks(json_t *checks, const char *label, const json_t *rep)
{
	const json_t *list = json_object_get(rep, "checks");
	const char *at = json_string_value(json_object_get(rep, "checked_at"));
	for (size_t k = 0; k < json_array_size(list); k++) {
		const json_t *c = json_array_get(list, k);
		const char *name = json_string_value(json_object_get(c, "name"));
		/* the check's word in this form is core's (a skipped check: none) */
		const char *st = dbc_health_api_status(json_string_value(json_object_get(c, "status")));
		if (!name || !st)
			continue;
		char *key = NULL;
		if (asprintf(&key, "%s:status", name) < 0)
			continue;
		json_t *arr = json_object_get(checks, key);
		if (!arr) {
			arr = json_array();
			json_object_set_new(checks, key, arr);
		}
		json_t *e = json_pack("{s:s, s:s, s:s, s:s?}", "componentId", label, "componentType",
		                      "datastore", "status", st, "time", at);
		if (e) {
			const json_t *v = json_object_get(c, "value");
			if (v && !json_is_null(v))
				json_object_set(e, "observedValue", (json_t *)v);
			const char *msg = json_string_value(json_object_get(c, "message"));
			if (msg)
				json_object_set_new(e, "output", json_string(msg));
			json_array_append_new(arr, e);
		}
		free(key);
	}
}

int serve_render_health_json(serve_snapshot *s, char **out, const char **type)
{
	json_t *checks = json_object(), *notes = json_array();
	const char *overall = NULL; /* nothing graded yet */
	for (int i = 0; i < s->f->n; i++) {
		if (!shown(s, i))
			continue;
		const serve_view *v = &s->views[i];
		const char *label = label_of(s, i);
		json_t *rep = v->r ? json_loads(v->r->report, 0, NULL) : NULL;
		/* the report's status; a report that cannot be read, or whose
		 * status is none of the grades, fails (core's word for no status) */
		const char *st =
		    rep ? dbc_health_api_status(json_string_value(json_object_get(rep, "status"))) : NULL;
		if (!st)
			st = dbc_health_api_status(NULL);
		if (rep) {
			add_checks(checks, label, rep);
			json_decref(rep);
		}
		/* the database itself: reached, with the report's status */
		json_t *arr = json_object_get(checks, "database:responseTime");
		if (!arr) {
			arr = json_array();
			json_object_set_new(checks, "database:responseTime", arr);
		}
		const char *db_st = dbc_health_api_reached(v->up, v->r != NULL);
		json_t *e = json_pack("{s:s, s:s, s:s}", "componentId", label, "componentType", "datastore",
		                      "status", db_st);
		if (e && v->error)
			json_object_set_new(e, "output", json_string(v->error));
		json_array_append_new(arr, e);
		st = dbc_health_api_worse(st, db_st);
		/* the report's age against health.alerts.stale_seconds */
		double age;
		if (v->r) {
			bool stale = serve_result_stale(v->r, serve_wall_s(), &age);
			json_t *ages = json_object_get(checks, "report:age");
			if (!ages) {
				ages = json_array();
				json_object_set_new(checks, "report:age", ages);
			}
			char *msg = NULL;
			if (stale &&
			    asprintf(&msg, "the report is %.0f s old, above health.alerts.stale_seconds (%g)",
			             age, v->r->stale_s) < 0)
				msg = NULL;
			json_t *a =
			    json_pack("{s:s, s:s, s:s, s:f, s:s, s:s?}", "componentId", label, "componentType",
			              "datastore", "status", dbc_health_api_aged(stale), "observedValue",
			              round(age * 1000) / 1000, "observedUnit", "s", "output", msg);
			free(msg);
			json_array_append_new(ages, a);
			st = dbc_health_api_worse(st, dbc_health_api_aged(stale));
		}
		overall = dbc_health_api_worse(overall, st);
		if (!dbc_health_api_passes(st)) {
			char *note = NULL;
			if (asprintf(&note, "%s: %s", label, st) >= 0)
				json_array_append_new(notes, json_string(note));
			free(note);
		}
	}
	overall = dbc_health_api_worse(overall, NULL); /* an empty fleet passes */
	json_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o}", "status", overall, "version", "1",
	                        "releaseId", DBC_VERSION, "description",
	                        "dbcare serve: database health", "notes", notes, "checks", checks);
	*out = doc ? json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(doc);
	*type = "application/health+json";
	return !*out ? 500 : dbc_health_api_fails(overall) ? 503 : 200;
}

/* How many of r's replicas do not show its schema version yet (a
 * receiver replays nothing: never counted). */
static int replicas_behind(const serve_result *r)
{
	int n = 0;
	for (int i = 0; i < r->nreplicas; i++)
		n += !r->replicas[i].receiver && !r->replicas[i].visible;
	return n;
}

int serve_render_readyz(serve_snapshot *s, bool with_replicas, char **out, const char **type)
{
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	if (!m)
		return 500;
	int bad = 0, n = 0;
	for (int i = 0; i < s->f->n; i++) {
		if (!shown(s, i))
			continue;
		const serve_result *r = s->views[i].r;
		/* a name and a message are one field of one line each (a file
		 * name may hold a newline and text that reads as a verdict) */
		char *label = cli_text_escaped(label_of(s, i)),
		     *error = s->views[i].error ? cli_text_escaped(s->views[i].error) : NULL;
		n++;
		if (!r) {
			fprintf(m, "%s: not ready: no health report (%s)\n", label ? label : "?",
			        error ? error : "not read yet");
			bad++;
			free(label);
			free(error);
			continue;
		}
		unsigned why = dbc_health_not_ready(r->pending, r->drift, r->status);
		int behind = with_replicas ? replicas_behind(r) : 0;
		bad += why != 0 || behind;
		fprintf(m, "%s: %s", label ? label : "?", why || behind ? "not ready:" : "ready");
		if (behind)
			fprintf(m, " %d replica(s) do not show schema %s yet;", behind,
			        r->version ? r->version : "(none)");
		if (why & DBC_NOT_READY_PENDING)
			fprintf(m, " %d migration(s) pending;", r->pending);
		if (why & DBC_NOT_READY_DRIFT)
			fputs(" the schema drifted from the one recorded after the last migration;", m);
		if (why & DBC_NOT_READY_CRITICAL)
			fputs(" the health report is critical;", m);
		if (why & DBC_NOT_READY_UNKNOWN)
			fputs(" the health report could not read the database;", m);
		fprintf(m, " (status %s, read %.0fs ago", r->status, fmax(0, serve_wall_s() - r->at));
		double age;
		if (serve_result_stale(r, serve_wall_s(), &age))
			fprintf(m, "; stale: the report is %.0fs old, above health.alerts.stale_seconds (%g)",
			        age, r->stale_s);
		/* judged on the last result; why it is not newer is said too */
		if (error)
			fprintf(m, "; since then: %s", error);
		fputs(")\n", m);
		if (with_replicas)
			serve_replicas_readyz(m, r);
		free(label);
		free(error);
	}
	fprintf(m, "%s: %d of %d database(s) ready\n", bad ? "not ready" : "ready", n - bad, n);
	*out = memstream_done(m, &text);
	*type = "text/plain; charset=utf-8";
	return !*out ? 500 : bad ? 503 : 200;
}

/* ---------------------------------------------------------------- metrics */

/* The gauge of r that replaces the samples of family name, -1 when none
 * does. */
static int fresh_gauge(const serve_result *r, const char *name)
{
	for (int i = 0; i < SERVE_GAUGES; i++)
		if (r->gauges[i] >= 0 && strcmp(serve_gauges[i].family, name) == 0)
			return i;
	return -1;
}

/* One database's families (typed when its report was read: nothing here
 * reads exposition text or JSON) added to the fleet's by family. A family
 * whose number this refresh read anew has that number as its one sample,
 * with the same labels; a family the report left out (an unknown size)
 * stays out. A database without typed samples (unreadable, or a module
 * older than dbhealth_samples) adds none: up and age still say what is
 * known. The fleet's families are in the order the members' come in, so
 * the one after the last found is tried first. */
static void add_database(dbc_prom *fleet, const serve_result *r)
{
	const serve_samples *db = r->samples;
	int next = 0;
	for (int i = 0; db && i < db->model.n; i++) {
		const dbc_prom_family *g = &db->model.families[i];
		dbc_prom_family *f = next < fleet->n && strcmp(fleet->families[next].name, g->name) == 0
		                         ? &fleet->families[next]
		                         : dbc_prom_family_of(fleet, g->name, g->type, g->help);
		if (!f)
			return;
		next = (int)(f - fleet->families) + 1;
		int fresh = fresh_gauge(r, g->name);
		if (fresh >= 0) {
			(void)dbc_prom_add(fleet, f, db->labels, r->gauges[fresh], DBC_PROM_GO);
			continue;
		}
		for (int k = 0; k < g->n; k++)
			(void)dbc_prom_add(fleet, f, g->samples[k].labels, g->samples[k].value,
			                   g->samples[k].format);
	}
}

/* Two gauge families whose samples some databases have and others not (a
 * PostgreSQL primary's replicas, a database's statements): made only when
 * some shown database has a sample, both before any sample (adding a
 * family may move the others), then each database's added under its
 * labels by its part's function. */
typedef struct database_families {
	const char *name[2], *help[2];
	int (*count)(const serve_result *r);
	int (*samples)(dbc_prom *fleet, const char *labels, const serve_result *r);
} database_families;

static int replica_count(const serve_result *r)
{
	return r->nreplicas;
}

static int query_count(const serve_result *r)
{
	return r->nqueries;
}

/* serve_replicas.c: their lag and whether they show the primary's schema
 * version; serve_queries.c: calls and total time by queryid, at most
 * CLI_QUERY_SERIES_MAX a database. */
static const database_families replica_families = {
    {"dbcare_replica_lag_bytes", "dbcare_replica_schema_visible"},
    {"Bytes of WAL a standby has not replayed or a subscriber not confirmed "
     "(docs/topology.md); at most 16 replicas a database.",
     "1 when the replica shows the schema version its primary has, else 0."},
    replica_count,
    serve_replicas_samples};
static const database_families query_families = {
    {"dbcare_query_calls", "dbcare_query_total_time_seconds"},
    {"Calls of a statement since pg_stat_statements was last reset (PostgreSQL only); the 100 "
     "statements of the largest total time a database, by queryid.",
     "Execution time of a statement since pg_stat_statements was last reset, in seconds "
     "(PostgreSQL only); the same 100 statements."},
    query_count,
    serve_queries_samples};

static void add_database_families(dbc_prom *fleet, const serve_snapshot *s,
                                  const database_families *d)
{
	bool any = false;
	for (int i = 0; i < s->f->n; i++)
		any |= shown(s, i) && s->views[i].r && d->count(s->views[i].r) > 0;
	if (!any || !dbc_prom_family_of(fleet, d->name[0], "gauge", d->help[0]) ||
	    !dbc_prom_family_of(fleet, d->name[1], "gauge", d->help[1]))
		return;
	for (int i = 0; i < s->f->n; i++) {
		const serve_result *r = shown(s, i) ? s->views[i].r : NULL;
		const char *labels = r && d->count(r) > 0
		                         ? dbc_prom_database_labels(fleet->ctx, r->engine, label_of(s, i))
		                         : NULL;
		if (labels && d->samples(fleet, labels, r) != DBC_OK)
			break;
	}
}

/* How many databases of a fleet (more than one) are at each schema
 * version, bounded as the fleet summary counts them
 * (cli/common/version_tally.h): at most CLI_VERSION_GROUPS versions named,
 * the rest under version="other". A series of the fleet: no database label. */
static void version_family(dbc_prom *fleet, const serve_snapshot *s)
{
	cli_version_tally t = {0};
	for (int i = 0; s->f->n > 1 && i < s->f->n; i++)
		if (shown(s, i) && s->views[i].r && s->views[i].r->current)
			cli_version_tally_add(&t, s->views[i].r->current, false);
	cli_version_tally_end(&t);
	dbc_prom_family *f =
	    t.n ? dbc_prom_family_of(fleet, "dbcare_fleet_schema_version_databases", "gauge",
	                             "Databases at each schema version: the 10 largest groups, the "
	                             "others under version=\"other\" (\"\": none applied).")
	        : NULL;
	for (int i = 0; f && i <= t.n; i++) {
		const char *v = i < t.n ? t.g[i].version : "other";
		char *esc = i < t.n || t.other_count ? dbc_prom_escape_label(fleet->ctx, v) : NULL;
		char *labels = esc ? dbc_printf(fleet->ctx, "version=\"%s\"", esc) : NULL;
		if (labels && dbc_prom_add(fleet, f, labels, i < t.n ? t.g[i].count : t.other_count,
		                           DBC_PROM_GO) != DBC_OK)
			break;
	}
	cli_version_tally_free(&t);
}

/* serve's own families: whether each database answered within the budget,
 * and how old the samples served for it are (+Inf before the first), to
 * the millisecond. */
static void own_families(dbc_prom *fleet, const serve_snapshot *s)
{
	/* both made first: adding a family may move the others */
	if (!dbc_prom_family_of(fleet, "dbcare_up", "gauge",
	                        "1 when the database answered the last refresh within the scrape "
	                        "timeout, else 0.") ||
	    !dbc_prom_family_of(fleet, "dbcare_metric_age_seconds", "gauge",
	                        "Age of the health report the samples served for the database come "
	                        "from, in seconds."))
		return;
	dbc_prom_family *up = dbc_prom_family_of(fleet, "dbcare_up", NULL, NULL);
	dbc_prom_family *age = dbc_prom_family_of(fleet, "dbcare_metric_age_seconds", NULL, NULL);
	double now = serve_wall_s();
	for (int i = 0; i < s->f->n; i++) {
		if (!shown(s, i))
			continue;
		const serve_result *r = s->views[i].r;
		const char *engine =
		    r && r->engine ? r->engine : cli_target_engine_name(&s->f->dbs[i].target);
		/* the labels as the module writes them (core/health) */
		const char *labels = r && r->samples
		                         ? r->samples->labels
		                         : dbc_prom_database_labels(fleet->ctx, engine, label_of(s, i));
		if (dbc_prom_add(fleet, up, labels, s->views[i].up ? 1 : 0, DBC_PROM_GO) != DBC_OK ||
		    dbc_prom_add(fleet, age, labels,
		                 r ? round(fmax(0, now - r->report_at) * 1000) / 1000 : INFINITY,
		                 DBC_PROM_MILLIS) != DBC_OK)
			break;
	}
}

int serve_render_metrics(serve_snapshot *s, bool openmetrics, char **out, const char **type)
{
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, cli_text_host(), NULL);
	dbc_prom fleet;
	dbc_prom_init(&fleet, &ctx);
	for (int i = 0; i < s->f->n; i++)
		if (shown(s, i) && s->views[i].r)
			add_database(&fleet, s->views[i].r);
	own_families(&fleet, s);
	add_database_families(&fleet, s, &replica_families);
	add_database_families(&fleet, s, &query_families);
	version_family(&fleet, s);
	/* one rendering, core's */
	const char *text = dbc_prom_text(&fleet);
	const char *eof = openmetrics ? "# EOF\n" : "";
	size_t len = text ? strlen(text) : 0;
	*out = text ? malloc(len + strlen(eof) + 1) : NULL;
	if (*out) {
		memcpy(*out, text, len);
		strcpy(*out + len, eof);
	}
	dbc_ctx_finish(&ctx);
	*type = openmetrics ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
	                    : "text/plain; version=0.0.4; charset=utf-8";
	return *out ? 200 : 500;
}
