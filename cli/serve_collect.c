/*
 * serve_collect.c — one refresh of one database: connect, read the SQL API
 * (the health report and its metrics, the schema snapshot, the growth, the
 * migrations with the --dir files compared as `dbcare status` does), close.
 * It only reads: the files are registered in a transaction that is rolled
 * back, after the report, so no lock is held while the checks run.
 */
#include "serve.h"
#include "health_file.h"

#include <jansson.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

pthread_mutex_t serve_files_mu = PTHREAD_MUTEX_INITIALIZER;

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

/* The metrics' dbcare_migrations_pending sample set to n: with the --dir
 * files compared, pending counts them too, as readyz and `status` do. */
static void set_pending_sample(char *metrics, int n)
{
	static const char name[] = "dbcare_migrations_pending{";
	for (char *line = metrics; line && *line;) {
		char *end = strchr(line, '\n');
		if (strncmp(line, name, sizeof name - 1) == 0) {
			char *close = strstr(line, "} ");
			if (close && (!end || close < end)) {
				char tail[32];
				int w = snprintf(tail, sizeof tail, " %d", n);
				size_t old = (size_t)((end ? end : line + strlen(line)) - (close + 1));
				/* the line only shrinks or keeps its length when the number
				 * written is not longer than the one replaced ("NaN", "12") */
				if ((size_t)w <= old) {
					memcpy(close + 1, tail, (size_t)w);
					memmove(close + 1 + w, close + 1 + old, strlen(close + 1 + old) + 1);
				}
			}
			return;
		}
		line = end ? end + 1 : NULL;
	}
}

/* The report and its metrics, judged for the file as `dbcare health` does. */
static int read_health(cli_db *db, cli_opts *o, serve_result *r, json_t **rep)
{
	cli_rows rows = {0};
	const char *p[1] = {o->mode ? o->mode : "standard"};
	if (db->drv->query(db, "SELECT dbhealth_report($1), dbhealth_metrics($1)", 1, p, &rows) != 0)
		return -1;
	const char *text = cli_cell(&rows, 0, 0), *metrics = cli_cell(&rows, 0, 1);
	*rep = text ? json_loads(text, 0, NULL) : NULL;
	const char *worst = NULL;
	r->metrics = cli_health_judge_file_metrics(db, metrics ? metrics : "", &worst);
	cli_rows_free(&rows);
	if (!*rep || !r->metrics) {
		cli_error_set(db, NULL, "dbcare: the health report is not JSON", NULL, NULL);
		return -1;
	}
	cli_health_judge_file(db, *rep);
	r->report = json_dumps(*rep, JSON_COMPACT | JSON_PRESERVE_ORDER);
	const char *status = json_string_value(json_object_get(*rep, "status"));
	const char *engine = json_string_value(json_object_get(*rep, "engine"));
	const char *label = json_string_value(json_object_get(*rep, "database"));
	r->status = strdup(status ? status : "healthy");
	r->engine = strdup(engine ? engine : db->drv->engine);
	r->label = label ? strdup(label) : NULL;
	const json_t *checks = json_object_get(*rep, "checks");
	for (size_t i = 0; i < json_array_size(checks); i++) {
		const json_t *c = json_array_get(checks, i);
		const char *name = json_string_value(json_object_get(c, "name"));
		const char *st = json_string_value(json_object_get(c, "status"));
		if (name && st && strcmp(name, "schema_drift") == 0)
			r->drift = cli_status_rank(st) > 0;
	}
	return r->report ? 0 : -1;
}

static int read_schema(cli_db *db, serve_result *r, const json_t *rep)
{
	cli_rows rows = {0};
	if (db->drv->query(db, "SELECT dbschema_snapshot(), dbhealth_growth(30)", 0, NULL, &rows) != 0)
		return -1;
	r->schema = strdup(cli_cell(&rows, 0, 0) ? cli_cell(&rows, 0, 0) : "null");
	json_t *growth = cli_cell(&rows, 0, 1) ? json_loads(cli_cell(&rows, 0, 1), 0, NULL) : NULL;
	cli_rows_free(&rows);
	const json_t *m = json_object_get(rep, "metrics");
	json_t *st = json_pack("{s:s?, s:s, s:O?, s:O?, s:O?, s:o?}", "database", r->label, "engine",
	                       r->engine, "size_bytes", json_object_get(m, "size_bytes"), "tables",
	                       json_object_get(m, "tables"), "indexes", json_object_get(m, "indexes"),
	                       "growth", growth);
	r->statistics = st ? json_dumps(st, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(st);
	return r->schema && r->statistics ? 0 : -1;
}

/* The migrations as `dbcare status` sees them (the folder registered in a
 * transaction rolled back), and the history. */
static int read_migrations(cli_db *db, cli_opts *o, serve_result *r)
{
	cli_rows status = {0}, history = {0};
	bool found = false;
	int nfiles = 0;
	if (db->drv->query(db, "BEGIN", 0, NULL, NULL) != 0)
		return -1;
	int rc = 0;
	if (!db->drv->read_only(db)) {
		/* the first call reads the folder into migfiles.c's cache */
		pthread_mutex_lock(&serve_files_mu);
		rc = cli_register_files(db, o, &found, &nfiles);
		pthread_mutex_unlock(&serve_files_mu);
	}
	if (rc == 0)
		rc = db->drv->query(db,
		                    "SELECT version, name, kind, state, checksum, applied_at, duration_ms "
		                    "FROM dbmigrate_status()",
		                    0, NULL, &status);
	cli_rollback(db);
	if (rc == 0)
		rc = db->drv->query(db, "SELECT * FROM dbmigrate_history()", 0, NULL, &history);
	if (rc != 0) {
		if (!db->error.message)
			cli_error_set(db, NULL, "dbcare: the migration folder cannot be read", NULL, NULL);
		cli_rows_free(&status);
		return -1;
	}
	int sc = cli_col(&status, "state");
	for (int i = 0; i < status.nrows; i++)
		r->pending += cli_state_pending(cli_cell(&status, i, sc));
	if (found)
		set_pending_sample(r->metrics, r->pending);
	char *st = rows_json(&status), *hi = rows_json(&history);
	cli_rows_free(&status);
	cli_rows_free(&history);
	json_t *doc = json_pack("{s:s?, s:s, s:i}", "database", r->label, "engine", r->engine,
	                        "pending", r->pending);
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
	void *h = NULL;
	if (on)
		h = d->target.engine == CLI_ENGINE_SQLITE ? db->handle : (void *)PQgetCancel(db->handle);
	pthread_mutex_lock(&f->mu);
	void *old = d->interrupt;
	d->interrupt = h;
	d->interrupt_engine = d->target.engine;
	pthread_mutex_unlock(&f->mu);
	if (old && d->target.engine == CLI_ENGINE_PG)
		PQfreeCancel(old);
}

/* SQLite's busy handler: waits for a lock as the command's 5 s busy
 * timeout does, but in steps of 10 ms that end when serve stops (the wait
 * may be in the module's own start-up, before any handle is published). */
static int busy_wait(void *arg, int count)
{
	serve_fleet *f = arg;
	if (count >= 500 || __atomic_load_n(&f->stopping, __ATOMIC_ACQUIRE))
		return 0;
	nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
	return 1;
}

cli_db *serve_connect(serve_fleet *f, serve_db *d, char **err)
{
	*err = NULL;
	cli_connect_opts co = {.module = f->o->module,
	                       .connect_timeout_s = 10,
	                       .sqlite_busy = busy_wait,
	                       .sqlite_busy_arg = f};
	cli_db *db = cli_connect(&d->target, &co, err);
	if (db)
		publish(f, d, db, true);
	return db;
}

void serve_disconnect(serve_fleet *f, serve_db *d, cli_db *db)
{
	publish(f, d, db, false);
	cli_disconnect(db);
}

serve_result *serve_collect(serve_fleet *f, serve_db *d, char **err)
{
	/* this thread's own copy: the helpers below write into the options */
	cli_opts o = *f->o;
	o.out.quiet = true;
	o.out.format = CLI_FMT_PLAIN;
	cli_db *db = serve_connect(f, d, err);
	if (!db)
		return NULL;
	serve_result *r = calloc(1, sizeof *r);
	json_t *rep = NULL;
	const char *what = "";
	int rc = r ? 0 : -1;
	if (rc == 0 && read_health(db, &o, r, &rep) != 0)
		what = "health report: ";
	else if (rc == 0 && read_schema(db, r, rep) != 0)
		what = "schema: ";
	else if (rc == 0 && read_migrations(db, &o, r) != 0)
		what = "migrations: ";
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
	serve_disconnect(f, d, db);
	return r;
}
