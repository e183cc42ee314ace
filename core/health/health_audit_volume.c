/*
 * health_audit_volume.c — the audit volume of dbhealth_metrics: how many
 * entries the audit trail has written, one series per database (no
 * per-table label, so series stay bounded whatever is audited).
 *
 * Invariant: the number is what the host counts as committed entries
 * (dbc_host.audit_entries_written: SQLite's AUTOINCREMENT counter of the
 * log, PostgreSQL's per-backend counters), which a rolled-back transaction
 * does not raise and a deleted entry does not lower; reading it is a probe of
 * a few rows, never a count of the log. A database without an audit log has
 * written none: 0.
 * A database auditing in wal mode (PostgreSQL) also gets the lag of its
 * worker and the WAL its slot holds back, which grow before a disk fills.
 */
#include "health/health.h"

int dbc_health_audit_prom(dbc_ctx *ctx, const dbc_health_report *r, dbc_prom *p)
{
	int64_t written = 0;
	bool exists = false;
	if (ctx->host->book_exists(ctx, &exists) != DBC_OK)
		return DBC_ERROR;
	if (exists && ctx->host->audit_entries_written(ctx, &written) != DBC_OK)
		return DBC_ERROR;
	bool wal = false;
	double lag = 0;
	int64_t retained = 0;
	if (exists && ctx->host->audit_wal_lag &&
	    ctx->host->audit_wal_lag(ctx, &wal, &lag, &retained) != DBC_OK)
		return DBC_ERROR;
	/* the labels of the report's own samples (health_render.c) */
	char *labels = dbc_prom_database_labels(ctx, ctx->host->dialect->name, r->database);
	if (dbc_prom_gauge(p, "dbcare_audit_entries_written",
	                   "Entries the audit trail has written in committed transactions.", labels,
	                   (double)written) != DBC_OK)
		return DBC_ERROR;
	if (!wal)
		return DBC_OK;
	return dbc_prom_add(p,
	                    dbc_prom_family_of(p, "dbcare_audit_lag_seconds", "gauge",
	                                       "How far the audit log may be behind the changes of "
	                                       "tables audited in wal mode."),
	                    labels, lag, DBC_PROM_FIXED3) == DBC_OK &&
	               dbc_prom_gauge(p, "dbcare_audit_wal_retained_bytes",
	                              "WAL the audit trail's replication slot holds back.", labels,
	                              (double)retained) == DBC_OK
	           ? DBC_OK
	           : DBC_ERROR;
}
