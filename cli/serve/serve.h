/*
 * serve.h — `dbcare serve`: the database's state over HTTP for probes and
 * Prometheus (docs/observe.md). The parts, one job each:
 *   serve.c          the command: options, listening socket, signals, shutdown
 *   serve_fleet.c    each database's last result and the refreshes: at most one
 *                    connection per database at a time, --jobs at once, and a
 *                    refresh that outlives --scrape-timeout no longer counts
 *   serve_collect.c  one refresh: connect (or take the kept connection),
 *                    read the cheap gauges and the migrations, the health
 *                    report only when the last one is older than
 *                    --report-interval, keep or close the connection
 *   serve_write.c    POST /migrate and /verify: the command itself, run on the
 *                    database while its slot is held
 *   serve_live.c     the page's live panels, GET /live (serve_live_script.c:
 *                    the page's script that refreshes them)
 *   serve_signal.c   POST /cancel and /terminate of a session
 *   serve_http.c     libmicrohttpd: routes, the bearer token, the request log
 *   serve_render.c   the bodies: JSON, health+json, readyz, the metrics merged
 *                    into one exposition (text 0.0.4 or OpenMetrics)
 *   serve_replicas.c a primary's standbys and subscribers in a result, their
 *                    lines on /readyz?replicas=1 and their metrics' samples
 *   serve_queries.c  a PostgreSQL database's statements as bounded metrics
 *                    series (dbcare_query_*), at most CLI_QUERY_SERIES_MAX
 * Invariants: a database is opened by one thread at a time (its `busy` flag,
 * under the fleet's mutex); a result, once published, is never changed (a
 * refresh publishes a new one), so a request renders it without the lock,
 * holding a reference.
 */
#ifndef DBCARE_CLI_SERVE_H
#define DBCARE_CLI_SERVE_H

#include "cli/cli.h"
#include "base/dbc.h"
#include "health/health.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

/* The report's families that every refresh reads anew (dbhealth_gauges'
 * keys; pending: the --dir files counted as `dbcare status` does). */
#define SERVE_GAUGES 4
enum { SERVE_GAUGE_PENDING = 3 };
typedef struct serve_gauge {
	const char *family, *key;
} serve_gauge;
extern const serve_gauge serve_gauges[SERVE_GAUGES];

/* A database's families as typed samples: its dbhealth_samples read once,
 * when its report is read (serve_samples_read), into core's model (its
 * strings in the arena of ctx), and rendered from on every /metrics
 * without being read again; labels is the member's label set as the
 * module writes it, for the gauges a refresh reads anew. Immutable once
 * published, like the report part that owns it. */
typedef struct serve_samples {
	dbc_ctx ctx;
	dbc_prom model;
	const char *labels;
} serve_samples;

/* The report part of a result: the strings of the same names in
 * serve_result point into it. Read at most once per --report-interval and shared by the
 * results of the refreshes in between (not copied: a fleet's refreshes
 * would churn the heap); refs is atomic, the results holding it are
 * released under different locks. */
typedef struct serve_report_part {
	int refs;
	char *engine, *label, *status, *report;
	serve_samples *samples;
	char *schema, *growth;
} serve_report_part;

/* What one refresh read of a database; immutable once published. Two
 * parts of different age: the report's (engine, label, status, report,
 * samples, schema, growth: owned by `part`), read at most once per
 * --report-interval and shared with the previous result in between, and
 * the gauges' and migrations' (the size and counts of dbhealth_gauges,
 * pending, gauges, stale_s), read by every refresh; statistics are the
 * report's with the gauges' numbers. */
/* One standby or subscriber of a primary as a refresh saw it
 * (docs/topology.md): whether it shows the schema version the primary has
 * (it replayed or confirmed the last migration's position). */
typedef struct serve_replica {
	char *kind, *name, *state, *slot; /* slot NULL: none */
	double lag_bytes;                 /* -1: unknown (no pg_monitor) */
	bool visible;                     /* passed the position and, compared, lacks no column */
	bool receiver;                    /* kind receiver: replays nothing, never waited on */
	int nlacking;                     /* a --subscriber: the published columns it lacks */
	char *lacking;                    /* and the first of them (NULL: none) */
} serve_replica;
/* At most this many replicas a database are kept, listed and exported:
 * the metrics' replica label stays bounded whatever connects. */
#define SERVE_REPLICAS_MAX 16

/* One statement of pg_stat_statements as a refresh saw it (its rows of
 * every user summed): counters since the statistics were last reset. */
typedef struct serve_query {
	char *queryid; /* as text: the metrics' label, never the query's text */
	double calls, total_seconds;
} serve_query;

typedef struct serve_result {
	serve_report_part *part; /* owns the report part's strings; NULL while read */
	int refs;                /* under the fleet's mutex */
	double at;               /* wall clock (s) when it was read */
	double report_at;        /* wall clock (s) when its report was read (<= at) */
	char *engine;            /* "postgresql" or "sqlite" (the report's) */
	char *label;             /* the member's path label (serve.c), the metrics' label */
	char *report;            /* dbhealth_report of the database (compact JSON) */
	/* the database's families (dbhealth_samples, labelled by its path),
	 * typed; NULL from a module older than the function, or unreadable */
	serve_samples *samples;
	/* this refresh's numbers of the families of serve_gauges (-1: unknown,
	 * the report's sample is served) */
	double gauges[SERVE_GAUGES];
	char *schema;     /* dbschema_snapshot() */
	char *growth;     /* dbhealth_growth(30) */
	char *statistics; /* {"database",...,"growth":{...}} */
	char *migrations; /* {"database",...,"pending":n,"status":[...],"history":[...]} */
	char *current;    /* the highest version applied (status), "" when none; NULL: unread */
	char *status;     /* the report's status: healthy, warning, critical */
	int pending;      /* migrations pending, the --dir files counted (as status) */
	bool drift;       /* the schema_drift check is not ok */
	double stale_s;   /* health.alerts.stale_seconds of the database; <= 0 unknown */
	/* a PostgreSQL primary's replicas (serve_replicas.c), at most
	 * SERVE_REPLICAS_MAX; replicas_more: how many more there were */
	serve_replica *replicas;
	int nreplicas, replicas_more;
	char *version; /* dbmigrate_current() when the replicas were read */
	/* the WAL position a replica must pass to show version: read when a
	 * refresh first met this version, then carried over, so WAL written
	 * since (any write) does not make a caught-up replica lag again */
	char *target;
	/* a PostgreSQL database's statements (serve_queries.c), the largest
	 * total time first, at most CLI_QUERY_SERIES_MAX; none without
	 * pg_stat_statements */
	serve_query *queries;
	int nqueries;
} serve_result;

/* One database of the fleet. Fields below `target` are under fleet->mu. */
typedef struct serve_db {
	cli_target target;
	char *fallback_label; /* its label, decided by its path (serve.c), unique */
	serve_result *good;   /* the last result read, NULL before the first */
	char *error;          /* the last refresh's error, NULL when it succeeded */
	bool busy;            /* a refresh or a write holds the database */
	bool writing;         /* ... and it is a write (not counted in --jobs) */
	bool queued;
	bool report_due;                 /* a write changed it: the next refresh reads a new report */
	double started;                  /* monotonic (s): when the running refresh started */
	double finished;                 /* monotonic (s): when the last refresh ended; 0: never */
	unsigned long done;              /* refreshes finished, for waiters */
	void *interrupt;                 /* while connected: the handle to interrupt (shutdown) */
	const cli_driver *interrupt_drv; /* whose interrupt it takes */
	/* A request's deadline while it holds the database (monotonic ms, 0:
	 * none; atomic: SQLite's busy handler reads it without the mutex):
	 * past it the busy wait gives up and the dispatcher interrupts the
	 * running statement, again every HOLD_INTERRUPT_S while held. */
	int64_t deadline_ms;
	double interrupted; /* monotonic (s): the last interrupt of the deadline */
	/* The running refresh passed its time bound (--scrape-timeout) and is
	 * being cut: its statement interrupted, again every HOLD_INTERRUPT_S,
	 * until it ends (atomic: SQLite's busy handler reads it). */
	bool cut;
	/* The connection kept between the database's holders (a driver whose
	 * sessions are worth keeping: PostgreSQL), NULL when none is idle;
	 * taken by the holder of `busy` (serve_connect), given back by
	 * serve_disconnect when it is still usable and was not interrupted.
	 * keeps: the database holds one of the fleet's --keep-connections
	 * places (it keeps it while its connections stay usable). Under
	 * fleet->mu. */
	cli_db *kept;
	bool keeps;
	struct serve_fleet *fleet;
} serve_db;

typedef struct serve_fleet {
	serve_db *dbs;
	int n;
	cli_opts *o;              /* the command's options: read only once serving */
	double budget_s;          /* --scrape-timeout */
	double interval_s;        /* --min-interval: a younger result is served as it is */
	double report_interval_s; /* --report-interval: a younger report is reused */
	int jobs;                 /* refreshes at once that are within their budget */
	int keep_max;             /* --keep-connections: databases that may keep one */
	int keeping;              /* databases whose `keeps` is set; under mu */
	pthread_mutex_t mu;
	pthread_cond_t changed; /* a refresh ended, a slot freed, a job queued */
	bool stopping;
	int threads; /* refresh threads running */
	pthread_t dispatcher;
} serve_fleet;

/* serve_fleet.c */
int serve_fleet_start(serve_fleet *f);
/* Requests stop waiting and no refresh starts any more. */
void serve_fleet_begin_stop(serve_fleet *f);
/* Interrupts running refreshes and waits for every thread to end. */
void serve_fleet_stop(serve_fleet *f);
/* What a request sees of database i: its last result (a reference, NULL
 * when none), whether it is up (the last refresh succeeded and none has run
 * past the budget since) and the last error (malloc'd, NULL when none). */
typedef struct serve_view {
	serve_result *r;
	bool up;
	char *error;
} serve_view;
/* Refreshes what is older than --min-interval and waits for it, at most
 * --scrape-timeout; then fills views[i] for every database (or only for
 * `only` when it is >= 0). serve_release gives the references back. */
void serve_fleet_scrape(serve_fleet *f, int only, serve_view *views);
void serve_release(serve_fleet *f, serve_view *views);
/* Takes database i for a write: waits for its refresh to end, then holds it.
 * serve_fleet_unhold ends the hold and marks its result stale. */
void serve_fleet_hold(serve_fleet *f, int i);
/* The same for a request with a deadline (monotonic ms): the wait ends
 * there (false: not held), and, when `reads` (the page reads the database
 * itself), while held its statements end there too (d->deadline_ms;
 * serve_fleet_unhold clears it). */
bool serve_fleet_hold_until(serve_fleet *f, int i, int64_t deadline_ms, bool reads);
void serve_fleet_unhold(serve_fleet *f, int i);
/* Database i's label: decided by its path, the same in every result. */
const char *serve_db_label(const serve_db *d, const serve_result *r);
/* The index of the database labelled `label`, -1 when none. */
int serve_fleet_find(serve_fleet *f, const char *label);
void serve_result_free(serve_result *r);
void serve_report_part_unref(serve_report_part *p);
/* A database's dbhealth_samples (JSON text) read into typed samples,
 * labelled engine and label; NULL when they cannot be read (the database's
 * families are then left out of the metrics; up and age still say what is
 * known). serve_samples_free(NULL) does nothing. */
serve_samples *serve_samples_read(const char *json, const char *engine, const char *label);
void serve_samples_free(serve_samples *s);
double serve_wall_s(void);

/* serve_collect.c: reads one database; NULL with *err (malloc'd). prev, the
 * last result (a reference, may be NULL), gives the report part when it is
 * younger than --report-interval. The connection is published in
 * d->interrupt while open. */
serve_result *serve_collect(serve_fleet *f, serve_db *d, const serve_result *prev, char **err);
/* Whether r's report is older than its database's health.alerts.stale_seconds
 * at wall time now (*age: its age in seconds). */
bool serve_result_stale(const serve_result *r, double now, double *age);
/* A connection to d, by its holder: the one kept since the last holder
 * when there is one (*reused true; reused may be NULL), else one opened as
 * the refreshes open it (connect timeout, a busy wait that ends when serve
 * stops); published for serve_fleet_stop while in use. NULL with *err
 * (malloc'd). serve_disconnect keeps it for the next holder when the
 * driver says it is usable as it is, no interrupt was sent while it was
 * held (a cancel that lands late must not cut the next holder's
 * statement), serve is not stopping and d has, or gets, one of the
 * --keep-connections places; else closes it (the next holder opens
 * another: a connection lost or broken is re-opened). */
cli_db *serve_connect(serve_fleet *f, serve_db *d, bool *reused, char **err);
void serve_disconnect(serve_fleet *f, serve_db *d, cli_db *db);
/* Closes every kept connection: serve_fleet_stop, when no thread runs. */
void serve_close_kept(serve_fleet *f);

/* serve_page.c: GET /, the page `dbcare report --html` writes, of the fleet
 * or of database `only` (>= 0), each database held while it is read; the
 * HTTP status (200; 503 when a database could not be reported). */
int serve_page(serve_fleet *f, int only, char **out, const char **type);

/* serve_live.c: database i's live panels (the driver's, and the xmin
 * horizon's finding of its last report) as a <section>, read on db. */
void serve_live_section(serve_fleet *f, int i, cli_db *db, FILE *out);
/* serve_live_queries.c: database i's query statistics with their deltas
 * since the newest snapshot (dbhealth_queries) as a panel; none from a
 * module without the function. */
void serve_live_queries(cli_db *db, int i, FILE *out);
/* GET /live: the live sections alone, of the fleet or of database `only`
 * (>= 0), each database held while it is read; the HTTP status (503 when
 * a database could not be read: its section says why). */
int serve_live(serve_fleet *f, int only, char **out, const char **type);
/* serve_live_script.c: the style, the token bar and the script that end
 * the page. */
extern const char serve_live_tail[];
/* serve_signal.c: POST /cancel (terminate false) or /terminate of the
 * session pid (text, checked: digits) of database i; the JSON answer in
 * *out (malloc'd); the HTTP status (404: no such session there). */
int serve_signal(serve_fleet *f, int i, bool terminate, const char *pid, char **out);

/* serve_write.c: `dbcare migrate` / `dbcare verify` on database i, the
 * JSON it printed in *out (malloc'd); the HTTP status. */
int serve_write(serve_fleet *f, int i, const char *command, char **out);

/* serve_render.c: a body in *out (malloc'd), its content type in *type;
 * returns the HTTP status. */
typedef struct serve_snapshot {
	serve_fleet *f;
	serve_view *views; /* per database */
	int only;          /* one database (?database=), else -1 */
} serve_snapshot;
int serve_render_json(serve_snapshot *s, const char *what, char **out, const char **type);
int serve_render_health_json(serve_snapshot *s, char **out, const char **type);
/* with_replicas: /readyz?replicas=1, each primary's replicas listed, and
 * one that does not show the schema version makes its database not ready */
int serve_render_readyz(serve_snapshot *s, bool with_replicas, char **out, const char **type);
int serve_render_metrics(serve_snapshot *s, bool openmetrics, char **out, const char **type);

/* serve_replicas.c: reads the replicas of a PostgreSQL primary into r (a
 * SQLite file, an engine without replicas: none), against prev's target
 * while the version is prev's; 0, or -1 with db's
 * error; a subscriber given by --subscriber (o) is compared as status
 * --replicas does, and one lacking a column shows no schema.
 * serve_replicas_readyz writes their lines for /readyz and returns
 * how many do not show the version; serve_replicas_samples adds their
 * samples to fleet's dbcare_replica_lag_bytes and
 * dbcare_replica_schema_visible (both made first) under the database's
 * labels, DBC_OK or DBC_ERROR; serve_replicas_free frees them. */
int serve_replicas_read(cli_db *db, cli_opts *o, serve_result *r, const serve_result *prev);
int serve_replicas_readyz(FILE *m, const serve_result *r);
int serve_replicas_samples(dbc_prom *fleet, const char *labels, const serve_result *r);
void serve_replicas_free(serve_result *r);

/* serve_queries.c: reads a PostgreSQL database's statements into r (none
 * where the engine keeps no statement statistics, pg_stat_statements is
 * not installed or not loaded: the refresh goes on); 0, or -1 with db's
 * error when reading them failed otherwise. serve_queries_samples adds
 * their samples to fleet's dbcare_query_calls and
 * dbcare_query_total_time_seconds (both made first) under the database's
 * labels, DBC_OK or DBC_ERROR; serve_queries_free frees them. */
int serve_queries_read(cli_db *db, serve_result *r);
int serve_queries_samples(dbc_prom *fleet, const char *labels, const serve_result *r);
void serve_queries_free(serve_result *r);

/* serve_host.c: whether a request's Host header (NULL: none) names this
 * server listening on port (on loopback or not), allowed being
 * --allow-host's comma-separated names (NULL: none) */
bool serve_host_allowed(const char *host, int port, bool loopback, const char *allowed);

/* serve_http.c: allow_hosts is kept, not copied (the options outlive it) */
typedef struct serve_http serve_http;
serve_http *serve_http_start(serve_fleet *f, int listen_fd, const char *token, bool writes,
                             const char *allow_hosts, char **err);
void serve_http_stop(serve_http *h);

#endif
