/*
 * backup_waiting.c — the staged backups waiting for their upload (SQLite:
 * with backup.dir a store's URL, the module's backups are made in
 * backup.stage_dir, and dbcare backup --ship uploads them): verified rows
 * of kind file whose folder is backup.stage_dir, with no row of kind
 * file_copy for their object in backup.dir's store. Retention keeps them
 * (their only copy is here), the backups health check names them once
 * the oldest has waited past health.backups.max_ship_wait, and the
 * metrics count them (dbcare_backups_waiting).
 */
#include "backup/backup_private.h"

#include "settings/settings.h"

#include <string.h>

/* %1$s the table's prefix, %2$s the hours since b was made */
static const char *const waiting_sql =
    "SELECT b.id, b.path, %2$s FROM %1$sbackups b WHERE " DBC_BACKUP_WAITING_WHERE(
        "%1$sbackups", "$1", "$2") " ORDER BY b.id";

static int take_waiting(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	dbc_backup_waiting *w = arg;
	if (ncol != 3)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "unexpected backup catalog row");
	if (dbc_grow(ctx, &w->id, w->n, &w->cap, sizeof *w->id, 8) != DBC_OK)
		return DBC_ERROR;
	w->id[w->n++] = c[0].i;
	double hours = c[2].type == DBC_FLOAT ? c[2].f : c[2].type == DBC_INT ? (double)c[2].i : 0;
	if (w->n == 1 || hours > w->oldest_hours) {
		w->oldest_hours = hours;
		w->oldest_path = dbc_strdup(ctx, c[1].type == DBC_TEXT ? c[1].s : "");
	}
	return ctx->failed ? DBC_ERROR : DBC_OK;
}

int dbc_backup_waiting_read(dbc_ctx *ctx, const dbc_backup_hooks *env, dbc_backup_waiting *w)
{
	char *dir = NULL, *stage = NULL;
	bool exists = false;
	memset(w, 0, sizeof *w);
	if (!dbc_setting_applies(ctx, "backup.stage_dir"))
		return DBC_OK;
	if (dbc_setting_get(ctx, "backup.dir", &dir) != DBC_OK ||
	    dbc_setting_get(ctx, "backup.stage_dir", &stage) != DBC_OK ||
	    dbc_backup_catalog_present(ctx, env, &exists) != DBC_OK)
		return DBC_ERROR;
	/* a set backup.stage_dir is an absolute local path (its kind,
	 * DBC_SETTING_FOLDER, refuses anything else, stored or given) */
	w->staging = stage[0] && dbc_setting_is_store_url(dir);
	if (!exists || !w->staging)
		return DBC_OK;
	char *hours = dbc_printf(ctx, ctx->host->dialect->time_hours_since, "b.created_at");
	char *sql = hours ? dbc_printf(ctx, waiting_sql, ctx->host->book_prefix, hours) : NULL;
	dbc_value p[2] = {dbc_text(stage), dbc_text(dir)};
	return sql ? ctx->host->query(ctx, sql, 2, p, take_waiting, w) : DBC_ERROR;
}

bool dbc_backup_waiting_has(const dbc_backup_waiting *w, int64_t id)
{
	for (int i = 0; i < w->n; i++)
		if (w->id[i] == id)
			return true;
	return false;
}

int dbc_backup_waiting_health(dbc_ctx *ctx, const dbc_backup_hooks *env, dbc_health_fact *fact)
{
	dbc_backup_waiting w;
	double max_wait;
	if (dbc_backup_waiting_read(ctx, env, &w) != DBC_OK)
		return DBC_ERROR;
	/* none waits where staging is off: max_ship_wait is not this engine's */
	if (w.n == 0)
		return DBC_OK;
	if (dbc_setting_get_number(ctx, "health.backups.max_ship_wait", &max_wait) != DBC_OK)
		return DBC_ERROR;
	if (w.oldest_hours <= max_wait)
		return DBC_OK;
	char *text = dbc_printf(ctx,
	                        "%d backup%s wait%s in backup.stage_dir for the store, the oldest %s "
	                        "%.1f h (max_ship_wait %g h): run dbcare backup --ship",
	                        w.n, w.n == 1 ? "" : "s", w.n == 1 ? "s" : "", w.oldest_path,
	                        w.oldest_hours, max_wait);
	if (!text)
		return DBC_ERROR;
	dbc_health_finding(ctx, fact, DBC_CHECK_WARNING, text);
	return DBC_OK;
}

int dbc_backup_waiting_metrics(dbc_ctx *ctx, const dbc_backup_hooks *env, dbc_health_metrics *m)
{
	dbc_backup_waiting w;
	if (dbc_backup_waiting_read(ctx, env, &w) != DBC_OK)
		return DBC_ERROR;
	m->waiting_known = w.staging;
	m->waiting = w.n;
	m->waiting_oldest_seconds = w.n ? w.oldest_hours * 3600 : 0;
	return DBC_OK;
}
