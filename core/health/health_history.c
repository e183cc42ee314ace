/*
 * health_history.c — the checks that grade the alerting rules' own
 * thresholds (health.alerts.*, health_alerts.c), so the report and the
 * Prometheus alerts say the same thing:
 *   migrations_overdue  versioned migrations registered but not applied for
 *                       more than health.alerts.pending_minutes, more of
 *                       them than the migrations check's warn threshold
 *                       (DbcareMigrationsPending);
 *   score_drop          the newest snapshot's score health.alerts.score_drop
 *                       points or more below the best snapshot of the last
 *                       hour (DbcareScoreDropped).
 * Both take no points by default (penalty 0): what made the score drop or
 * the migrations pending is penalised by its own check already; they are
 * findings, warning, never critical. The staleness limit
 * (health.alerts.stale_seconds) grades what dbcare serve serves: a report
 * read now is never stale.
 */
#include "health/health.h"

typedef struct two_numbers {
	double a, b;
	bool has_a, has_b;
} two_numbers;

static bool number_of(const dbc_value *v, double *out)
{
	if (v->type == DBC_INT)
		*out = (double)v->i;
	else if (v->type == DBC_FLOAT)
		*out = v->f;
	else
		return false;
	return true;
}

/* A fresh SQLite database has no bookkeeping yet: nothing registered, no
 * snapshot (and reading the report creates nothing). */
static int no_bookkeeping(dbc_ctx *ctx, bool *none)
{
	bool exists = true;
	if (ctx->host->book_exists && ctx->host->book_exists(ctx, &exists) != DBC_OK)
		return DBC_ERROR;
	*none = !exists;
	return DBC_OK;
}

static int take_two(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	two_numbers *t = arg;
	(void)ctx;
	if (ncol >= 2) {
		t->has_a = number_of(&c[0], &t->a);
		t->has_b = number_of(&c[1], &t->b);
	}
	return DBC_OK;
}

int dbc_health_gather_migrations_overdue(dbc_ctx *ctx, const dbc_health_hooks *eng,
                                         dbc_health_mode mode, dbc_health_fact *fact)
{
	double minutes, warn;
	(void)eng;
	(void)mode;
	if (dbc_setting_get_number(ctx, "health.alerts.pending_minutes", &minutes) != DBC_OK ||
	    dbc_setting_get_number(ctx, "health.migrations.warn", &warn) != DBC_OK)
		return DBC_ERROR;
	bool none;
	if (no_bookkeeping(ctx, &none) != DBC_OK)
		return DBC_ERROR;
	if (none) {
		fact->message = dbc_strdup(ctx, "no migration pending");
		return DBC_OK;
	}
	const char *p = ctx->host->book_prefix;
	char *waited = dbc_printf(ctx, ctx->host->dialect->time_hours_since, "m.registered_at");
	/* the versioned migrations registered and not applied (pending and
	 * out of order, as dbmigrate_status counts them): how many have waited
	 * longer than the limit, and the longest wait in minutes */
	char *sql = waited ? dbc_printf(ctx,
	                                "SELECT count(*) FILTER (WHERE %s * 60 > $1), max(%s) * 60 "
	                                "FROM %smigrations m WHERE m.kind = 'versioned' AND NOT EXISTS "
	                                "(SELECT 1 FROM %smigrations_applied a "
	                                "WHERE a.version = m.version)",
	                                waited, waited, p, p)
	                   : NULL;
	dbc_value param = dbc_float(minutes);
	two_numbers t = {0};
	if (!sql || ctx->host->query(ctx, sql, 1, &param, take_two, &t) != DBC_OK)
		return DBC_ERROR;
	double overdue = t.has_a ? t.a : 0;
	/* whole minutes (a wait is never negative) */
	fact->value = t.has_b && t.b > 0 ? (double)(long long)(t.b + 0.5) : 0;
	if (!t.has_b) {
		fact->message = dbc_strdup(ctx, "no migration pending");
		return DBC_OK;
	}
	if (warn >= 0 && overdue > warn) {
		fact->min_status = DBC_CHECK_WARNING;
		fact->message = dbc_printf(ctx,
		                           "%g migration%s pending longer than %g min "
		                           "(health.alerts.pending_minutes); the oldest for %.0f min",
		                           overdue, overdue == 1 ? "" : "s", minutes, fact->value);
		fact->hint = dbc_strdup(ctx, "SELECT dbmigrate_apply() applies them; SELECT * FROM "
		                             "dbmigrate_status() shows which.");
	} else {
		fact->message = dbc_printf(ctx, "the oldest pending migration has waited %.0f min of %g",
		                           fact->value, minutes);
	}
	return DBC_OK;
}

int dbc_health_gather_score_drop(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                                 dbc_health_fact *fact)
{
	double drop;
	(void)eng;
	(void)mode;
	bool none;
	if (dbc_setting_get_number(ctx, "health.alerts.score_drop", &drop) != DBC_OK ||
	    no_bookkeeping(ctx, &none) != DBC_OK)
		return DBC_ERROR;
	if (none) {
		fact->message = dbc_strdup(ctx, "no snapshot in the last hour (dbhealth_snapshot)");
		return DBC_OK;
	}
	const dbc_dialect *d = ctx->host->dialect;
	const char *p = ctx->host->book_prefix;
	char *within = dbc_printf(ctx, d->time_within_days, "taken_at");
	/* the best score of the last hour's snapshots, and the newest one's */
	char *sql = within ? dbc_printf(ctx,
	                                "SELECT max(score), (SELECT score FROM %shealth_snapshots "
	                                "ORDER BY taken_at DESC, id DESC LIMIT 1) "
	                                "FROM %shealth_snapshots WHERE %s",
	                                p, p, within)
	                   : NULL;
	dbc_value param = dbc_float(1.0 / 24);
	two_numbers t = {0};
	if (!sql || ctx->host->query(ctx, sql, 1, &param, take_two, &t) != DBC_OK)
		return DBC_ERROR;
	if (!t.has_a || !t.has_b) {
		fact->message = dbc_strdup(ctx, "no snapshot in the last hour (dbhealth_snapshot)");
		return DBC_OK;
	}
	fact->value = t.a > t.b ? t.a - t.b : 0;
	fact->message =
	    dbc_printf(ctx, "newest snapshot's score %g, best of the last hour %g", t.b, t.a);
	if (fact->value >= drop) {
		fact->min_status = DBC_CHECK_WARNING;
		fact->note =
		    dbc_printf(ctx, "dropped %g points (health.alerts.score_drop %g)", fact->value, drop);
		fact->hint = dbc_strdup(ctx, "The checks that lost points say why: SELECT * FROM "
		                             "dbhealth_checks() WHERE status <> 'ok'.");
	}
	return ctx->failed ? DBC_ERROR : DBC_OK;
}
