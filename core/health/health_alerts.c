/*
 * health_alerts.c — the Prometheus alerting rules of deploy/prometheus/
 * dbcare.rules.yml, written from the thresholds the health checks grade with
 * (the catalogue's defaults, or a database's effective settings), so that a
 * threshold changed in one place changes both the report and the alerts. The
 * parts no check grades (the score drop, how long migrations may stay
 * pending, the staleness of served metrics) are settings of the same
 * catalogue (health.alerts.*), so a database's dbcare_set moves them too.
 *
 * Invariant: every rule reads only series the exposition renders
 * (health_render.c; dbcare_backups_waiting_oldest_seconds only where
 * SQLite stages backups) or that `dbcare serve` adds (dbcare_up,
 * dbcare_metric_age_seconds); a rule whose threshold is disabled (negative)
 * is left out, as the check then never fires at that level.
 *
 * Written by hand rather than with libyaml's emitter: an event per key and
 * value made it 51 lines longer for the same parsed document.
 */
#include "health/health.h"

#include <stdlib.h>
#include <string.h>

typedef struct rule {
	const char *alert, *expr, *for_, *severity, *summary, *description;
} rule;

/* The effective value of key: lookup's text when it has one that reads as a
 * number, else def. */
static double threshold(dbc_alert_lookup lookup, void *arg, const char *key, double def)
{
	const char *v = lookup ? lookup(arg, key) : NULL;
	char *end;
	double d = v && *v ? strtod(v, &end) : 0;
	return v && *v && *end == '\0' ? d : def;
}

static double check_level(dbc_ctx *ctx, dbc_alert_lookup lookup, void *arg, dbc_health_check_id id,
                          bool critical)
{
	const dbc_health_check_def *c = &dbc_health_checks_catalog[id];
	return threshold(lookup, arg,
	                 dbc_printf(ctx, "health.%s.%s", c->name, critical ? "critical" : "warn"),
	                 critical ? c->critical : c->warn);
}

/* `dbcare_health_check_value{check="c"} > t`, for the level that fires
 * first on a count (critical when warn is disabled); NULL when both levels
 * are disabled. */
static char *value_above(dbc_ctx *ctx, dbc_alert_lookup lookup, void *arg, dbc_health_check_id id)
{
	double w = check_level(ctx, lookup, arg, id, false);
	double t = w >= 0 ? w : check_level(ctx, lookup, arg, id, true);
	if (t < 0)
		return NULL;
	return dbc_printf(ctx, "dbcare_health_check_value{check=\"%s\"} > %g",
	                  dbc_health_checks_catalog[id].name, t);
}

static void yaml_string(dbc_buf *b, const char *s)
{
	dbc_buf_appendc(b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			dbc_buf_appendc(b, '\\');
		dbc_buf_appendc(b, *s);
	}
	dbc_buf_appendc(b, '"');
}

static void emit(dbc_buf *b, const rule *r)
{
	if (!r->expr)
		return;
	dbc_buf_appendf(b, "      - alert: %s\n        expr: ", r->alert);
	yaml_string(b, r->expr);
	if (r->for_)
		dbc_buf_appendf(b, "\n        for: %s", r->for_);
	dbc_buf_appendf(b,
	                "\n        labels:\n          severity: %s\n        annotations:\n"
	                "          summary: ",
	                r->severity);
	yaml_string(b, r->summary);
	dbc_buf_append(b, "\n          description: ");
	yaml_string(b, r->description);
	dbc_buf_appendc(b, '\n');
}

/* a or b, either may be NULL (a disabled level) */
static char *either(dbc_ctx *ctx, const char *a, const char *b)
{
	return a && b ? dbc_printf(ctx, "%s or %s", a, b) : a ? (char *)a : (char *)b;
}

/* The effective value of one of the catalogue's other health keys
 * (health.backups.max_age, health.alerts.*): its default comes from the
 * catalogue, so the committed rules follow a changed default. */
static int extra_setting(dbc_ctx *ctx, dbc_alert_lookup lookup, void *arg, const char *key,
                         double *value)
{
	dbc_setting_def def;
	bool found = false;
	if (dbc_health_settings.def_of(ctx, key, &def, &found) != DBC_OK || !found)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "no %s setting", key);
	*value = threshold(lookup, arg, key, atof(def.default_value));
	return DBC_OK;
}

/* The backups' rules (their age, drills, shipping) into b. */
static int emit_backup_rules(dbc_ctx *ctx, dbc_alert_lookup lookup, void *arg, dbc_buf *b)
{
	double max_age, ship_wait;
	if (extra_setting(ctx, lookup, arg, "health.backups.max_age", &max_age) != DBC_OK ||
	    extra_setting(ctx, lookup, arg, "health.backups.max_ship_wait", &ship_wait) != DBC_OK)
		return DBC_ERROR;
	char *backup_old =
	    max_age >= 0 ? dbc_printf(ctx, "dbcare_health_check_value{check=\"backups\"} > %g", max_age)
	                 : NULL;
	char *backup_bad =
	    either(ctx,
	           max_age >= 0 ? dbc_printf(ctx, "dbcare_health_check_value{check=\"backups\"} > %g",
	                                     2 * max_age)
	                        : NULL,
	           "dbcare_health_check_status{check=\"backups\"} == 2");
	const rule rules[] = {
	    {"DbcareBackupOld", backup_old, NULL, "warning",
	     "The newest verified backup of {{ $labels.database }} is {{ $value }} h old",
	     "Older than health.backups.max_age."},
	    {"DbcareBackupMissing", backup_bad, NULL, "critical",
	     "No recent verified backup of {{ $labels.database }}",
	     "The newest verified backup is older than twice health.backups.max_age, or none is "
	     "verified."},
	    {"DbcareBackupDrillStale", value_above(ctx, lookup, arg, DBC_HC_BACKUP_DRILLS), NULL,
	     "warning", "The newest good restore drill of {{ $labels.database }} is {{ $value }} h old",
	     "No backup is trusted until it has been restored: run dbcare backup drill (older than "
	     "health.backup_drills.warn)."},
	    {"DbcareBackupDrillFailed", "dbcare_backup_last_drill_success == 0", NULL, "critical",
	     "The newest restore drill of {{ $labels.database }} failed",
	     "A backup did not restore, or its restored copy differs from its record: the table "
	     "backup_drills of dbcare's bookkeeping says why."},
	    /* SQLite's staged backups: the series exists only where staging is
	     * on, so the rule never fires elsewhere */
	    {"DbcareBackupsWaiting",
	     dbc_printf(ctx, "dbcare_backups_waiting_oldest_seconds > %g", ship_wait * 3600), NULL,
	     "warning", "Backups of {{ $labels.database }} wait to be shipped",
	     "The oldest backup in backup.stage_dir has waited {{ $value }} s for its upload, longer "
	     "than health.backups.max_ship_wait: run dbcare backup --ship."},
	};
	for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
		emit(b, &rules[i]);
	return DBC_OK;
}

int dbc_health_alert_rules(dbc_ctx *ctx, dbc_alert_lookup lookup, void *arg, char **out)
{
	double drop, pending, stale;
	if (extra_setting(ctx, lookup, arg, "health.alerts.score_drop", &drop) != DBC_OK ||
	    extra_setting(ctx, lookup, arg, "health.alerts.pending_minutes", &pending) != DBC_OK ||
	    extra_setting(ctx, lookup, arg, "health.alerts.stale_seconds", &stale) != DBC_OK)
		return DBC_ERROR;
	char *pending_for = dbc_printf(ctx, "%gm", pending);
	double mig = check_level(ctx, lookup, arg, DBC_HC_MIGRATIONS, false);
	const rule rules[] = {
	    {"DbcareDatabaseDown", "dbcare_up == 0", "2m", "critical",
	     "dbcare cannot reach {{ $labels.database }}",
	     "dbcare serve could not connect to the database or run its report."},
	    {"DbcareMetricsStale", dbc_printf(ctx, "dbcare_metric_age_seconds > %g", stale), "5m",
	     "warning", "The health of {{ $labels.database }} is {{ $value }} s old",
	     "The report did not finish within the scrape's time budget: dbcare serve serves the "
	     "last result."},
	    {"DbcareIntegrityProblem", value_above(ctx, lookup, arg, DBC_HC_INTEGRITY), NULL,
	     "critical", "Storage problems in {{ $labels.database }}",
	     "The integrity check found {{ $value }} storage problem(s): dbcare health shows them."},
	    {"DbcareConstraintViolations",
	     either(ctx, value_above(ctx, lookup, arg, DBC_HC_FOREIGN_KEY_VIOLATIONS),
	            value_above(ctx, lookup, arg, DBC_HC_CONSTRAINT_VIOLATIONS)),
	     NULL, "critical", "Constraint violations in {{ $labels.database }}",
	     "Stored rows break {{ $value }} constraint(s) of {{ $labels.check }}: dbcare check lists "
	     "them."},
	    {"DbcareHealthCritical", "dbcare_health_status == 2", "5m", "critical",
	     "{{ $labels.database }} is critical",
	     dbc_printf(ctx, "A check is critical or the score is below %d.",
	                DBC_HEALTH_SCORE_CRITICAL)},
	    {"DbcareHealthUnknown", "dbcare_health_status == 3", "5m", "critical",
	     "dbcare cannot read {{ $labels.database }}",
	     "Checks could not read the database (not a database, unreadable, or a role without "
	     "dbcare's grants): dbcare health names the file or role and the remedy."},
	    {"DbcareScoreDropped",
	     dbc_printf(ctx, "max_over_time(dbcare_health_score[1h]) - dbcare_health_score >= %g",
	                drop),
	     NULL, "warning", "The health score of {{ $labels.database }} dropped",
	     "The score is {{ $value }} points below its best of the last hour."},
	    {"DbcareMigrationsPending",
	     mig >= 0 ? dbc_printf(ctx, "dbcare_migrations_pending > %g", mig) : NULL, pending_for,
	     "warning", "Migrations pending in {{ $labels.database }}",
	     dbc_printf(ctx, "{{ $value }} migration(s) registered but not applied for %s.",
	                pending_for)},
	    {"DbcareSchemaDrift", value_above(ctx, lookup, arg, DBC_HC_SCHEMA_DRIFT), "5m", "warning",
	     "The schema of {{ $labels.database }} drifted",
	     "The schema differs from the one recorded after the last migration: dbcare validate "
	     "says what changed."},
	};
	/* the backups' rules come between the schema's and retention's */
	const rule later[] = {
	    {"DbcareRetentionBehind", value_above(ctx, lookup, arg, DBC_HC_RETENTION), "1h", "warning",
	     "Retention of {{ $labels.database }} is behind",
	     "A retention policy has {{ $value }} batches due: its runs do not keep up."},
	    /* the audit check is critical only for a broken hash chain (full mode) */
	    {"DbcareAuditBroken",
	     either(ctx, value_above(ctx, lookup, arg, DBC_HC_AUDIT),
	            "dbcare_health_check_status{check=\"audit\"} == 2"),
	     NULL, "critical", "Auditing of {{ $labels.database }} is broken",
	     "Audited tables are dropped or miss changes (dbaudit_tables), or a hash chain is broken "
	     "(full mode, dbaudit_verify)."},
	    {"DbcareSlowQueries", value_above(ctx, lookup, arg, DBC_HC_SLOW_QUERIES), "15m", "warning",
	     "Slow statements in {{ $labels.database }}",
	     "{{ $value }} statements are slower than health.slow_queries.min_ms on average."},
	};
	dbc_buf b;
	dbc_buf_init(&b, ctx);
	dbc_buf_append(&b, "# dbcare alerting rules, written by `dbcare alert-rules` from the health\n"
	                   "# checks' thresholds: do not edit, write them again.\n"
	                   "groups:\n  - name: dbcare\n    rules:\n");
	for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
		emit(&b, &rules[i]);
	if (emit_backup_rules(ctx, lookup, arg, &b) != DBC_OK)
		return DBC_ERROR;
	for (size_t i = 0; i < sizeof later / sizeof later[0]; i++)
		emit(&b, &later[i]);
	*out = dbc_buf_finish(&b);
	return *out && !ctx->failed ? DBC_OK : DBC_ERROR;
}
