/*
 * pg/audit/audit_count.c — how many audit entries were ever committed, for the
 * metric dbcare_audit_entries_written (the host's audit_entries_written):
 * the per-backend counts the audited statements add in their own
 * transactions (pg/audit/audit_write.c), so a rollback takes its count back;
 * and the lag of wal mode (dbcare_audit_lag_seconds and
 * dbcare_audit_wal_retained_bytes: the host's audit_wal_lag).
 */
#include "pg/host/glue.h"

#include "catalog/namespace.h"
#include "utils/lsyscache.h"

#include "audit_glue.h"

static int take_written(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	(void)ctx;
	if (ncol >= 1 && c[0].type == DBC_INT)
		*(int64_t *)arg = c[0].i;
	return DBC_OK;
}

/* The sum of the per-backend counts of dbcare.audit_written
 * (pg/audit/audit_write.c); before ALTER EXTENSION UPDATE made it, the newest
 * entry's id, as 0.3.8 reported. */
int pgdbc_audit_entries_written(dbc_ctx *ctx, int64_t *written)
{
	*written = 0;
	/* this transaction's own count, kept in memory (pg/audit/audit_pending.c) */
	if (pgdbc_guarded(ctx, pgdbc_audit_pending_flush, NULL) != DBC_OK)
		return DBC_ERROR;
	bool counted =
	    OidIsValid(get_relname_relid("audit_written", get_namespace_oid("dbcare", false)));
	return ctx->host->query(
	    ctx,
	    counted ? "SELECT coalesce(sum(entries), 0)::bigint FROM dbcare.audit_written"
	            : "SELECT max(id) FROM dbcare.audit_log",
	    0, NULL, take_written, written);
}

/* The slot of this database's wal mode (pg/audit/audit_wal.h) and its worker:
 * [0] the lag in seconds, [1] the bytes of WAL the slot holds back. The
 * lag: 0 when the slot has everything written, else the time since the
 * start of the worker's last finished round (its query_start: every change
 * flushed before it is in the log, pg/audit/audit_wal_worker.c), else since its
 * last write, else since the server started. */
static const char wal_lag_sql[] =
    "SELECT CASE WHEN s.confirmed_flush_lsn >= pg_catalog.pg_current_wal_insert_lsn() THEN 0"
    "  ELSE extract(epoch FROM pg_catalog.clock_timestamp() - coalesce("
    "   (SELECT max(a.query_start) FROM pg_catalog.pg_stat_activity a"
    "     WHERE a.backend_type = 'dbcare audit wal' AND a.datid = d.oid),"
    "   (SELECT st.decoded_at FROM dbcare.audit_wal_state st),"
    "   pg_catalog.pg_postmaster_start_time())) END::pg_catalog.float8,"
    " (pg_catalog.pg_current_wal_lsn() - s.restart_lsn)::pg_catalog.int8"
    " FROM pg_catalog.pg_replication_slots s, pg_catalog.pg_database d"
    " WHERE d.datname = pg_catalog.current_database()"
    "  AND s.slot_name = 'dbcare_audit_' || d.oid::pg_catalog.text";

typedef struct wal_lag {
	bool *active;
	double *lag;
	int64_t *retained;
} wal_lag;

static int take_lag(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	wal_lag *w = arg;
	(void)ctx;
	if (ncol < 2)
		return DBC_OK;
	*w->active = true;
	*w->lag = c[0].type == DBC_FLOAT ? c[0].f : c[0].type == DBC_INT ? (double)c[0].i : 0;
	*w->retained = c[1].type == DBC_INT ? c[1].i : 0;
	return DBC_OK;
}

int pgdbc_audit_wal_lag(dbc_ctx *ctx, bool *active, double *lag_seconds, int64_t *retained)
{
	wal_lag w = {active, lag_seconds, retained};
	*active = false;
	*lag_seconds = 0;
	*retained = 0;
	if (!OidIsValid(get_relname_relid("audit_wal_state", get_namespace_oid("dbcare", false))))
		return DBC_OK; /* before ALTER EXTENSION UPDATE: no wal mode yet */
	return ctx->host->query(ctx, wal_lag_sql, 0, NULL, take_lag, &w);
}
