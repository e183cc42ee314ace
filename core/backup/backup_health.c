/*
 * backup_health.c — the catalog part of the backups health check, the same
 * on both engines: how old the newest verified backup is, and the staged
 * backups waiting too long for their upload (where staging is on).
 */
#include "backup/backup_private.h"

#include "settings/settings.h"

#include <string.h>

typedef struct newest {
	int64_t recorded; /* rows of any status */
	bool verified;    /* a verified one exists */
	double hours;     /* since the newest verified one was taken */
} newest;

static int take_newest(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	(void)ctx;
	newest *n = arg;
	if (ncol != 2)
		return DBC_OK;
	n->recorded = c[0].type == DBC_INT ? c[0].i : 0;
	n->verified = c[1].type == DBC_FLOAT || c[1].type == DBC_INT;
	n->hours = c[1].type == DBC_FLOAT ? c[1].f : c[1].type == DBC_INT ? (double)c[1].i : 0;
	return DBC_OK;
}

int dbc_backup_health(dbc_ctx *ctx, const dbc_backup_hooks *env, dbc_health_fact *fact)
{
	double max_age;
	bool required, exists;
	newest n = {0, false, 0};
	if (dbc_setting_get_number(ctx, "health.backups.max_age", &max_age) != DBC_OK ||
	    dbc_setting_get_bool(ctx, "health.backups.required", &required) != DBC_OK ||
	    dbc_backup_catalog_present(ctx, env, &exists) != DBC_OK)
		return DBC_ERROR;
	if (exists) {
		char *hours = dbc_printf(ctx, ctx->host->dialect->time_hours_since, "max(created_at)");
		char *sql = hours ? dbc_printf(ctx,
		                               "SELECT (SELECT count(*) FROM %sbackups),"
		                               " (SELECT %s FROM %sbackups WHERE status = 'verified')",
		                               ctx->host->book_prefix, hours, ctx->host->book_prefix)
		                  : NULL;
		if (!sql || ctx->host->query(ctx, sql, 0, NULL, take_newest, &n) != DBC_OK)
			return DBC_ERROR;
	}
	if (n.recorded == 0 && !required) {
		dbc_health_skip(ctx, fact, "no backup recorded yet",
		                "dbbackup_create (SQLite) or dbbackup_record (PostgreSQL) records one; "
		                "dbcare_set('health.backups.required', 'on') makes their absence a "
		                "problem.");
		return DBC_OK;
	}
	fact->value = n.verified ? n.hours : -1;
	if (!n.verified) {
		fact->min_status = DBC_CHECK_CRITICAL;
		fact->value_text = dbc_strdup(ctx, "none");
		fact->message = dbc_strdup(ctx, n.recorded ? "no verified backup among those recorded"
		                                           : "no backup recorded");
	} else {
		fact->min_status = n.hours > 2 * max_age ? DBC_CHECK_CRITICAL
		                   : n.hours > max_age   ? DBC_CHECK_WARNING
		                                         : DBC_CHECK_OK;
		fact->message =
		    dbc_printf(ctx, "newest verified backup %.1f h old (max_age %g h)", n.hours, max_age);
	}
	return dbc_backup_waiting_health(ctx, env, fact);
}
