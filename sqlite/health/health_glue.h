/*
 * sqlite/health/health_glue.h — shared between the SQLite health glue files: the engine
 * description handed to the core, and the slow-statement monitor's fact.
 */
#ifndef SQLDBC_HEALTH_H
#define SQLDBC_HEALTH_H

#include "sqlite/host/glue.h"
#include "health/health.h"

/* Hands the health part's hooks (the gatherers, filled per report for the
 * call's connection: sqlite/health/health.c) to the host's table, at load. */
void sqldbc_health_register(dbc_api_hooks *api);
/* The slow_queries fact from the running dbmonitor, or skipped
 * (health_monitor.c; a gatherer of health.c's table). */
int sqldbc_monitor_fact(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                        dbc_health_fact *fact);

/* This connection's dbmonitor statements as the health part's query
 * statistics (health_monitor.c; absent while it does not record). */
int sqldbc_monitor_query_stats(dbc_ctx *ctx, const dbc_health_hooks *eng, int limit,
                               dbc_health_query_stats *out);

/* The check point_in_time_log and the log's numbers of the metrics, from
 * the files of backup.log.dir (pitr_health.c). */
int sqldbc_pitr_health(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                       dbc_health_fact *fact);
int sqldbc_pitr_health_metrics(dbc_ctx *ctx, dbc_health_metrics *m);

/* dbmonitor (health_monitor.c). */
/* Starts (or re-thresholds) the monitor. The trace callback is taken only
 * with replace_trace, unless dbmonitor already holds it; otherwise 55000. */
int sqldbc_monitor_start(dbc_ctx *ctx, sqldbc_conn *conn, double threshold_ms, bool replace_trace);
/* Stops it; turns the trace callback off only while it is still dbmonitor's. */
int sqldbc_monitor_stop(dbc_ctx *ctx, sqldbc_conn *conn, bool *was_running);
/* The rows of dbmonitor_slow: sqldbc_dbmonitor_slow, declared in glue.h. */

/* The health check "audit" (fn_audit.c): audited tables whose columns
 * changed since their triggers were made, and dropped ones. */
int sqldbc_audit_health(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                        dbc_health_fact *fact);

/* integrity_vet.c: the schema code PRAGMA quick_check (full: integrity_check)
 * would evaluate on the caller's connection, each held to the allow-list. */
typedef struct sqldbc_integrity_vet {
	char *refused;     /* the first refused, "<what>: <why>"; NULL when all pass */
	char *refused_key; /* the first index key or predicate, or generated column,
	                    * refused: integrity_check would evaluate it even on a
	                    * read-only connection; NULL when none */
} sqldbc_integrity_vet;
int sqldbc_integrity_vet_schema(dbc_ctx *ctx, bool full, sqldbc_integrity_vet *out);
/* Runs sql (one text column a row, to fn) on a read-only connection of its
 * own to caller's main file, stopped when the caller is interrupted. Sets
 * *not_run (DBC_OK) when it could not run there: no file, not openable or
 * locked, or the schema calls a function that connection lacks. */
int sqldbc_integrity_elsewhere(dbc_ctx *ctx, sqlite3 *caller, const char *sql, dbc_row_fn fn,
                               void *arg, char **not_run);

#endif
