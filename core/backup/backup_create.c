/*
 * backup_create.c — dbbackup_create and dbbackup_verify: a copy is
 * "verified" when it opens, its storage check is ok, its schema fingerprint
 * equals the source's at the copy's moment and so does every table's row
 * count (a copy can pass integrity_check and still miss rows). The copy is
 * made under a temporary name and gets its final name only once verified:
 * a failure or a crash never leaves a half file, or an unverified one,
 * under the name a restore would pick.
 */
#include "backup/backup_private.h"

#include "base/clock.h"
#include "base/json.h"
#include "container/container.h"
#include "settings/settings.h"

#include <string.h>
#include <time.h>

/* backup.dir + "<database name>-<UTC time>.db"; the time has milliseconds so
 * two backups a second apart do not collide. */
static int default_path(dbc_ctx *ctx, const dbc_backup_hooks *env, char **out)
{
	char *dir = NULL, *name = NULL;
	if (dbc_setting_get(ctx, "backup.dir", &dir) != DBC_OK ||
	    env->database_name(ctx, &name) != DBC_OK)
		return DBC_ERROR;
	if (!dir[0]) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "no backup path given and backup.dir is not set");
		dbc_error_hint(ctx, "SELECT dbcare_set('backup.dir', '/path/to/backups'), or pass a path.");
		return DBC_ERROR;
	}
	struct timespec ts;
	struct tm tm;
	char stamp[40];
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%S", &tm);
	size_t n = strlen(dir);
	*out = dbc_printf(ctx, "%s%s%s-%s%03ldZ.db", dir, n && dir[n - 1] == '/' ? "" : "/", name,
	                  stamp, ts.tv_nsec / 1000000);
	return *out ? DBC_OK : DBC_ERROR;
}

/* Why image does not match source (NULL: it does). source is the database
 * at the copy's moment, or a catalog row. Each table's rows and content
 * hash, when both sides have them, name the table that differs: a copy can
 * pass the storage check and miss one row, or hold a changed value. A
 * row's file SHA-256, when recorded, catches what the rest cannot see
 * where no content hashes were recorded: a changed value, another database
 * with the same schema and counts. */
static const char *mismatch(dbc_ctx *ctx, const dbc_backup_image *source,
                            const dbc_backup_image *copy)
{
	if (strcmp(copy->check, "ok") != 0)
		return "its storage check failed";
	if (source && strcmp(source->fingerprint, copy->fingerprint) != 0)
		return "its schema fingerprint differs from the source's";
	if (source && source->table && copy->table && source->content_version != copy->content_version)
		return "its content was hashed with another row digest than its record's";
	if (source && source->table && copy->table) {
		char *why = dbc_backup_content_mismatch(ctx, source->table, source->tables, copy->table,
		                                        copy->tables);
		if (why || ctx->failed)
			return why ? why : "out of memory";
	}
	if (source && strcmp(source->rows_digest, copy->rows_digest) != 0)
		return "its row counts differ from the source's";
	if (source && source->file_sha256 &&
	    (!copy->file_sha256 || strcmp(source->file_sha256, copy->file_sha256) != 0))
		return "its content differs from the copy that was verified (the file's SHA-256)";
	return NULL;
}

static json_t *image_json(const char *path, const dbc_backup_image *img, double ms, bool verified)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	bool ok = dbc_json_set(o, "path", dbc_json_str(path)) &&
	          dbc_json_set(o, "bytes", json_integer(img->bytes)) &&
	          dbc_json_set(o, "pages", json_integer(img->pages)) &&
	          dbc_json_set(o, "tables", json_integer(img->tables)) &&
	          dbc_json_set(o, "rows", json_integer(img->rows)) &&
	          dbc_json_set(o, "fingerprint", dbc_json_str(img->fingerprint)) &&
	          dbc_json_set(o, "rows_digest", dbc_json_str(img->rows_digest)) &&
	          dbc_json_set(o, "check", dbc_json_str(img->check)) &&
	          dbc_json_set(o, "duration_ms", json_real(ms)) &&
	          dbc_json_set(o, "verified", json_boolean(verified));
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static char *dump(dbc_ctx *ctx, json_t *o)
{
	if (!o) {
		dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
		return NULL;
	}
	char *text = dbc_json_dump(ctx, o, DBC_JSON_REPORT);
	json_decref(o);
	return text;
}

static int full_check(dbc_ctx *ctx, bool *full)
{
	char *mode;
	if (dbc_setting_get(ctx, "backup.verify", &mode) != DBC_OK)
		return DBC_ERROR;
	*full = strcmp(mode, "full") == 0;
	return DBC_OK;
}

/* How long a temporary copy must have gone unwritten before it counts as
 * a killed backup's leftover: a live one is written at least once per
 * backup.timeout_ms (the copy, then its verification, are bounded by it),
 * so twice that and a minute more. */
int dbc_backup_stale_temp_ms(dbc_ctx *ctx, int64_t *ms)
{
	int64_t timeout_ms;
	if (dbc_setting_get_int(ctx, "backup.timeout_ms", &timeout_ms) != DBC_OK)
		return DBC_ERROR;
	*ms = 2 * timeout_ms + 60000;
	return DBC_OK;
}

/* Why an incremental's pages over its base would not be a backup a
 * scheduled job wants (NULL: they would): with no page of the image equal
 * to the base's, the page deltas mean nothing (another page size, which a
 * chain cannot change, a VACUUM that moved every page, another file in
 * the database's place), the file already holds every page, and a chain
 * built on it would depend on a base it shares nothing with. A full copy
 * then costs the same and starts a chain that restores alone. */
static const char *deltas_meaningless(dbc_ctx *ctx, const dbc_backup_base *base,
                                      const dbc_backup_image *copy)
{
	if (copy->pages <= 0 || copy->pages_kept > 0)
		return NULL;
	return dbc_printf(ctx,
	                  "no page of the database (%lld pages of %lld bytes) is one of its base "
	                  "backup's (%s): a page size change, a VACUUM or another file rewrote every "
	                  "page, so it was taken as a full backup, which begins a new chain",
	                  (long long)copy->pages, (long long)(copy->bytes / copy->pages), base->path);
}

/* Why an incremental must not build on base (NULL: it may): a base that
 * does not carry this database's proof of origin is another database's
 * backup (this file a copy of that one, catalog and all) or this one's
 * from before it moved; that database's retention may delete it, and
 * this chain would then restore no more. A relative row (recorded before
 * paths were resolved) names no one file: left as it was. */
static const char *base_foreign(dbc_ctx *ctx, const dbc_backup_hooks *env,
                                const dbc_backup_base *base)
{
	bool is = false, missing = false;
	if (!env->is_backup || !base->fingerprint || base->path[0] != '/')
		return NULL;
	if (env->is_backup(ctx, base->path, base->fingerprint, &is, &missing) != DBC_OK || is)
		return NULL; /* an error already set wins */
	return dbc_printf(ctx,
	                  "its base backup (%s) carries no proof that it was made from this "
	                  "database (another database's backup, or this one's from before it "
	                  "moved), so it was taken as a full backup, which begins a new chain",
	                  base->path);
}

/* Copy and verify under tmp; on success the file is published as path.
 * With a base, only the pages changed since it are written (copy_changed
 * reads them back against their hashes); the logical verification of the
 * image the chain gives is dbbackup_verify's. */
static int copy_verified(dbc_ctx *ctx, const dbc_backup_hooks *env, const char *tmp,
                         const char *path, const dbc_backup_base *base, unsigned seal,
                         dbc_backup_image *copy)
{
	int64_t timeout_ms;
	bool full;
	dbc_backup_image source;
	memset(&source, 0, sizeof source);
	if (dbc_setting_get_int(ctx, "backup.timeout_ms", &timeout_ms) != DBC_OK ||
	    full_check(ctx, &full) != DBC_OK)
		return DBC_ERROR;
	const char *foreign = base ? base_foreign(ctx, env, base) : NULL;
	if (ctx->failed)
		return DBC_ERROR;
	if (foreign) {
		copy->full_because = foreign;
		base = NULL;
	}
	if (base) {
		if (env->copy_changed(ctx, tmp, path, timeout_ms, base, copy) != DBC_OK)
			return DBC_ERROR;
		const char *why = deltas_meaningless(ctx, base, copy);
		if (!why) {
			copy->base_id = base->id;
			return dbc_backup_publish(ctx, env, tmp, path, seal, copy);
		}
		/* taken again as a full copy (into the same temporary file) */
		memset(copy, 0, sizeof *copy);
		copy->full_because = why;
	}
	/* one budget for the copy and its verification: the whole call is
	 * bounded by backup.timeout_ms */
	double deadline = dbc_monotonic_ms() + (double)timeout_ms;
	copy->hash_pages = env->copy_changed != NULL; /* the next incremental's base */
	if (env->copy(ctx, tmp, path, timeout_ms, &source) != DBC_OK ||
	    env->inspect(ctx, tmp, full, deadline, copy) != DBC_OK)
		return DBC_ERROR;
	if (source.content_from_copy) {
		source.table = copy->table;
		source.tables = copy->tables;
		source.rows_digest = copy->rows_digest;
		source.content_version = copy->content_version;
	}
	const char *why = mismatch(ctx, &source, copy);
	if (why) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "the backup copy failed verification: %s", why);
		dbc_error_detail(ctx, "check: %s; source fingerprint %s, copy %s", copy->check,
		                 source.fingerprint, copy->fingerprint);
		return DBC_ERROR;
	}
	return dbc_backup_publish(ctx, env, tmp, path, seal, copy);
}

int dbc_backup_create(dbc_ctx *ctx, const dbc_backup_hooks *env, const char *path, char **json,
                      int64_t *id)
{
	return dbc_backup_create_as(ctx, env, path, "full", json, id);
}

int dbc_backup_create_as(dbc_ctx *ctx, const dbc_backup_hooks *env, const char *path,
                         const char *method, char **json, int64_t *id)
{
	if (!env->copy)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "this engine makes no backup files");
	bool incremental = false;
	unsigned seal = 0;
	if (method && dbc_backup_parse_method(ctx, method, &incremental, &seal) != DBC_OK)
		return DBC_ERROR;
	if (seal && !env->seal)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "this engine makes no sealed backups");
	if (incremental && !env->copy_changed)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "this engine makes no incremental backups");
	dbc_backup_base base;
	if (incremental && dbc_backup_find_base(ctx, env, &base) != DBC_OK)
		return DBC_ERROR;
	if (!path && default_path(ctx, env, (char **)&path) != DBC_OK)
		return DBC_ERROR;
	if (!path[0])
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "the backup path is empty");
	if (env->check_target(ctx, path) != DBC_OK)
		return DBC_ERROR;
	/* recorded resolved: prune, verify and list from any directory mean
	 * this file */
	if (env->canonical && env->canonical(ctx, path, (char **)&path) != DBC_OK)
		return DBC_ERROR;
	char *tmp;
	int64_t stale_ms;
	if (env->sweep_temps && dbc_backup_stale_temp_ms(ctx, &stale_ms) == DBC_OK)
		env->sweep_temps(ctx, path, stale_ms);
	/* a sealed backup's plain copy never gets a name: a kill leaves no
	 * plain byte of it (a plain copy is published from its temporary
	 * name) */
	if (ctx->failed || (seal ? dbc_backup_make_scratch(ctx, env, path, &tmp)
	                         : env->make_temp(ctx, path, &tmp)) != DBC_OK)
		return DBC_ERROR;
	double start = dbc_monotonic_ms();
	dbc_backup_image copy;
	memset(&copy, 0, sizeof copy);
	bool existed;
	if (copy_verified(ctx, env, tmp, path, incremental ? &base : NULL, seal, &copy) != DBC_OK) {
		env->remove(ctx, tmp, &existed); /* the error already set wins */
		return DBC_ERROR;
	}
	const char *full_because = copy.full_because;
	if (full_because)
		incremental = false; /* what was made: the JSON's method and fields */
	double ms = dbc_monotonic_ms() - start;
	if (dbc_backup_catalog_add(ctx, env, DBC_BACKUP_KIND_FILE, path, &copy, ms, true, NULL, id) !=
	    DBC_OK) {
		/* unrecorded, the file would be a backup prune never sees */
		env->remove(ctx, path, &existed);
		env->remove(ctx, tmp, &existed);
		return DBC_ERROR;
	}
	/* a sealed backup's plain copy (a plain one's temporary name is gone
	 * with its publication) */
	if (env->remove(ctx, tmp, &existed) != DBC_OK)
		dbc_error_clear(ctx);
	json_t *o = image_json(path, &copy, ms, true);
	if (o &&
	    !(dbc_json_set(o, "id", json_integer(*id)) &&
	      dbc_json_set(o, "method", dbc_json_str(incremental ? "incremental" : "full")) &&
	      (!full_because || (dbc_json_set(o, "requested_method", dbc_json_str("incremental")) &&
	                         dbc_json_set(o, "full_because", dbc_json_str(full_because)))) &&
	      (!seal || (dbc_json_set(o, "compression",
	                              dbc_json_str(seal & DBC_BACKUP_SEAL_ZSTD ? "zstd" : "none")) &&
	                 dbc_json_set(o, "encrypted", json_boolean(seal & DBC_BACKUP_SEAL_ENCRYPT)) &&
	                 dbc_json_set(o, "sha256", dbc_json_str(copy.file_sha256)))) &&
	      (!incremental || (dbc_json_set(o, "base_id", json_integer(base.id)) &&
	                        dbc_json_set(o, "pages_written", json_integer(copy.pages_written)) &&
	                        dbc_json_set(o, "rows_read", json_integer(copy.rows_read)))))) {
		json_decref(o);
		o = NULL;
	}
	*json = dump(ctx, o);
	return *json ? DBC_OK : DBC_ERROR;
}

/* The image an incremental backup restores to, written at image (a new
 * file) from its chain, each link checked against its row's SHA-256. */
static int materialize(dbc_ctx *ctx, const dbc_backup_hooks *env, int64_t id, const char *image,
                       bool *key_error)
{
	dbc_backup_chain_t chain;
	char **scratch = NULL;
	int nscratch = 0;
	if (!env->materialize)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "this engine reads no incremental backups");
	if (dbc_backup_chain(ctx, id, &chain) != DBC_OK)
		return DBC_ERROR;
	/* sealed links are opened (each against its row's SHA-256) into
	 * scratch files that take their place, then deleted */
	int rc = dbc_backup_unseal_chain(ctx, env, &chain, &scratch, &nscratch, key_error);
	if (rc == DBC_OK)
		rc = env->materialize(ctx, (const char *const *)chain.path,
		                      (const char *const *)chain.sha256, chain.n, image);
	dbc_backup_scratch_remove(ctx, env, scratch, nscratch);
	return rc;
}

int dbc_backup_verify(dbc_ctx *ctx, const dbc_backup_hooks *env, const char *path,
                      const char *image, char **json)
{
	return dbc_backup_verify_from(ctx, env, path, image, NULL, json);
}

/* The row of the file path names now is looked up under path resolved
 * (rows are recorded resolved); a path whose directory is gone, as given
 * (NULL). */
static char *resolved_path(dbc_ctx *ctx, const dbc_backup_hooks *env, const char *path)
{
	char *resolved = NULL;
	if (env->canonical && env->canonical(ctx, path, &resolved) != DBC_OK) {
		dbc_error_clear(ctx);
		resolved = NULL;
	}
	return resolved;
}

/* A file dbbackup_verify reads: its catalog row (or, for a file no row
 * names, its own record in the row's place) and where its image is. */
typedef struct verify_file {
	const char *path, *resolved, *image, *dir;
	dbc_backup_catalog_row row;
	bool catalogued, sealed, own_chain, own_record, key_error;
	int links;
	char *tmp; /* the scratch image (image NULL), removed by the caller */
} verify_file;

/* A file no row names: the image its own bytes give (its chain found
 * among the files beside it), and its own record as its row. */
static int open_own(dbc_ctx *ctx, const dbc_backup_hooks *env, verify_file *v, const char *out)
{
	char *record = NULL;
	dbc_backup_image own;
	if (dbc_backup_open_files(ctx, env, v->path, v->dir, out, &v->key_error, &v->links, &record) !=
	    DBC_OK)
		return DBC_ERROR;
	if (record && dbc_backup_own_record_parse(ctx, record, &own)) {
		v->row.fingerprint = own.fingerprint;
		v->row.rows_digest = own.rows_digest;
		v->row.table = own.table;
		v->row.tables = own.tables;
		v->row.content_version = own.content_version;
		v->own_record = true;
	}
	v->row.file_sha256 = NULL; /* each link checked by the next one's header */
	return ctx->failed ? DBC_ERROR : DBC_OK;
}

/* The image the file restores to, written at v->image or v->tmp: an
 * incremental's from its chain (each link's file against its row's
 * SHA-256), a sealed file opened (against its row's SHA-256, a catalogued
 * one being the file its row names), a file no row names from its own
 * bytes; nothing for a plain full file, read where it is. */
static int open_image(dbc_ctx *ctx, const dbc_backup_hooks *env, verify_file *v)
{
	const char *out = v->image ? v->image : v->tmp;
	const char *want = v->row.file_sha256;
	v->key_error = false;
	if (v->catalogued && v->row.base_id) {
		v->row.file_sha256 = NULL; /* checked link by link */
		return materialize(ctx, env, v->row.id, out, &v->key_error);
	}
	if (v->own_chain)
		return open_own(ctx, env, v, out);
	if (!v->sealed)
		return DBC_OK;
	v->row.file_sha256 = NULL; /* checked by the seal's opening */
	if (v->catalogued &&
	    dbc_backup_check_origin(ctx, env, v->resolved ? v->resolved : v->path) != DBC_OK)
		return DBC_ERROR;
	return dbc_backup_unseal(ctx, env, v->path, v->catalogued ? want : NULL, out, &v->key_error);
}

int dbc_backup_verify_from(dbc_ctx *ctx, const dbc_backup_hooks *env, const char *path,
                           const char *image, const char *dir, char **json)
{
	if (!env->inspect)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "this engine reads no backup files");
	bool full;
	if (full_check(ctx, &full) != DBC_OK)
		return DBC_ERROR;
	dbc_backup_catalog_row row;
	bool catalogued;
	char *resolved = resolved_path(ctx, env, path);
	if (dbc_backup_catalog_find(ctx, env, resolved ? resolved : path, &row, &catalogued) != DBC_OK)
		return DBC_ERROR;
	verify_file v = {.path = path, .resolved = resolved, .image = image, .dir = dir};
	v.row = row;
	v.catalogued = catalogued;
	v.sealed = env->is_sealed && env->is_sealed(ctx, path);
	/* a file no row names as an incremental, but sealed or one: its own
	 * bytes name its chain, found among the files beside it */
	v.own_chain =
	    !catalogued && env->pageset_base && (v.sealed || env->pageset_base(ctx, path, NULL));
	bool opens = (catalogued && row.base_id) || v.own_chain || v.sealed;
	if (image && !opens)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "%s is no incremental or sealed backup: restore it as it is", path);
	double start = dbc_monotonic_ms();
	dbc_backup_image img = {0};
	if (opens && !image && dbc_backup_make_scratch(ctx, env, path, &v.tmp) != DBC_OK)
		return DBC_ERROR;
	char *tmp = v.tmp;
	int rc = open_image(ctx, env, &v);
	bool existed, key_error = v.key_error;
	row = v.row;
	/* the copy's rows digested as its record's were */
	img.content_version = (catalogued || v.own_record) && row.table ? row.content_version : 0;
	const char *at = tmp ? tmp : image ? image : path; /* where the image is read */
	if (rc == DBC_OK && (rc = env->inspect(ctx, at, full, 0, &img)) != DBC_OK && at != path)
		dbc_backup_error_names(ctx, at, path); /* never a descriptor */
	/* an incremental's image, page by page, against the hashes of the
	 * pages it read */
	char *page_why = NULL;
	if (rc == DBC_OK && catalogued && row.base_id && env->check_pages)
		rc = env->check_pages(ctx, row.id, at, &page_why);
	if (tmp)
		env->remove(ctx, tmp, &existed);
	if (rc != DBC_OK) {
		/* a file that does not open as a database: its row says so; an
		 * interrupted verification says nothing about the file */
		/* nor does a missing or wrong key: the file may be sound */
		if (catalogued && !key_error && strcmp(ctx->sqlstate, DBC_SQLSTATE_CANCELED) != 0) {
			char *why = dbc_strdup(ctx, ctx->message ? ctx->message : "does not open");
			dbc_error_clear(ctx);
			if (dbc_backup_catalog_mark(ctx, env, row.id, false, why) != DBC_OK)
				return DBC_ERROR;
			return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "backup %s failed verification: %s", path,
			                 why);
		}
		if (key_error) {
			char *why = dbc_strdup(ctx, ctx->message ? ctx->message : "no key");
			dbc_error_clear(ctx);
			dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "backup %s could not be verified: %s", path,
			          why);
			dbc_error_hint(ctx, "%s", DBC_CONTAINER_KEY_HINT);
		}
		return DBC_ERROR;
	}
	dbc_backup_image recorded = {.fingerprint = row.fingerprint,
	                             .rows_digest = row.rows_digest,
	                             .file_sha256 = row.file_sha256,
	                             .table = row.table,
	                             .tables = row.tables,
	                             .content_version = row.content_version};
	const char *why =
	    page_why ? page_why
	             : mismatch(ctx,
	                        (catalogued || v.own_record) && row.fingerprint && row.rows_digest
	                            ? &recorded
	                            : NULL,
	                        &img);
	if (catalogued && dbc_backup_catalog_mark(ctx, env, row.id, why == NULL, why) != DBC_OK)
		return DBC_ERROR;
	if (why) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "backup %s failed verification: %s", path, why);
		dbc_error_detail(ctx, "check: %s", img.check);
		return DBC_ERROR;
	}
	json_t *o = image_json(path, &img, dbc_monotonic_ms() - start, true);
	if (o && !(dbc_json_set(o, "catalogued", json_boolean(catalogued)) &&
	           dbc_json_set(o, "sealed", json_boolean(v.sealed)) &&
	           (!v.own_chain || (dbc_json_set(o, "links", json_integer(v.links)) &&
	                             dbc_json_set(o, "own_record", json_boolean(v.own_record)))) &&
	           (!catalogued || dbc_json_set(o, "id", json_integer(row.id))))) {
		json_decref(o);
		o = NULL;
	}
	*json = dump(ctx, o);
	return *json ? DBC_OK : DBC_ERROR;
}
