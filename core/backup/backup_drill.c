/*
 * backup_drill.c — dbbackup_drill: restore drills (docs/backups.md,
 * "Restore drills"). No backup is trusted until it has been restored: a
 * drill restores a catalogued backup (a full file, an incremental chain,
 * sealed links) into a scratch file through the same steps a restore
 * takes (unseal, materialize), runs the engine's checks on the restored
 * image (the storage check, the foreign-key check), compares every table's
 * recorded row count and content hash, and records the drill in the
 * bookkeeping table backup_drills, good or failed.
 *
 * On PostgreSQL a drill of a dump needs a scratch database, which only the
 * command can make (`dbcare backup drill`): there dbbackup_drill records
 * the result the command hands it; so does a drill of a SQLite
 * point-in-time log (method "log": the command restores the log's files,
 * `dbcare backup drill --log DIR`), the one result SQLite takes.
 * Invariants: a drill that ran is always recorded, failed or not (an
 * interrupted one is not a drill: nothing is recorded); the scratch files
 * are removed on every path.
 */
#include "backup/backup_private.h"
#include "base/clock.h"
#include "base/json.h"

#include <math.h>
#include <string.h>

/* One drill's outcome, as recorded. */
typedef struct drill {
	int64_t backup_id; /* 0: not catalogued (PostgreSQL: as given) */
	const char *path, *method;
	double duration_ms;
	int64_t tables, rows, mismatches;
	const char *detail; /* NULL: ok */
	int64_t id;         /* the drill's row */
} drill;

static int take_int(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	(void)ctx;
	if (ncol > 0 && c[0].type == DBC_INT)
		*(int64_t *)arg = c[0].i;
	return DBC_OK;
}

static int add_drill(dbc_ctx *ctx, void *arg)
{
	drill *d = arg;
	char *sql = dbc_printf(ctx,
	                       "INSERT INTO %sbackup_drills (backup_id, path, method, drilled_at,"
	                       " duration_ms, tables, rows_compared, mismatches, status, detail)"
	                       " VALUES (CAST($1 AS bigint), $2, $3, %s, CAST($4 AS double precision),"
	                       " CAST($5 AS bigint), CAST($6 AS bigint), CAST($7 AS bigint), $8,"
	                       " CAST($9 AS text)) RETURNING id",
	                       ctx->host->book_prefix, ctx->host->dialect->now);
	if (!sql)
		return DBC_ERROR;
	dbc_value p[9] = {
	    d->backup_id ? dbc_int(d->backup_id) : dbc_null(),
	    dbc_text(d->path),
	    dbc_text(d->method),
	    dbc_float(d->duration_ms),
	    dbc_int(d->tables),
	    dbc_int(d->rows),
	    dbc_int(d->mismatches),
	    dbc_text(d->detail ? "failed" : "ok"),
	    d->detail ? dbc_text(d->detail) : dbc_null(),
	};
	return ctx->host->query(ctx, sql, 9, p, take_int, &d->id);
}

static int drill_json(dbc_ctx *ctx, const drill *d, char **json)
{
	json_t *o = json_object();
	if (!o ||
	    !(dbc_json_set(o, "id", json_integer(d->id)) &&
	      dbc_json_set(o, "backup_id", d->backup_id ? json_integer(d->backup_id) : json_null()) &&
	      dbc_json_set(o, "path", dbc_json_str(d->path)) &&
	      dbc_json_set(o, "method", dbc_json_str(d->method)) &&
	      dbc_json_set(o, "duration_ms", json_real(d->duration_ms)) &&
	      dbc_json_set(o, "tables", json_integer(d->tables)) &&
	      dbc_json_set(o, "rows", json_integer(d->rows)) &&
	      dbc_json_set(o, "mismatches", json_integer(d->mismatches)) &&
	      dbc_json_set(o, "ok", json_boolean(d->detail == NULL)) &&
	      dbc_json_set(o, "detail", d->detail ? dbc_json_str(d->detail) : json_null()))) {
		json_decref(o);
		return dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	}
	*json = dbc_json_dump(ctx, o, DBC_JSON_REPORT);
	json_decref(o);
	return *json ? DBC_OK : DBC_ERROR;
}

static int record(dbc_ctx *ctx, drill *d, char **json)
{
	if (dbc_backup_catalog_in_savepoint(ctx, add_drill, d) != DBC_OK)
		return DBC_ERROR;
	return drill_json(ctx, d, json);
}

/* ------------------------------------------------------------- SQLite */

typedef struct restored {
	dbc_backup_image img;
	char *page_why; /* an incremental's page check */
	int64_t fk_bad; /* rows the foreign-key check names */
	char *fk_first; /* the first table it names */
	bool key_error; /* the key is missing or wrong */
} restored;

/* The name of path: what follows its last '/'. */
static const char *name_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* A copy's chain: each link taken from the copy's folder where a file of
 * the link's name is there (a store's copies, fetched beside it under
 * their own names), else where its row names it. The materialization
 * checks every link against its row's SHA-256, so a file of that name
 * that is another backup fails the drill, never stands in for it. */
static int chain_beside(dbc_ctx *ctx, const dbc_backup_hooks *env, const char *copy,
                        dbc_backup_chain_t *chain)
{
	size_t dir_len = (size_t)(name_of(copy) - copy);
	chain->published = dbc_alloc(ctx, (size_t)chain->n * sizeof(char *));
	if (!chain->published)
		return DBC_ERROR;
	for (int i = 0; i < chain->n; i++) {
		char *here = dbc_printf(ctx, "%.*s%s", (int)dir_len, copy, name_of(chain->path[i]));
		if (!here)
			return DBC_ERROR;
		chain->published[i] = NULL;
		if (i == chain->n - 1 || (env->exists && env->exists(ctx, here))) {
			chain->published[i] = chain->path[i];
			chain->path[i] = here;
		}
	}
	return DBC_OK;
}

/* Restores the backup of row (catalogued at path, its chain the one of
 * row chain_id; copy: a copy of it elsewhere, NULL: none; copy_sha256:
 * the SHA-256 the copy's own row holds it to, NULL: its chain's) into a
 * scratch file, the way a restore does, and reads it: the storage check
 * in full, the foreign-key check, an incremental's pages. The scratch
 * files are removed on every path. */
static int restore_and_read(dbc_ctx *ctx, const dbc_backup_hooks *env, int64_t chain_id,
                            const dbc_backup_catalog_row *row, const char *path, const char *copy,
                            const char *copy_sha256, restored *r)
{
	char *tmp = NULL, **scratch = NULL;
	int nscratch = 0;
	bool existed;
	dbc_backup_chain_t chain;
	if (dbc_backup_make_scratch(ctx, env, copy ? copy : path, &tmp) != DBC_OK)
		return DBC_ERROR;
	int rc = dbc_backup_chain(ctx, chain_id, &chain);
	if (rc == DBC_OK && copy)
		rc = chain_beside(ctx, env, copy, &chain);
	if (rc == DBC_OK && copy_sha256)
		chain.sha256[chain.n - 1] = (char *)copy_sha256;
	if (rc == DBC_OK)
		rc = dbc_backup_unseal_chain(ctx, env, &chain, &scratch, &nscratch, &r->key_error);
	if (rc == DBC_OK)
		rc = env->materialize(ctx, (const char *const *)chain.path,
		                      (const char *const *)chain.sha256, chain.n, tmp);
	dbc_backup_scratch_remove(ctx, env, scratch, nscratch);
	r->img.content_version = row->table ? row->content_version : 0;
	if (rc == DBC_OK)
		rc = env->inspect(ctx, tmp, true, 0, &r->img);
	if (rc == DBC_OK && row->base_id && env->check_pages)
		rc = env->check_pages(ctx, chain_id, tmp, &r->page_why);
	if (rc == DBC_OK && env->foreign_key_check)
		rc = env->foreign_key_check(ctx, tmp, &r->fk_bad, &r->fk_first);
	env->remove(ctx, tmp, &existed);
	return rc;
}

/* The first problem of a restored image (NULL: none); d's counts set. */
static const char *judge(dbc_ctx *ctx, const dbc_backup_catalog_row *row, const restored *r,
                         drill *d)
{
	d->tables = r->img.tables;
	d->rows = r->img.rows;
	if (row->table && r->img.table) {
		d->mismatches = dbc_backup_content_count(row->table, row->tables, r->img.table,
		                                         r->img.tables, &d->rows);
		char *why =
		    dbc_backup_content_mismatch(ctx, row->table, row->tables, r->img.table, r->img.tables);
		if (why)
			return why;
	}
	if (strcmp(r->img.check, "ok") != 0)
		return dbc_printf(ctx, "the restored copy fails the storage check: %s", r->img.check);
	if (r->page_why)
		return r->page_why;
	if (row->fingerprint && strcmp(row->fingerprint, r->img.fingerprint) != 0)
		return "the restored copy's schema fingerprint differs from the backup's record";
	if (!row->table && row->rows_digest && strcmp(row->rows_digest, r->img.rows_digest) != 0) {
		d->mismatches = d->mismatches ? d->mismatches : 1;
		return "the restored copy's row counts differ from the backup's record";
	}
	if (r->fk_bad)
		return dbc_printf(ctx,
		                  "the restored copy has %lld row(s) whose foreign key references no row "
		                  "(first in table %s)",
		                  (long long)r->fk_bad, r->fk_first ? r->fk_first : "?");
	return NULL;
}

static int take_text(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	if (ncol > 0 && c[0].type == DBC_TEXT && !(*(char **)arg = dbc_strdup(ctx, c[0].s)))
		return DBC_ERROR;
	return DBC_OK;
}

/* The newest catalogued backup file this module made. */
static int newest_path(dbc_ctx *ctx, const dbc_backup_hooks *env, char **path)
{
	bool exists;
	*path = NULL;
	if (dbc_backup_catalog_present(ctx, env, &exists) != DBC_OK)
		return DBC_ERROR;
	char *sql = exists ? dbc_printf(ctx,
	                                "SELECT path FROM %sbackups WHERE kind = '" DBC_BACKUP_KIND_FILE
	                                "' ORDER BY id DESC LIMIT 1",
	                                ctx->host->book_prefix)
	                   : NULL;
	if (exists && (!sql || ctx->host->query(ctx, sql, 0, NULL, take_text, path) != DBC_OK))
		return DBC_ERROR;
	if (!*path)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
		                 "no catalogued backup to drill (dbbackup_create makes one)");
	return DBC_OK;
}

/* The newest catalogued backup file named as copy is (its name, in any
 * folder): the row a copy elsewhere (a store's, fetched) is drilled
 * against; *path NULL when none. */
static int row_path_named(dbc_ctx *ctx, const dbc_backup_hooks *env, const char *copy, char **path)
{
	bool exists;
	*path = NULL;
	if (dbc_backup_catalog_present(ctx, env, &exists) != DBC_OK)
		return DBC_ERROR;
	if (!exists)
		return DBC_OK;
	const char *name = name_of(copy);
	/* the name's last '/' and the name itself: no LIKE pattern, so a '%'
	 * or '_' in it matches only itself */
	char *sql = dbc_printf(ctx,
	                       "SELECT path FROM %sbackups WHERE kind = '" DBC_BACKUP_KIND_FILE
	                       "' AND substr(path, length(path) - length($1)) = '/' || $1"
	                       " ORDER BY id DESC LIMIT 1",
	                       ctx->host->book_prefix);
	dbc_value p = dbc_text(name);
	return sql ? ctx->host->query(ctx, sql, 1, &p, take_text, path) : DBC_ERROR;
}

/* The drill of row, recorded under recorded_path: restored from its chain
 * (row chain_id's, the last link at read, a copy of it when copy is not
 * NULL, held to copy_sha256 when given), judged against row. */
static int run_drill(dbc_ctx *ctx, const dbc_backup_hooks *env, const dbc_backup_catalog_row *row,
                     int64_t chain_id, const char *recorded_path, const char *read,
                     const char *copy, const char *copy_sha256, char **json)
{
	bool sealed = env->is_sealed && env->is_sealed(ctx, copy ? copy : read);
	drill d = {.backup_id = row->id,
	           .path = recorded_path,
	           .method = dbc_printf(ctx, "%s%s", row->base_id ? "incremental" : "full",
	                                sealed ? "+sealed" : "")};
	restored r;
	memset(&r, 0, sizeof r);
	double start = dbc_monotonic_ms();
	int rc = restore_and_read(ctx, env, chain_id, row, read, copy, copy_sha256, &r);
	d.duration_ms = dbc_monotonic_ms() - start;
	if (rc != DBC_OK) {
		/* interrupted: no drill took place */
		if (strcmp(ctx->sqlstate, DBC_SQLSTATE_CANCELED) == 0)
			return DBC_ERROR;
		d.detail = dbc_printf(ctx, "%s: %s",
		                      r.key_error ? "the backup could not be opened"
		                                  : "the backup does not restore",
		                      ctx->message ? ctx->message : "unknown error");
		dbc_error_clear(ctx);
		d.mismatches = 0;
	} else {
		d.detail = judge(ctx, row, &r, &d);
	}
	if (ctx->failed)
		return DBC_ERROR;
	return record(ctx, &d, json);
}

/* The drill of the backup at given (NULL: the newest), recorded under
 * recorded_as (NULL: its path). */
static int drill_file(dbc_ctx *ctx, const dbc_backup_hooks *env, const char *given,
                      const char *recorded_as, char **json)
{
	char *path = NULL, *resolved = NULL;
	if (!given && newest_path(ctx, env, &path) != DBC_OK)
		return DBC_ERROR;
	if (given && env->canonical && env->canonical(ctx, given, &resolved) != DBC_OK) {
		dbc_error_clear(ctx);
		resolved = NULL;
	}
	path = path ? path : resolved ? resolved : (char *)given;
	dbc_backup_catalog_row row;
	bool catalogued;
	if (dbc_backup_catalog_find(ctx, env, path, &row, &catalogued) != DBC_OK)
		return DBC_ERROR;
	/* a copy of a catalogued backup elsewhere (a store's, fetched): drilled
	 * against the row of the backup of its name, each link checked
	 * against that row's SHA-256 */
	char *named = NULL;
	const char *copy = NULL;
	if (!catalogued && given && row_path_named(ctx, env, given, &named) != DBC_OK)
		return DBC_ERROR;
	if (named && dbc_backup_catalog_find(ctx, env, named, &row, &catalogued) != DBC_OK)
		return DBC_ERROR;
	if (named && catalogued)
		copy = path;
	if (!catalogued)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "%s is no catalogued backup: a drill compares a restore with the "
		                 "backup's record (dbbackup_list lists them)",
		                 given);
	return run_drill(ctx, env, &row, row.id, recorded_as ? recorded_as : path, named ? named : path,
	                 copy, NULL, json);
}

/* The drill of a store's copy (url, a row of kind file_copy) whose bytes
 * were fetched to fetched (its chain's links beside it): held to the
 * copy's own row (its SHA-256, content and fingerprint) and recorded
 * against it, under url. Its chain is the one of the backup of its name
 * (the newest file row whose file has that name), each link held to that
 * link's row; with no such row, the copy is a full backup alone. */
static int drill_copy(dbc_ctx *ctx, const dbc_backup_hooks *env, const char *fetched,
                      const char *url, char **json)
{
	dbc_backup_catalog_row copy, local;
	bool found = false, local_found = false;
	char *named = NULL;
	if (dbc_backup_catalog_find_copy(ctx, env, url, &copy, &found) != DBC_OK)
		return DBC_ERROR;
	/* an object no copy's row names (put there by hand): drilled against
	 * the row of the backup of its name, as a copy at a path is */
	if (!found)
		return drill_file(ctx, env, fetched, url, json);
	if (row_path_named(ctx, env, url, &named) != DBC_OK ||
	    (named && dbc_backup_catalog_find(ctx, env, named, &local, &local_found) != DBC_OK))
		return DBC_ERROR;
	/* the copy's row records no chain: its link to a base is its backup's */
	copy.base_id = local_found ? local.base_id : 0;
	if (!copy.file_sha256)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
		                 "the row of %s records no SHA-256 to hold the copy to", url);
	return run_drill(ctx, env, &copy, local_found ? local.id : copy.id, url,
	                 local_found ? named : fetched, fetched, copy.file_sha256, json);
}

/* --------------------------------------------------------- PostgreSQL */

static bool count_of(json_t *o, const char *key, int64_t *out)
{
	json_t *v = json_object_get(o, key);
	*out = json_is_integer(v) ? (int64_t)json_integer_value(v) : -1;
	return *out >= 0;
}

/* The result of a drill `dbcare backup drill` ran, as it hands it over:
 * {"backup_id": N or null, "method": M, "duration_ms": D, "tables": N,
 * "rows": N, "mismatches": N, "ok": B, "detail": T or null}. */
static int record_result(dbc_ctx *ctx, const char *path, const char *result, bool log_only,
                         char **json)
{
	json_t *o = dbc_json_parse(ctx, result, "result");
	if (!o)
		return DBC_ERROR;
	drill d = {.path = path};
	json_t *ok = json_object_get(o, "ok"), *ms = json_object_get(o, "duration_ms");
	json_t *method = json_object_get(o, "method"), *detail = json_object_get(o, "detail");
	json_t *id = json_object_get(o, "backup_id");
	bool good = json_is_object(o) && json_is_boolean(ok) && json_is_number(ms) &&
	            json_number_value(ms) >= 0 && isfinite(json_number_value(ms)) &&
	            json_is_string(method) && count_of(o, "tables", &d.tables) &&
	            count_of(o, "rows", &d.rows) && count_of(o, "mismatches", &d.mismatches) &&
	            (json_is_null(id) || !id || (json_is_integer(id) && json_integer_value(id) > 0)) &&
	            (json_is_true(ok) ? !detail || json_is_null(detail) : json_is_string(detail));
	if (good) {
		d.backup_id = json_is_integer(id) ? (int64_t)json_integer_value(id) : 0;
		d.duration_ms = json_number_value(ms);
		d.method = dbc_strdup(ctx, json_string_value(method));
		d.detail = json_is_string(detail) ? dbc_strdup(ctx, json_string_value(detail)) : NULL;
	}
	json_decref(o);
	if (good && log_only && strcmp(d.method, "log") != 0)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "dbbackup_drill: here dbbackup_drill(path) runs a backup's drill; a "
		                 "result is taken only from a point-in-time log's drill (method \"log\", "
		                 "`dbcare backup drill --log DIR`)");
	if (!good)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "dbbackup_drill: result must be a drill's outcome as `dbcare backup "
		                 "drill` writes it (ok, method, duration_ms, tables, rows, mismatches, "
		                 "and detail when not ok)");
	return ctx->failed ? DBC_ERROR : record(ctx, &d, json);
}

int dbc_backup_drill(dbc_ctx *ctx, const dbc_backup_hooks *env, const char *path,
                     const char *result, const char *url, char **json)
{
	*json = NULL;
	if (url && (result || !path))
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "dbbackup_drill: url names the store's copy whose bytes were fetched to "
		                 "path (`dbcare backup drill URL` fetches them), and takes no result");
	if (url && !(env->materialize && env->inspect))
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "dbbackup_drill: here the command drills a store's copy and records it "
		                 "with dbbackup_drill(url, result)");
	if (env->materialize && env->inspect) {
		if (url)
			return drill_copy(ctx, env, path, url, json);
		if (result && path)
			return record_result(ctx, path, result, true, json);
		if (result)
			return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
			                 "dbbackup_drill: result is for PostgreSQL, where the command runs "
			                 "the drill, and for a point-in-time log's drill (with its path); "
			                 "here dbbackup_drill(path) runs it");
		return drill_file(ctx, env, path, NULL, json);
	}
	if (!result || !path) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		          "dbbackup_drill: a drill of a PostgreSQL backup restores it into a scratch "
		          "database, which only the command can make");
		dbc_error_hint(ctx, "Run `dbcare backup drill`: it restores the newest backup, compares "
		                    "it and records the drill here with dbbackup_drill(path, result).");
		return DBC_ERROR;
	}
	return record_result(ctx, path, result, false, json);
}
