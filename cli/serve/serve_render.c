/*
 * serve_render.c — the bodies of the GET endpoints from each database's last
 * result: the SQL API's JSON as it is (a fleet: an array of them), the IETF
 * health+json form, the readiness verdict, and the metrics. The metrics of
 * every database are merged into one exposition: each family's HELP and
 * TYPE once, then every database's samples (each already labelled with its
 * engine and database), then serve's own families, dbcare_up and
 * dbcare_metric_age_seconds (the age of the health report the samples come
 * from), with the same two labels. A report older than its database's
 * health.alerts.stale_seconds is graded as DbcareMetricsStale fires: a
 * "report:age" warning on /health (health+json) and a line on /readyz.
 */
#include "serve.h"
#include "cli/cmd/health_file.h"
#include "cli/common/files.h"
#include "base/heap_grow.h"
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

/* How many of r's replicas do not show its schema version yet. */
static int replicas_behind(const serve_result *r)
{
	int n = 0;
	for (int i = 0; i < r->nreplicas; i++)
		n += !r->replicas[i].visible;
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

/* One family of the merged exposition: HELP and TYPE, then its samples. */
typedef struct family {
	char *name, *help, *type;
	char *samples;
	size_t len;
	FILE *m;
} family;

typedef struct families {
	family *list;
	int n;
	size_t cap;
} families;

static family *family_get(families *fs, const char *name, size_t nlen)
{
	for (int i = 0; i < fs->n; i++)
		if (strlen(fs->list[i].name) == nlen && strncmp(fs->list[i].name, name, nlen) == 0)
			return &fs->list[i];
	if (!dbc_heap_reserve(&fs->list, (size_t)fs->n + 1, &fs->cap, sizeof(family), 32))
		return NULL;
	family *f = &fs->list[fs->n];
	*f = (family){.name = strndup(name, nlen)};
	f->m = open_memstream(&f->samples, &f->len);
	if (!f->name || !f->m) {
		free(f->name);
		return NULL;
	}
	fs->n++;
	return f;
}

/* The name a "# HELP" / "# TYPE" line or a sample line is about. */
static size_t name_len(const char *s)
{
	return strcspn(s, " {\n");
}

/* The gauge of r that replaces the samples of family name (nlen bytes),
 * -1 when none does. */
static int fresh_gauge(const serve_result *r, const char *name, size_t nlen)
{
	for (int i = 0; i < SERVE_GAUGES; i++)
		if (r->gauges[i] >= 0 && strlen(serve_gauges[i].family) == nlen &&
		    strncmp(serve_gauges[i].family, name, nlen) == 0)
			return i;
	return -1;
}

static void put_value(FILE *m, double v);

/* One database's exposition, its lines sorted into the families by the
 * metric name that starts each line (a name holds no label text, so a
 * label's value decides nothing here); a line is copied whole or left out,
 * never edited. The samples of the families whose numbers this refresh read
 * anew are left out and written from those numbers, with the same labels. */
static void absorb(families *fs, const serve_result *r, const char *label)
{
	const char *text = r->report_metrics;
	bool seen[SERVE_GAUGES] = {false};
	family *cur = NULL;
	for (const char *line = text; line && *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		if (strncmp(line, "# HELP ", 7) == 0 || strncmp(line, "# TYPE ", 7) == 0) {
			const char *name = line + 7;
			size_t nlen = name_len(name);
			cur = family_get(fs, name, nlen);
			const char *rest = name + nlen + (name[nlen] == ' ');
			char **slot = cur ? (line[2] == 'H' ? &cur->help : &cur->type) : NULL;
			if (slot && !*slot)
				*slot = strndup(rest, (size_t)(line + len - rest));
		} else if (len > 0 && line[0] != '#') {
			size_t nlen = name_len(line);
			if (!cur || strlen(cur->name) != nlen || strncmp(cur->name, line, nlen) != 0)
				cur = family_get(fs, line, nlen);
			int g = fresh_gauge(r, line, nlen);
			if (g >= 0)
				seen[g] = true;
			else if (cur)
				fprintf(cur->m, "%.*s\n", (int)len, line);
		}
		line = end ? end + 1 : NULL;
	}
	/* a family the report left out (an unknown size) stays out; a sample
	 * read anew is the line the module writes (core/health renders it) */
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, cli_text_host(), NULL);
	for (int i = 0; i < SERVE_GAUGES; i++) {
		const char *name = serve_gauges[i].family;
		family *f = seen[i] ? family_get(fs, name, strlen(name)) : NULL;
		const char *line =
		    f ? dbc_prom_database_sample(&ctx, name, r->engine, label, r->gauges[i]) : NULL;
		if (line)
			fputs(line, f->m);
	}
	dbc_ctx_finish(&ctx);
}

/* Each primary's replicas (serve_replicas.c): their lag and whether they
 * show its schema version; families only when some database has one. */
static void replica_families(families *fs, const serve_snapshot *s)
{
	bool any = false;
	for (int i = 0; i < s->f->n; i++)
		any |= shown(s, i) && s->views[i].r && s->views[i].r->nreplicas > 0;
	if (!any || !family_get(fs, "dbcare_replica_lag_bytes", 24) ||
	    !family_get(fs, "dbcare_replica_schema_visible", 29))
		return;
	family *lag = family_get(fs, "dbcare_replica_lag_bytes", 24);
	family *vis = family_get(fs, "dbcare_replica_schema_visible", 29);
	lag->help = strdup("Bytes of WAL a standby has not replayed or a subscriber not confirmed "
	                   "(docs/topology.md); at most 16 replicas a database.");
	lag->type = strdup("gauge");
	vis->help = strdup("1 when the replica shows the schema version its primary has, else 0.");
	vis->type = strdup("gauge");
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, cli_text_host(), NULL);
	for (int i = 0; i < s->f->n; i++) {
		const serve_result *r = shown(s, i) ? s->views[i].r : NULL;
		const char *labels = r ? dbc_prom_database_labels(&ctx, r->engine, label_of(s, i)) : NULL;
		if (labels)
			serve_replicas_samples(lag->m, vis->m, labels, r);
	}
	dbc_ctx_finish(&ctx);
}

/* Go float syntax: whole numbers plainly, others to the millisecond. */
static void put_value(FILE *m, double v)
{
	if (isinf(v))
		fputs(v > 0 ? "+Inf" : "-Inf", m);
	else if (v == floor(v) && fabs(v) < 1e15)
		fprintf(m, "%.0f", v);
	else
		fprintf(m, "%.3f", v);
}

/* serve's own families: whether each database answered within the budget,
 * and how old the samples served for it are (+Inf before the first). */
static void own_families(families *fs, const serve_snapshot *s)
{
	/* both made first, then both found again: adding one may move the other */
	if (!family_get(fs, "dbcare_up", 9) || !family_get(fs, "dbcare_metric_age_seconds", 25))
		return;
	family *up = family_get(fs, "dbcare_up", 9);
	family *age = family_get(fs, "dbcare_metric_age_seconds", 25);
	up->help = strdup("1 when the database answered the last refresh within the scrape "
	                  "timeout, else 0.");
	up->type = strdup("gauge");
	age->help = strdup("Age of the health report the samples served for the database come "
	                   "from, in seconds.");
	age->type = strdup("gauge");
	double now = serve_wall_s();
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, cli_text_host(), NULL);
	for (int i = 0; i < s->f->n; i++) {
		if (!shown(s, i))
			continue;
		const serve_result *r = s->views[i].r;
		const char *engine =
		    r && r->engine ? r->engine : cli_target_engine_name(&s->f->dbs[i].target);
		/* the labels as the module writes them (core/health) */
		const char *labels = dbc_prom_database_labels(&ctx, engine, label_of(s, i));
		if (!labels)
			break;
		fprintf(up->m, "dbcare_up{%s} %d\n", labels, s->views[i].up ? 1 : 0);
		fprintf(age->m, "dbcare_metric_age_seconds{%s} ", labels);
		/* milliseconds are enough for an age */
		put_value(age->m, r ? round(fmax(0, now - r->report_at) * 1000) / 1000 : INFINITY);
		fputc('\n', age->m);
	}
	dbc_ctx_finish(&ctx);
}

int serve_render_metrics(serve_snapshot *s, bool openmetrics, char **out, const char **type)
{
	families fs = {0};
	for (int i = 0; i < s->f->n; i++)
		if (shown(s, i) && s->views[i].r)
			absorb(&fs, s->views[i].r, label_of(s, i));
	own_families(&fs, s);
	replica_families(&fs, s);
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	for (int i = 0; i < fs.n; i++) {
		family *f = &fs.list[i];
		fclose(f->m);
		if (m && f->help)
			fprintf(m, "# HELP %s %s\n", f->name, f->help);
		if (m && f->type)
			fprintf(m, "# TYPE %s %s\n", f->name, f->type);
		if (m && f->samples)
			fputs(f->samples, m);
		free(f->name);
		free(f->help);
		free(f->type);
		free(f->samples);
	}
	free(fs.list);
	if (!m)
		return 500;
	if (openmetrics)
		fputs("# EOF\n", m);
	*out = memstream_done(m, &text);
	*type = openmetrics ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
	                    : "text/plain; version=0.0.4; charset=utf-8";
	return *out ? 200 : 500;
}
