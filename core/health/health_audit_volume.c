/*
 * health_audit_volume.c — the audit volume of dbhealth_metrics: how many
 * entries the audit trail has written, one series per database (no
 * per-table label, so series stay bounded whatever is audited).
 *
 * Invariant: the number is the newest entry's id, which every entry written
 * raises by one (an identity on PostgreSQL, whose rolled-back transactions
 * leave gaps; the rowid on SQLite): reading it is one probe of the primary
 * key, never a count of the log. A database without an audit log has
 * written none: 0.
 */
#include "health/health.h"

static int take_id(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	(void)ctx;
	if (ncol >= 1 && c[0].type == DBC_INT)
		*(int64_t *)arg = c[0].i;
	return DBC_OK;
}

int dbc_health_audit_prometheus(dbc_ctx *ctx, const dbc_health_report *r, char **out)
{
	int64_t written = 0;
	bool exists = false;
	*out = NULL;
	if (ctx->host->book_exists(ctx, &exists) != DBC_OK)
		return DBC_ERROR;
	/* SQLite makes the log with the audit part's first writing call */
	if (exists && (!ctx->host->book_has_column ||
	               ctx->host->book_has_column(ctx, "dbcare_audit_log", "id"))) {
		char *sql = dbc_printf(ctx, "SELECT max(id) FROM %saudit_log", ctx->host->book_prefix);
		if (!sql || ctx->host->query(ctx, sql, 0, NULL, take_id, &written) != DBC_OK)
			return DBC_ERROR;
	}
	char *db = dbc_prom_escape_label(ctx, r->database ? r->database : "");
	*out = db ? dbc_printf(ctx,
	                       "# HELP dbcare_audit_entries_written Entries the audit trail has "
	                       "written (the newest entry's id).\n"
	                       "# TYPE dbcare_audit_entries_written gauge\n"
	                       "dbcare_audit_entries_written{engine=\"%s\",database=\"%s\"} %lld\n",
	                       ctx->host->dialect->name, db, (long long)written)
	          : NULL;
	return *out ? DBC_OK : DBC_ERROR;
}
