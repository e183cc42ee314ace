/*
 * health_drills.c — what the check backup_drills (its gatherer is in
 * health_hooks.c) and the drill metrics read: how old the newest good
 * restore drill is (the bookkeeping table backup_drills, written by
 * dbbackup_drill), whether the newest drill failed, and how long its
 * restore took. The same on both engines; a table not made yet (SQLite,
 * before the backup part's first write) reads as no drill.
 */
#include "health/health.h"

#include <string.h>

typedef struct newest_drill {
	int64_t drills;     /* rows of any status */
	bool good;          /* a good one exists */
	double hours;       /* since the newest good one */
	bool newest_failed; /* the newest drill failed */
	char *detail;       /* its reason */
	double epoch, ms;   /* the newest drill's moment and duration */
} newest_drill;

static int take_newest(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	dbc_health_drill *n = arg;
	if (ncol != 6)
		return DBC_OK;
	n->drills = c[0].type == DBC_INT ? c[0].i : 0;
	n->good = c[1].type == DBC_FLOAT || c[1].type == DBC_INT;
	n->hours = c[1].type == DBC_FLOAT ? c[1].f : c[1].type == DBC_INT ? (double)c[1].i : 0;
	n->newest_failed = c[2].type == DBC_TEXT && strcmp(c[2].s, "failed") == 0;
	if (c[3].type == DBC_TEXT && !(n->detail = dbc_strdup(ctx, c[3].s)))
		return DBC_ERROR;
	n->epoch = c[4].type == DBC_FLOAT ? c[4].f : c[4].type == DBC_INT ? (double)c[4].i : 0;
	n->ms = c[5].type == DBC_FLOAT ? c[5].f : c[5].type == DBC_INT ? (double)c[5].i : 0;
	return DBC_OK;
}

int dbc_health_drill_read(dbc_ctx *ctx, dbc_health_drill *n)
{
	bool exists = false;
	memset(n, 0, sizeof *n);
	if (ctx->host->book_exists(ctx, &exists) != DBC_OK)
		return DBC_ERROR;
	if (!exists || (ctx->host->book_has_column &&
	                !ctx->host->book_has_column(ctx, "dbcare_backup_drills", "drilled_at")))
		return DBC_OK;
	const dbc_dialect *d = ctx->host->dialect;
	const char *p = ctx->host->book_prefix;
	char *hours = dbc_printf(ctx, d->time_hours_since, "max(drilled_at)");
	char *epoch = dbc_printf(ctx, d->time_epoch, "drilled_at");
	char *sql = hours && epoch
	                ? dbc_printf(ctx,
	                             "SELECT (SELECT count(*) FROM %1$sbackup_drills),"
	                             " (SELECT %2$s FROM %1$sbackup_drills WHERE status = 'ok'),"
	                             " l.status, l.detail, %3$s, l.duration_ms"
	                             " FROM (SELECT 1) AS one LEFT JOIN (SELECT status, detail,"
	                             " drilled_at, duration_ms FROM %1$sbackup_drills"
	                             " ORDER BY id DESC LIMIT 1) AS l ON 1 = 1",
	                             p, hours, dbc_printf(ctx, d->time_epoch, "l.drilled_at"))
	                : NULL;
	return sql ? ctx->host->query(ctx, sql, 0, NULL, take_newest, n) : DBC_ERROR;
}

int dbc_health_drill_metrics(dbc_ctx *ctx, dbc_health_metrics *m)
{
	dbc_health_drill n;
	if (dbc_health_drill_read(ctx, &n) != DBC_OK)
		return DBC_ERROR;
	m->drill_known = n.drills > 0;
	m->drill_ok = !n.newest_failed;
	m->drill_epoch = n.epoch;
	m->drill_seconds = n.ms / 1000.0;
	return DBC_OK;
}
