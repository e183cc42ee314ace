/*
 * serve_collect.c — one refresh of one database: connect, read the SQL API,
 * close. The health report (with its metrics, the schema snapshot and the
 * growth: most of a refresh's cost, the checks' queries) is read only when
 * the last one is older than --report-interval, else carried over with its
 * age; every refresh reads the cheap numbers (dbhealth_gauges: size,
 * tables, indexes, migrations pending; health.alerts.stale_seconds) and the
 * migrations with the --dir files compared as `dbcare status` counts them,
 * and keeps the gauges beside the report's exposition. It only reads: the
 * files are compared with the registry in the command, never registered.
 */
#include "serve.h"
#include "cli/cmd/health_file.h"

#include "base/clock.h"
#include "base/dbc.h"
#include "health/health.h"
#include "migrate/migrate.h"

#include <jansson.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* "dbcare: <the engine's message>", the password scrubbed. */
static char *db_error(const serve_db *d, const cli_db *db, const char *what)
{
	const char *m = db->error.message ? db->error.message : "unknown error";
	char *s = NULL;
	if (asprintf(&s, "%s%s%s", strncmp(m, "dbcare:", 7) == 0 ? "" : "dbcare: ", what, m) < 0)
		return NULL;
	cli_scrub(d->target.spec, s);
	return s;
}

/* Rows as a JSON array (malloc'd). */
static char *rows_json(const cli_rows *r)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	cli_json_rows(f, r);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* The report and its families as typed samples (dbhealth_samples, never
 * exposition text: serve merges models, core renders them), as the module
 * judged them for the database (scope 'database'), labelled by the
 * member's path (d->fallback_label: unique in the fleet by construction; a
 * label set in the file is only the report's display_name). A module
 * older than dbhealth_samples (undefined function: 42883, PostgreSQL
 * only) gives the report alone, and the metrics say up and age only. */
static int read_report_samples(cli_db *db, const char *mode, const char *label, char **report,
                               char **samples)
{
	const char *p[2] = {mode, label};
	cli_rows rows = {0};
	*samples = NULL;
	if (db->drv->query(db,
	                   "SELECT dbhealth_report($1, 'database', $2), "
	                   "dbhealth_samples($1, 'database', $2)",
	                   2, p, &rows) != 0) {
		if (strcmp(db->error.sqlstate, "42883") != 0)
			return -1;
		cli_error_clear(db);
		return cli_health_read(db, mode, label, report, NULL);
	}
	const char *rep = cli_cell(&rows, 0, 0), *smp = cli_cell(&rows, 0, 1);
	*report = rep ? strdup(rep) : NULL;
	*samples = smp ? strdup(smp) : NULL;
	cli_rows_free(&rows);
	if (!*report || !*samples) {
		cli_error_set(db, NULL, "dbcare: the health report is empty", NULL, NULL);
		return -1;
	}
	return 0;
}

static int read_health(cli_db *db, cli_opts *o, const serve_db *d, serve_result *r, json_t **rep)
{
	char *text = NULL, *samples = NULL;
	if (read_report_samples(db, o->mode ? o->mode : "standard", d->fallback_label, &text,
	                        &samples) != 0)
		return -1;
	*rep = json_loads(text, 0, NULL);
	free(text);
	if (!*rep) {
		free(samples);
		cli_error_set(db, NULL, "dbcare: the health report is not JSON", NULL, NULL);
		return -1;
	}
	r->report = json_dumps(*rep, JSON_COMPACT | JSON_PRESERVE_ORDER);
	const char *status = json_string_value(json_object_get(*rep, "status"));
	const char *engine = json_string_value(json_object_get(*rep, "engine"));
	r->status = strdup(status ? status : "unknown");
	r->engine = strdup(engine ? engine : cli_driver_engine(db->drv));
	r->label = strdup(d->fallback_label);
	/* typed here, once per report: every /metrics renders from them */
	r->samples = serve_samples_read(samples, r->engine, d->fallback_label);
	free(samples);
	const json_t *checks = json_object_get(*rep, "checks");
	for (size_t i = 0; i < json_array_size(checks); i++) {
		const json_t *c = json_array_get(checks, i);
		const char *name = json_string_value(json_object_get(c, "name"));
		const char *st = json_string_value(json_object_get(c, "status"));
		if (name && st && strcmp(name, "schema_drift") == 0)
			r->drift = dbc_health_drifted(st);
	}
	return r->report && r->label ? 0 : -1;
}

static int read_schema(cli_db *db, serve_result *r)
{
	cli_rows rows = {0};
	if (db->drv->query(db, "SELECT dbschema_snapshot(), dbhealth_growth(30)", 0, NULL, &rows) != 0)
		return -1;
	r->schema = strdup(cli_cell(&rows, 0, 0) ? cli_cell(&rows, 0, 0) : "null");
	r->growth = strdup(cli_cell(&rows, 0, 1) ? cli_cell(&rows, 0, 1) : "null");
	cli_rows_free(&rows);
	return r->schema && r->growth ? 0 : -1;
}

/* r's report strings, as read, moved into a part of their own. */
static int own_report(serve_result *r)
{
	serve_report_part *p = calloc(1, sizeof *p);
	if (!p)
		return -1;
	*p = (serve_report_part){1,         r->engine,  r->label,  r->status,
	                         r->report, r->samples, r->schema, r->growth};
	r->part = p;
	return 0;
}

/* The report part of prev shared with r (its report is young enough). */
static void carry_report(serve_result *r, const serve_result *prev)
{
	serve_report_part *p = prev->part;
	__atomic_add_fetch(&p->refs, 1, __ATOMIC_ACQ_REL);
	r->part = p;
	r->report_at = prev->report_at;
	r->drift = prev->drift;
	r->engine = p->engine;
	r->label = p->label;
	r->status = p->status;
	r->report = p->report;
	r->samples = p->samples;
	r->schema = p->schema;
	r->growth = p->growth;
}

/* A member's label for a JSON document (malloc'd; NULL for NULL): a byte
 * of its file's name that starts no well-formed UTF-8 sequence as '?', as
 * in the metrics (JSON holds UTF-8 only: the document failed, and the
 * member with it). */
static char *json_label(const char *label)
{
	char *out = label ? malloc(strlen(label) + 1) : NULL;
	if (out)
		dbc_utf8_repair(out, label, strlen(label));
	return out;
}

/* The cheap numbers of every refresh (dbhealth_gauges) and the staleness
 * limit, kept beside the report's typed samples (serve_render_metrics
 * serves them in place of the report's samples of the same families) and
 * written into the statistics. A database whose extension has no
 * dbhealth_gauges yet (an older version) keeps the report's numbers. */
static int read_gauges(cli_db *db, serve_result *r)
{
	cli_rows rows = {0};
	json_t *g = NULL;
	for (int i = 0; i < SERVE_GAUGES; i++)
		r->gauges[i] = -1;
	if (db->drv->query(db, "SELECT dbhealth_gauges(), dbcare_get('health.alerts.stale_seconds')", 0,
	                   NULL, &rows) == 0) {
		g = cli_cell(&rows, 0, 0) ? json_loads(cli_cell(&rows, 0, 0), 0, NULL) : NULL;
		r->stale_s = cli_cell(&rows, 0, 1) ? atof(cli_cell(&rows, 0, 1)) : 0;
	} else {
		cli_error_clear(db);
	}
	cli_rows_free(&rows);
	json_t *rep = g ? NULL : json_loads(r->report, 0, NULL);
	const json_t *m = g ? g : json_object_get(rep, "metrics");
	for (int i = 0; g && i < SERVE_GAUGES; i++) {
		const json_t *v = json_object_get(g, serve_gauges[i].key);
		if (json_is_integer(v))
			r->gauges[i] = (double)json_integer_value(v);
	}
	json_t *growth = json_loads(r->growth, JSON_DECODE_ANY, NULL);
	char *label = json_label(r->label);
	json_t *st = json_pack("{s:s?, s:s, s:O?, s:O?, s:O?, s:o?}", "database", label, "engine",
	                       r->engine, "size_bytes", json_object_get(m, "size_bytes"), "tables",
	                       json_object_get(m, "tables"), "indexes", json_object_get(m, "indexes"),
	                       "growth", growth);
	free(label);
	r->statistics = st ? json_dumps(st, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(st);
	json_decref(rep);
	json_decref(g);
	return r->statistics ? 0 : -1;
}

/* The schema version (as dbmigrate_current(): the highest version applied,
 * "" when none) from the status rows, for /metrics' count of the fleet by
 * version: read from what is read anyway, since dbmigrate_current() may
 * store its summary and readiness writes nothing. */
static char *current_version(const cli_rows *status)
{
	const char *best = NULL;
	for (int i = 0; i < status->nrows; i++) {
		const char *v = cli_cell(status, i, 0), *state = cli_cell(status, i, 3);
		bool applied = state && (strcmp(state, "applied") == 0 || strcmp(state, "changed") == 0 ||
		                         strcmp(state, "missing") == 0);
		if (v && applied && (!best || dbc_version_cmp(v, best) > 0))
			best = v;
	}
	return strdup(best ? best : "");
}

/* The migrations as `dbcare status` counts them (dbmigrate_pending of the
 * --dir files: readiness only reads), and the history. */
static int read_migrations(cli_db *db, cli_opts *o, serve_result *r)
{
	cli_rows status = {0}, history = {0};
	bool found = false;
	int rc = db->drv->query(db,
	                        "SELECT version, name, kind, state, checksum, applied_at, duration_ms "
	                        "FROM dbmigrate_status()",
	                        0, NULL, &status);
	if (rc == 0)
		rc = db->drv->query(db, "SELECT * FROM dbmigrate_history()", 0, NULL, &history);
	if (rc == 0)
		rc = cli_pending_files(db, o, &found, &r->pending);
	if (rc != 0) {
		if (!db->error.message)
			cli_error_set(db, NULL, "dbcare: the migration folder cannot be read", NULL, NULL);
		cli_rows_free(&status);
		cli_rows_free(&history);
		return -1;
	}
	if (found)
		r->gauges[SERVE_GAUGE_PENDING] = r->pending;
	r->current = current_version(&status);
	char *st = rows_json(&status), *hi = rows_json(&history);
	cli_rows_free(&status);
	cli_rows_free(&history);
	char *label = json_label(r->label);
	json_t *doc = json_pack("{s:s?, s:s, s:i}", "database", label, "engine", r->engine, "pending",
	                        r->pending);
	free(label);
	json_t *sj = st ? json_loads(st, 0, NULL) : NULL, *hj = hi ? json_loads(hi, 0, NULL) : NULL;
	free(st);
	free(hi);
	if (doc && sj && hj) {
		json_object_set_new(doc, "status", sj);
		json_object_set_new(doc, "history", hj);
		r->migrations = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	} else {
		json_decref(sj);
		json_decref(hj);
	}
	json_decref(doc);
	return r->migrations ? 0 : -1;
}

/* Publishes what serve_fleet_stop may interrupt while the connection is open. */
static void publish(serve_fleet *f, serve_db *d, cli_db *db, bool on)
{
	void *h = on ? db->drv->interrupter(db) : NULL;
	pthread_mutex_lock(&f->mu);
	void *old = d->interrupt;
	const cli_driver *old_drv = d->interrupt_drv;
	d->interrupt = h;
	if (on)
		d->interrupt_drv = db->drv;
	pthread_mutex_unlock(&f->mu);
	if (old)
		old_drv->interrupter_free(old);
}

/* SQLite's busy handler: waits for a lock as the command's 5 s busy
 * timeout does, but in steps of 10 ms that end when serve stops (the wait
 * may be in the module's own start-up, before any handle is published),
 * when the refresh is cut at its time bound or when the request holding
 * the database passes its deadline. */
static int busy_wait(void *arg, int count)
{
	serve_db *d = arg;
	int64_t deadline = __atomic_load_n(&d->deadline_ms, __ATOMIC_ACQUIRE);
	if (count >= 500 || __atomic_load_n(&d->fleet->stopping, __ATOMIC_ACQUIRE) ||
	    __atomic_load_n(&d->cut, __ATOMIC_ACQUIRE) ||
	    (deadline && dbc_monotonic_ms() >= (double)deadline))
		return 0;
	nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
	return 1;
}

cli_db *serve_connect(serve_fleet *f, serve_db *d, bool *reused, char **err)
{
	*err = NULL;
	pthread_mutex_lock(&f->mu);
	cli_db *db = d->kept;
	d->kept = NULL;
	pthread_mutex_unlock(&f->mu);
	if (reused)
		*reused = db != NULL;
	if (!db) {
		cli_connect_opts co = {.module = f->o->module,
		                       .sqlite_refuse_empty = true, /* its report is a verdict */
		                       .connect_timeout_s = 10,
		                       .sqlite_busy = busy_wait,
		                       .sqlite_busy_arg = d};
		db = cli_connect(&d->target, &co, err);
		/* a session that may be kept runs the same statements again */
		if (db)
			db->keep_plans = f->keep_max > 0;
	}
	if (db)
		publish(f, d, db, true);
	return db;
}

void serve_disconnect(serve_fleet *f, serve_db *d, cli_db *db)
{
	publish(f, d, db, false);
	bool usable = db->drv->reusable && db->drv->reusable(db) && !db->error.message;
	pthread_mutex_lock(&f->mu);
	/* an interrupt sent while it was held (a cut, a deadline) may still
	 * land: that session ends here */
	usable = usable && !f->stopping && !__atomic_load_n(&d->cut, __ATOMIC_ACQUIRE) &&
	         d->interrupted == 0;
	if (usable && !d->keeps && f->keeping < f->keep_max) {
		d->keeps = true;
		f->keeping++;
	}
	bool keep = usable && d->keeps && !d->kept;
	if (!usable && d->keeps) {
		d->keeps = false;
		f->keeping--;
	}
	if (keep) {
		db->report_label = NULL;
		d->kept = db;
	}
	pthread_mutex_unlock(&f->mu);
	if (!keep)
		cli_disconnect(db);
}

void serve_close_kept(serve_fleet *f)
{
	for (int i = 0; i < f->n; i++) {
		pthread_mutex_lock(&f->mu);
		cli_db *db = f->dbs[i].kept;
		f->dbs[i].kept = NULL;
		if (f->dbs[i].keeps)
			f->keeping--;
		f->dbs[i].keeps = false;
		pthread_mutex_unlock(&f->mu);
		if (db)
			cli_disconnect(db);
	}
}

/* One refresh on db; NULL with *err. */
static serve_result *collect_on(serve_fleet *f, serve_db *d, cli_db *db, cli_opts *o,
                                const serve_result *prev, char **err)
{
	serve_result *r = calloc(1, sizeof *r);
	json_t *rep = NULL;
	const char *what = "";
	int rc = r ? 0 : -1;
	/* the report is carried over while it is younger than --report-interval
	 * (a clock stepped back makes it no younger: read anew, not reused
	 * until the clock catches up) */
	double now = serve_wall_s();
	bool carry = prev && prev->part && now >= prev->report_at &&
	             now - prev->report_at < f->report_interval_s;
	if (rc == 0 && carry)
		carry_report(r, prev);
	if (rc == 0 && !carry && (r->report_at = now, read_health(db, o, d, r, &rep)) != 0)
		what = "health report: ";
	else if (rc == 0 && !carry && read_schema(db, r) != 0)
		what = "schema: ";
	else if (rc == 0 && !carry && own_report(r) != 0)
		what = "out of memory: ";
	else if (rc == 0 && read_gauges(db, r) != 0)
		what = "gauges: ";
	else if (rc == 0 && read_migrations(db, o, r) != 0)
		what = "migrations: ";
	else if (rc == 0 && serve_replicas_read(db, o, r, prev) != 0)
		what = "replicas: ";
	else if (rc == 0 && serve_queries_read(db, r) != 0)
		what = "query statistics: ";
	else
		what = NULL;
	if (what) {
		*err = db_error(d, db, what);
		serve_result_free(r);
		r = NULL;
	} else if (r) {
		r->at = serve_wall_s();
	}
	json_decref(rep);
	return r;
}

serve_result *serve_collect(serve_fleet *f, serve_db *d, const serve_result *prev, char **err)
{
	/* this thread's own copy: the helpers below write into the options */
	cli_opts o = *f->o;
	o.out.quiet = true;
	o.out.format = CLI_FMT_PLAIN;
	bool reused = false;
	cli_db *db = serve_connect(f, d, &reused, err);
	if (!db)
		return NULL;
	serve_result *r = collect_on(f, d, db, &o, prev, err);
	/* the kept session was lost since the last refresh (the server
	 * restarted, the session was terminated): once more, on a new one */
	if (!r && reused && !db->drv->reusable(db) && !__atomic_load_n(&d->cut, __ATOMIC_ACQUIRE) &&
	    !__atomic_load_n(&f->stopping, __ATOMIC_ACQUIRE)) {
		serve_disconnect(f, d, db);
		free(*err);
		if (!(db = serve_connect(f, d, NULL, err)))
			return NULL;
		r = collect_on(f, d, db, &o, prev, err);
	}
	serve_disconnect(f, d, db);
	return r;
}
