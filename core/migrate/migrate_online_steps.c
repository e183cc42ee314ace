/*
 * migrate_online_steps.c — what `dbcare migrate --online` records of a run
 * (docs/migrations.md, "Online"): the steps done so far
 * (@migrations_online_steps; on SQLite a part's table, made by the first
 * step recorded), so that a run killed part way is
 * resumed after them or undone by `dbcare rollback`. The run's started
 * event is the history's (dbmigrate_step_begin kind 'online'); a dead one
 * is not a failure but a run to resume (dbc_migrate_failed_resumable).
 */
#include "migrate/migrate.h"
#include "migrate/migrate_model.h"
#include "migrate/migrate_store.h"
#include "migrate/migrate_version.h"
#include "base/json.h"

#include <string.h>

bool dbc_migrate_online_steps_kept(dbc_ctx *ctx)
{
	const dbc_host *h = ctx->host;
	if (!h->dialect->online_steps)
		return false;
	if (!h->book_has_column)
		return true;
	char *t = dbc_printf(ctx, "%smigrations_online_steps", h->book_name_prefix);
	return t && h->book_has_column(ctx, t, "step");
}

int dbc_migrate_online_record(dbc_ctx *ctx, const char *version, int64_t step,
                              const char *statement)
{
	char *canon = NULL;
	if (dbc_version_canonical(ctx, version, "version", &canon) != DBC_OK ||
	    dbc_book_ensure_part(ctx, "online") != DBC_OK)
		return DBC_ERROR;
	dbc_value p[3] = {dbc_text(canon), dbc_int(step), dbc_text(statement)};
	return dbc_migrate_query(ctx,
	                         "INSERT INTO @migrations_online_steps (version, step, statement) "
	                         "VALUES ($1, $2, $3) ON CONFLICT (version, step) DO NOTHING",
	                         3, p, NULL, NULL);
}

static json_t *version_object(json_t *all, const char *version)
{
	json_t *v = json_object_get(all, version);
	if (!v) {
		v = json_object();
		dbc_json_set(all, version, v);
	}
	return v;
}

static int take_step(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	(void)ctx;
	if (ncol >= 3 && c[0].s && c[1].s && c[2].s)
		dbc_json_set(version_object(arg, c[0].s), c[1].s, dbc_json_str(c[2].s));
	return DBC_OK;
}

int dbc_migrate_online_done(dbc_ctx *ctx, const char *version, char **json)
{
	dbc_migrate_set set;
	char *canon = NULL;
	if (version && dbc_version_canonical(ctx, version, "version", &canon) != DBC_OK)
		return DBC_ERROR;
	json_t *all = json_object();
	dbc_value p = dbc_text(canon);
	int rc = !dbc_migrate_online_steps_kept(ctx)
	             ? DBC_OK
	             : dbc_migrate_query(ctx,
	                                 canon ? "SELECT version, CAST(step AS text), statement "
	                                         "FROM @migrations_online_steps WHERE version = $1"
	                                       : "SELECT version, CAST(step AS text), statement "
	                                         "FROM @migrations_online_steps",
	                                 canon ? 1 : 0, &p, take_step, all);
	if (rc == DBC_OK)
		rc = dbc_migrate_read(ctx, DBC_LOAD_META, &set);
	for (int i = 0; rc == DBC_OK && i < set.nfailed; i++) {
		const dbc_failed *f = &set.failed[i];
		if (dbc_migrate_failed_resumable(f) && (!canon || strcmp(f->version, canon) == 0))
			version_object(all, f->version);
	}
	*json = rc == DBC_OK ? dbc_json_dump(ctx, all, DBC_JSON_CANONICAL) : NULL;
	json_decref(all);
	return rc;
}

int dbc_migrate_online_forget(dbc_ctx *ctx, const dbc_migrate_hooks *env, const char *version)
{
	dbc_migrate_frame f;
	dbc_migrate_set set;
	char *canon = NULL;
	if (dbc_version_canonical(ctx, version, "version", &canon) != DBC_OK)
		return DBC_ERROR;
	int rc = dbc_migrate_frame_begin(ctx, env, &f, true);
	if (rc == DBC_OK)
		rc = dbc_migrate_read(ctx, DBC_LOAD_META, &set);
	for (int i = 0; rc == DBC_OK && i < set.nfailed; i++) {
		const dbc_failed *e = &set.failed[i];
		if (!e->version || strcmp(e->version, canon) != 0)
			continue;
		if (e->live) {
			dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
			          "migration %s runs now in another session: wait for it to end", canon);
			rc = DBC_ERROR;
		} else if (dbc_migrate_failed_resumable(e)) {
			dbc_value id = dbc_int(e->id);
			rc = dbc_migrate_query(ctx, "DELETE FROM @migrations_history WHERE id = $1", 1, &id,
			                       NULL, NULL);
		}
	}
	dbc_value p = dbc_text(canon);
	if (rc == DBC_OK && dbc_migrate_online_steps_kept(ctx))
		rc = dbc_migrate_query(ctx, "DELETE FROM @migrations_online_steps WHERE version = $1", 1,
		                       &p, NULL, NULL);
	return dbc_migrate_frame_end(ctx, &f, rc);
}
