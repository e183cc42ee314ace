/*
 * health_sqlite.h — shared between the SQLite health glue files: the engine
 * description handed to the core, and the slow-statement monitor's fact.
 */
#ifndef SQLDBC_HEALTH_H
#define SQLDBC_HEALTH_H

#include "conn.h"
#include "health.h"

/* Fills eng for a call on conn (health_sqlite.c). */
void sqldbc_health_engine(dbc_health_engine *eng, sqldbc_conn *conn);
/* The slow_queries fact from the running dbmonitor, or skipped (fn_health.c). */
int sqldbc_monitor_fact(dbc_ctx *ctx, const dbc_health_engine *eng, dbc_health_fact *fact);

/* dbmonitor (health_monitor.c). */
int sqldbc_monitor_start(sqldbc_conn *conn, double threshold_ms);
bool sqldbc_monitor_stop(sqldbc_conn *conn);
int sqldbc_monitor_rows(dbc_ctx *ctx, int argc, const dbc_value *args, dbc_rows *out);

#endif
