/*
 * backup_prune.c — dbbackup_prune: retention over the catalog. Only files
 * the catalog records as this module's backups are ever deleted (never
 * another file, even one in the same directory), the newest verified backup
 * is always kept, so is every staged backup still waiting for its upload
 * (backup_waiting.c: its only copy is here), and a dry run (the default)
 * only says what would go.
 */
#include "backup/backup_private.h"

#include "base/json.h"

#include <string.h>

typedef struct entry {
	int64_t id;
	char *path;
	char *fingerprint;
	char *created_at;
	bool verified;
	double age_hours;
	int64_t base_id; /* an incremental's base (0: a full backup) */
} entry;

typedef struct entries {
	entry *items;
	int n, cap;
} entries;

static int take_entry(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	entries *l = arg;
	if (ncol != 7)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "unexpected backup catalog row");
	if (dbc_grow(ctx, &l->items, l->n, &l->cap, sizeof(entry), 16) != DBC_OK)
		return DBC_ERROR;
	entry *e = &l->items[l->n++];
	e->id = c[0].i;
	e->path = dbc_strdup(ctx, c[1].s);
	e->created_at = dbc_strdup(ctx, c[2].type == DBC_TEXT ? c[2].s : "");
	e->verified = c[3].type == DBC_TEXT && strcmp(c[3].s, "verified") == 0;
	e->age_hours = c[4].type == DBC_FLOAT ? c[4].f : c[4].type == DBC_INT ? (double)c[4].i : 0;
	e->fingerprint = c[5].type == DBC_TEXT ? dbc_strdup(ctx, c[5].s) : NULL;
	e->base_id = c[6].type == DBC_INT ? c[6].i : 0;
	return DBC_OK;
}

/* The module's own backup files, newest first. */
static int read_entries(dbc_ctx *ctx, const dbc_backup_hooks *env, entries *out)
{
	bool exists;
	memset(out, 0, sizeof *out);
	if (dbc_backup_catalog_present(ctx, env, &exists) != DBC_OK)
		return DBC_ERROR;
	if (!exists)
		return DBC_OK;
	char *iso = dbc_printf(ctx, ctx->host->dialect->time_iso, "created_at");
	char *hours = dbc_printf(ctx, ctx->host->dialect->time_hours_since, "created_at");
	char *sql =
	    iso && hours
	        ? dbc_printf(ctx,
	                     "SELECT id, path, %s, status, %s, fingerprint, %s FROM %sbackups"
	                     " WHERE kind = '" DBC_BACKUP_KIND_FILE
	                     "' ORDER BY created_at DESC, id DESC",
	                     iso, hours, env->copy_changed ? "base_id" : "NULL", ctx->host->book_prefix)
	        : NULL;
	return sql ? ctx->host->query(ctx, sql, 0, NULL, take_entry, out) : DBC_ERROR;
}

/* Which of the chosen entries' files are not what the catalog recorded
 * (another file now has the name, or the row names a file it never made):
 * they and their rows are kept, and the answer lists them. */
static int refuse_strangers(dbc_ctx *ctx, const dbc_backup_hooks *env, const entries *l, bool *drop,
                            bool *refused)
{
	for (int i = 0; i < l->n; i++) {
		bool is = false, missing = false;
		if (!drop[i])
			continue;
		if (env->is_backup(ctx, l->items[i].path, l->items[i].fingerprint, &is, &missing) != DBC_OK)
			return DBC_ERROR;
		if (!is && !missing) {
			drop[i] = false;
			refused[i] = true;
		}
	}
	return DBC_OK;
}

/* The rows of the copies of entry e in the store copies names (its
 * objects, which the caller deleted first): kind file_copy, path copies +
 * e's file name exactly. */
static int delete_copies(dbc_ctx *ctx, const entry *e, const char *copies)
{
	const char *slash = strrchr(e->path, '/');
	char *sql = dbc_printf(
	    ctx, "DELETE FROM %sbackups WHERE kind = '" DBC_BACKUP_KIND_FILE_COPY "' AND path = $1",
	    ctx->host->book_prefix);
	char *url = dbc_printf(ctx, "%s%s", copies, slash ? slash + 1 : e->path);
	dbc_value p = dbc_text(url);
	return sql && url ? ctx->host->query(ctx, sql, 1, &p, NULL, NULL) : DBC_ERROR;
}

/* Deletes the rows of the chosen entries (and of their copies in the store
 * copies names, which the caller deleted before: NULL, none), then their
 * files; a file that cannot be deleted rolls the rows back (a file that is
 * gone already counts as deleted). */
static int delete_entries(dbc_ctx *ctx, const dbc_backup_hooks *env, const entries *l,
                          const bool *drop, const char *copies)
{
	int level = ctx->host->savepoint(ctx);
	if (level < 0)
		return DBC_ERROR;
	char *sql = dbc_printf(ctx, "DELETE FROM %sbackups WHERE id = $1", ctx->host->book_prefix);
	int rc = sql ? DBC_OK : DBC_ERROR;
	for (int i = 0; i < l->n && rc == DBC_OK; i++) {
		dbc_value p = dbc_int(l->items[i].id);
		if (drop[i])
			rc = ctx->host->query(ctx, sql, 1, &p, NULL, NULL);
		if (drop[i] && copies && rc == DBC_OK)
			rc = delete_copies(ctx, &l->items[i], copies);
	}
	for (int i = 0; i < l->n && rc == DBC_OK; i++) {
		bool existed;
		if (drop[i])
			rc = env->remove(ctx, l->items[i].path, &existed);
	}
	if (rc != DBC_OK) {
		ctx->host->rollback(ctx, level);
		return DBC_ERROR;
	}
	return ctx->host->release(ctx, level);
}

int dbc_backup_prune(dbc_ctx *ctx, const dbc_backup_hooks *env, int64_t keep_count,
                     int64_t keep_days, bool dry_run, const char *copies, char **json)
{
	if (!env->remove)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "this engine deletes no backup files");
	if (keep_count < 0 && keep_days < 0) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "give keep_count, keep_days or both");
		dbc_error_hint(ctx, "SELECT dbbackup_prune(7) keeps the newest 7; "
		                    "dbbackup_prune(NULL, 30) keeps 30 days.");
		return DBC_ERROR;
	}
	entries l;
	if (read_entries(ctx, env, &l) != DBC_OK)
		return DBC_ERROR;
	bool *drop = dbc_zalloc(ctx, sizeof(bool) * (size_t)(l.n ? l.n : 1));
	if (!drop)
		return DBC_ERROR;
	bool newest_verified_seen = false;
	int ndrop = 0;
	for (int i = 0; i < l.n; i++) {
		const entry *e = &l.items[i];
		bool keep = (keep_count >= 0 && i < keep_count) ||
		            (keep_days >= 0 && e->age_hours < (double)keep_days * 24.0);
		if (e->verified && !newest_verified_seen) {
			newest_verified_seen = true;
			keep = true; /* the one a restore would use */
		}
		drop[i] = !keep;
		ndrop += !keep;
	}
	/* a staged backup not yet shipped: kept, and the answer says so
	 * (before the chains: a waiting incremental keeps its base too) */
	dbc_backup_waiting w;
	bool *waiting = dbc_zalloc(ctx, sizeof(bool) * (size_t)(l.n ? l.n : 1));
	if (!waiting || dbc_backup_waiting_read(ctx, env, &w) != DBC_OK)
		return DBC_ERROR;
	for (int i = 0; i < l.n; i++)
		if (drop[i] && dbc_backup_waiting_has(&w, l.items[i].id))
			drop[i] = false, waiting[i] = true;
	/* a kept incremental keeps the backups it builds on: its chain is what
	 * restores it (a base is older, later in the list: one pass) */
	for (int i = 0; i < l.n; i++)
		for (int k = i + 1; !drop[i] && l.items[i].base_id && k < l.n; k++)
			if (l.items[k].id == l.items[i].base_id)
				drop[k] = false;
	bool *refused = dbc_zalloc(ctx, sizeof(bool) * (size_t)(l.n ? l.n : 1));
	if (!refused || refuse_strangers(ctx, env, &l, drop, refused) != DBC_OK)
		return DBC_ERROR;
	ndrop = 0;
	for (int i = 0; i < l.n; i++)
		ndrop += drop[i];
	/* read before the deletion commits: nothing that can fail (an
	 * interrupt) comes after it, so a call that fails deleted nothing */
	int64_t stale_ms = 0;
	bool sweep = !dry_run && env->sweep_temps;
	if (sweep && dbc_backup_stale_temp_ms(ctx, &stale_ms) != DBC_OK)
		return DBC_ERROR;
	if (!dry_run && ndrop > 0 && delete_entries(ctx, env, &l, drop, copies) != DBC_OK)
		return DBC_ERROR;
	/* the leftovers of killed backups beside the catalogued ones */
	for (int i = 0; sweep && i < l.n; i++)
		env->sweep_temps(ctx, l.items[i].path, stale_ms);
	if (ctx->failed)
		return DBC_ERROR;
	json_t *o = json_object(), *list = json_array(), *strangers = json_array(),
	       *unshipped = json_array();
	bool ok = o && list && strangers && unshipped;
	for (int i = 0; i < l.n && ok; i++) {
		if (!drop[i] && !refused[i] && !waiting[i])
			continue;
		json_t *d = json_object();
		ok = d && dbc_json_set(d, "id", json_integer(l.items[i].id)) &&
		     dbc_json_set(d, "path", dbc_json_str(l.items[i].path)) &&
		     dbc_json_set(d, "created_at", dbc_json_str(l.items[i].created_at)) &&
		     json_array_append_new(drop[i]      ? list
		                           : refused[i] ? strangers
		                                        : unshipped,
		                           d) == 0;
	}
	ok = ok && dbc_json_set(o, "dry_run", json_boolean(dry_run)) &&
	     dbc_json_set(o, dry_run ? "would_delete" : "deleted", json_incref(list)) &&
	     dbc_json_set(o, "kept", json_integer(l.n - ndrop)) &&
	     (json_array_size(strangers) == 0 ||
	      dbc_json_set(o, "not_backups", json_incref(strangers))) &&
	     (json_array_size(unshipped) == 0 ||
	      dbc_json_set(o, "kept_unshipped", json_incref(unshipped)));
	json_decref(list);
	json_decref(strangers);
	json_decref(unshipped);
	if (!ok) {
		json_decref(o);
		return dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	}
	*json = dbc_json_dump(ctx, o, DBC_JSON_REPORT);
	json_decref(o);
	return *json ? DBC_OK : DBC_ERROR;
}
