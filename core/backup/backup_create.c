/*
 * backup_create.c — dbbackup_create and dbbackup_verify: a copy is
 * "verified" when it opens, its storage check is ok, its schema fingerprint
 * equals the source's at the copy's moment and so does every table's row
 * count (a copy can pass integrity_check and still miss rows). The copy is
 * made under a temporary name and gets its final name only once verified:
 * a failure or a crash never leaves a half file, or an unverified one,
 * under the name a restore would pick.
 */
#include "backup/backup_name.h"
#include "backup/backup_private.h"
#include "backup/backup_tool.h"

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
	if (dir[0] != '/') {
		/* a store's URL (the settings' rule admits no other): the module
		 * does no network I/O, so a SQL call's backup waits, verified and
		 * catalogued, in backup.stage_dir for the dbcare command to upload
		 * (its pending backups: rows of kind file under that folder with no
		 * copy in the store); without that folder it is refused */
		char *stage = NULL;
		if (dbc_setting_get(ctx, "backup.stage_dir", &stage) != DBC_OK)
			return DBC_ERROR;
		if (!stage[0]) { /* else an absolute local path: DBC_SETTING_FOLDER */
			dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
			          "backup.dir is an object store's URL, which only the dbcare command "
			          "uploads to, and backup.stage_dir names no local folder to stage this "
			          "backup in: dbbackup_create needs a path");
			dbc_error_hint(ctx, "Set backup.stage_dir to a local folder (dbcare backup --ship "
			                    "uploads what is made there), run dbcare backup, or pass a path.");
			return DBC_ERROR;
		}
		dir = stage;
	}
	char buf[4096];
	if (dbc_backup_default_name(buf, sizeof buf, dir, name, strlen(name), ".db") != 0)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "backup.dir %s is too long a path for a backup's name: set a shorter "
		                 "folder, or pass a path",
		                 dir);
	*out = dbc_strdup(ctx, buf);
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
	const char *why =
	    source && source->table && copy->table
	        ? dbc_backup_content_why(ctx, source->table, source->tables, source->content_version,
	                                 copy->table, copy->tables, copy->content_version)
	        : NULL;
	if (why)
		return why;
	if (source && strcmp(source->rows_digest, copy->rows_digest) != 0)
		return "its row counts differ from the source's";
	return source ? dbc_backup_file_mismatch(ctx, source->file_sha256, copy->file_sha256, NULL)
	              : NULL;
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

/* The module's page copy as a tool of the backup flow (backup_tool.h):
 * its copy and read back, its files and its catalog write. The flow
 * decides the order and what a failure leaves. */
typedef struct module_backup {
	const dbc_backup_hooks *env;
	const char *path;            /* the target, resolved (module_resolve) */
	const dbc_backup_base *base; /* an incremental's base; NULL: a full copy */
	bool incremental;            /* asked for, then what was made */
	unsigned seal;
	bool full; /* backup.verify full */
	int64_t timeout_ms;
	double start, deadline;
	dbc_backup_image source, copy;
	int64_t id;
} module_backup;

/* The incremental asked for, into tmp: DBC_OK with m->incremental still
 * set when its pages were written (copy_changed reads them back against
 * their hashes), cleared when it must be taken as a full copy (the copy's
 * full_because says why). */
static int copy_incremental(dbc_ctx *ctx, module_backup *m, const char *tmp)
{
	const char *foreign = base_foreign(ctx, m->env, m->base);
	if (ctx->failed)
		return DBC_ERROR;
	if (!foreign) {
		if (m->env->copy_changed(ctx, tmp, m->path, m->timeout_ms, m->base, &m->copy) != DBC_OK)
			return DBC_ERROR;
		const char *why = deltas_meaningless(ctx, m->base, &m->copy);
		if (!why) {
			m->copy.base_id = m->base->id;
			return DBC_OK;
		}
		/* taken again as a full copy (into the same temporary file) */
		memset(&m->copy, 0, sizeof m->copy);
		foreign = why;
	}
	m->copy.full_because = foreign;
	m->incremental = false;
	return DBC_OK;
}

/* The copy into tmp: an incremental's changed pages, or a consistent
 * copy of the whole database whose source image read_back compares. */
static int module_copy(dbc_ctx *ctx, void *arg, const char *tmp, dbc_backup_made *made)
{
	module_backup *m = arg;
	(void)made;
	m->start = dbc_monotonic_ms();
	if (dbc_setting_get_int(ctx, "backup.timeout_ms", &m->timeout_ms) != DBC_OK ||
	    full_check(ctx, &m->full) != DBC_OK)
		return DBC_ERROR;
	if (m->incremental && copy_incremental(ctx, m, tmp) != DBC_OK)
		return DBC_ERROR;
	if (m->incremental)
		return DBC_OK;
	/* one budget for the copy and its verification: the whole call is
	 * bounded by backup.timeout_ms */
	m->deadline = dbc_monotonic_ms() + (double)m->timeout_ms;
	m->copy.hash_pages = m->env->copy_changed != NULL; /* the next incremental's base */
	return m->env->copy(ctx, tmp, m->path, m->timeout_ms, &m->source);
}

/* A full copy opened and compared with its source at the copy's moment;
 * an incremental's pages were read back by copy_changed (the logical
 * verification of the image the chain gives is dbbackup_verify's). */
static int module_read_back(dbc_ctx *ctx, void *arg, const char *tmp, dbc_backup_made *made)
{
	module_backup *m = arg;
	dbc_backup_image *source = &m->source, *copy = &m->copy;
	(void)made;
	if (m->incremental)
		return DBC_OK;
	if (m->env->inspect(ctx, tmp, m->full, m->deadline, copy) != DBC_OK)
		return DBC_ERROR;
	if (source->content_from_copy) {
		source->table = copy->table;
		source->tables = copy->tables;
		source->rows_digest = copy->rows_digest;
		source->content_version = copy->content_version;
	}
	const char *why = mismatch(ctx, source, copy);
	if (why) {
		dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "the backup copy failed verification: %s", why);
		dbc_error_detail(ctx, "check: %s; source fingerprint %s, copy %s", copy->check,
		                 source->fingerprint, copy->fingerprint);
		return DBC_ERROR;
	}
	return DBC_OK;
}

static int module_check_target(dbc_ctx *ctx, void *arg, const char *path)
{
	return ((module_backup *)arg)->env->check_target(ctx, path);
}

/* recorded resolved: prune, verify and list from any directory mean this
 * file */
static int module_resolve(dbc_ctx *ctx, void *arg, const char *path, char **out)
{
	module_backup *m = arg;
	*out = (char *)path;
	if (m->env->canonical && m->env->canonical(ctx, path, out) != DBC_OK)
		return DBC_ERROR;
	m->path = *out;
	return DBC_OK;
}

/* A killed backup's leftovers swept first; a sealed backup's plain copy
 * never gets a name (a kill leaves no plain byte of it), a plain copy is
 * published from its temporary name. */
static int module_make_temp(dbc_ctx *ctx, void *arg, const char *path, bool plain, char **tmp)
{
	const dbc_backup_hooks *env = ((module_backup *)arg)->env;
	int64_t stale_ms;
	if (env->sweep_temps && dbc_backup_stale_temp_ms(ctx, &stale_ms) == DBC_OK)
		env->sweep_temps(ctx, path, stale_ms);
	if (ctx->failed)
		return DBC_ERROR;
	return plain ? dbc_backup_make_scratch(ctx, env, path, tmp) : env->make_temp(ctx, path, tmp);
}

static int module_seal(dbc_ctx *ctx, void *arg, const char *plain, const char *path,
                       const char *database, const char *identity, unsigned flags)
{
	module_backup *m = arg;
	(void)database, (void)identity; /* the engine's seal names its own */
	return dbc_backup_publish(ctx, m->env, plain, path, flags, &m->copy);
}

static int module_publish(dbc_ctx *ctx, void *arg, const char *tmp, const char *path)
{
	return ((module_backup *)arg)->env->publish(ctx, tmp, path);
}

/* Deleted whatever happened (a missing file is no error); a failure to
 * delete fails no backup, and an error already set stays the error. */
static void module_release(dbc_ctx *ctx, void *arg, char *tmp)
{
	bool existed, failed = ctx->failed;
	if (((module_backup *)arg)->env->remove(ctx, tmp, &existed) != DBC_OK && !failed)
		dbc_error_clear(ctx);
}

static void module_remove(dbc_ctx *ctx, void *arg, const char *path)
{
	bool existed;
	((module_backup *)arg)->env->remove(ctx, path, &existed); /* the error set wins */
}

/* The answer of a backup made: the image, its row and how it was made. */
static char *module_answer(dbc_ctx *ctx, const module_backup *m, const char *path, double ms)
{
	const dbc_backup_image *copy = &m->copy;
	json_t *o = image_json(path, copy, ms, true);
	if (o && !(dbc_json_set(o, "id", json_integer(m->id)) &&
	           dbc_json_set(o, "method", dbc_json_str(m->incremental ? "incremental" : "full")) &&
	           (!copy->full_because ||
	            (dbc_json_set(o, "requested_method", dbc_json_str("incremental")) &&
	             dbc_json_set(o, "full_because", dbc_json_str(copy->full_because)))) &&
	           (!m->seal ||
	            (dbc_json_set(o, "compression",
	                          dbc_json_str(m->seal & DBC_BACKUP_SEAL_ZSTD ? "zstd" : "none")) &&
	             dbc_json_set(o, "encrypted", json_boolean(m->seal & DBC_BACKUP_SEAL_ENCRYPT)) &&
	             dbc_json_set(o, "sha256", dbc_json_str(copy->file_sha256)))) &&
	           (!m->incremental ||
	            (dbc_json_set(o, "base_id", json_integer(m->base->id)) &&
	             dbc_json_set(o, "pages_written", json_integer(copy->pages_written)) &&
	             dbc_json_set(o, "rows_read", json_integer(copy->rows_read)))))) {
		json_decref(o);
		o = NULL;
	}
	return dump(ctx, o);
}

/* One catalog row, in a savepoint of its own: a failed write is rolled
 * back (the flow then removes the file); once written, the row is there
 * whatever the answer does. */
static int module_record(dbc_ctx *ctx, void *arg, const char *kind, const dbc_backup_made *made,
                         char **json, bool *maybe_recorded)
{
	module_backup *m = arg;
	double ms = dbc_monotonic_ms() - m->start;
	if (dbc_backup_catalog_add(ctx, m->env, kind, made->location, &m->copy, ms, true, NULL,
	                           &m->id) != DBC_OK)
		return DBC_ERROR;
	*maybe_recorded = true;
	*json = module_answer(ctx, m, made->location, ms);
	return *json ? DBC_OK : DBC_ERROR;
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
	module_backup m = {.env = env};
	if (method && dbc_backup_parse_method(ctx, method, &m.incremental, &m.seal) != DBC_OK)
		return DBC_ERROR;
	if (m.seal && !env->seal)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "this engine makes no sealed backups");
	if (m.incremental && !env->copy_changed)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "this engine makes no incremental backups");
	dbc_backup_base base;
	if (m.incremental && dbc_backup_find_base(ctx, env, &base) != DBC_OK)
		return DBC_ERROR;
	m.base = m.incremental ? &base : NULL;
	if (!path && default_path(ctx, env, (char **)&path) != DBC_OK)
		return DBC_ERROR;
	m.path = path;
	dbc_backup_tool tool = {.kind = DBC_BACKUP_KIND_FILE,
	                        .writes_file = true,
	                        .arg = &m,
	                        .copy = module_copy,
	                        .read_back = module_read_back};
	dbc_backup_files files = {.arg = &m,
	                          .check_target = module_check_target,
	                          .resolve = module_resolve,
	                          .make_temp = module_make_temp,
	                          .seal = module_seal,
	                          .publish = module_publish,
	                          .release = module_release,
	                          .remove = module_remove};
	dbc_backup_recorder rec = {&m, module_record};
	int rc = dbc_backup_tool_run(ctx, &tool, &files, &rec, path, m.seal, json);
	*id = m.id;
	return rc;
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
	/* a catalogued file, sealed or plain, is the one its row names */
	if (v->catalogued &&
	    dbc_backup_check_origin(ctx, env, v->resolved ? v->resolved : v->path) != DBC_OK)
		return DBC_ERROR;
	if (!v->sealed)
		return DBC_OK;
	v->row.file_sha256 = NULL; /* checked by the seal's opening */
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
