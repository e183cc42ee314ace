/*
 * backup_catalog.c — the catalog of backups: recording, finding, marking,
 * listing (an external backup's record: backup_external.c). Parameters
 * of nullable columns are CASTs: PostgreSQL types an untyped NULL as text.
 */
#include "backup/backup_private.h"

#include <string.h>

int dbc_backup_catalog_present(dbc_ctx *ctx, const dbc_backup_hooks *env, bool *exists)
{
	*exists = false;
	if (ctx->host->book_exists(ctx, exists) != DBC_OK)
		return DBC_ERROR;
	return *exists && env->catalog_exists ? env->catalog_exists(ctx, exists) : DBC_OK;
}

/* Runs fn inside a savepoint of its own, the bookkeeping made first (the
 * call's first write): all of it or nothing. */
int dbc_backup_catalog_in_savepoint(dbc_ctx *ctx, int (*fn)(dbc_ctx *, void *), void *arg)
{
	int level = ctx->host->savepoint(ctx);
	if (level < 0)
		return DBC_ERROR;
	if (dbc_book_ensure_part(ctx, "backup") != DBC_OK || fn(ctx, arg) != DBC_OK) {
		ctx->host->rollback(ctx, level);
		return DBC_ERROR;
	}
	return ctx->host->release(ctx, level);
}

static int nothing(dbc_ctx *ctx, void *arg)
{
	(void)ctx;
	(void)arg;
	return DBC_OK;
}

int dbc_backup_book_before_copy(dbc_ctx *ctx)
{
	return dbc_backup_catalog_in_savepoint(ctx, nothing, NULL);
}

typedef struct add_args {
	const dbc_backup_hooks *env;
	const char *kind, *path, *detail;
	const dbc_backup_image *img;
	double duration_ms;
	bool verified;
	int64_t base_id; /* an incremental's base, 0 for a full backup */
	int64_t *id;
} add_args;

static int take_id(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	(void)ctx;
	if (ncol > 0 && c[0].type == DBC_INT)
		*(int64_t *)arg = c[0].i;
	return DBC_OK;
}

static dbc_value text_or_null(const char *s)
{
	return s ? dbc_text(s) : dbc_null();
}

static int add_row(dbc_ctx *ctx, void *arg)
{
	add_args *a = arg;
	const char *now = ctx->host->dialect->now;
	bool sha = a->env->records_file_sha256 && a->env->records_file_sha256(ctx);
	bool content = a->env->records_content && a->env->records_content(ctx);
	char *text = content ? dbc_backup_content_text(ctx, a->img) : NULL;
	if (ctx->failed)
		return DBC_ERROR;
	/* version 7's columns come together: content, method, base_id and the
	 * page hashes (written by the engine, a blob) */
	char *sql = dbc_printf(
	    ctx,
	    "INSERT INTO %sbackups (kind, path, created_at, bytes, pages, duration_ms, fingerprint,"
	    " rows_digest, verified_at, status, detail%s%s)"
	    " VALUES ($1, $2, %s, CAST($3 AS bigint), CAST($4 AS bigint),"
	    " CAST($5 AS double precision), CAST($6 AS text), CAST($7 AS text), %s, '%s',"
	    " CAST($8 AS text)%s%s) RETURNING id",
	    ctx->host->book_prefix, sha ? ", sha256" : "", content ? ", content, method, base_id" : "",
	    now, a->verified ? now : "NULL", a->verified ? "verified" : "unverified",
	    sha ? ", CAST($9 AS text)" : "",
	    content ? (sha ? ", CAST($10 AS text), CAST($11 AS text), CAST($12 AS bigint)"
	                   : ", CAST($9 AS text), CAST($10 AS text), CAST($11 AS bigint)")
	            : "");
	if (!sql)
		return DBC_ERROR;
	dbc_value p[12] = {
	    dbc_text(a->kind),
	    dbc_text(a->path),
	    a->img && a->img->bytes >= 0 ? dbc_int(a->img->bytes) : dbc_null(),
	    a->img && a->img->pages > 0 ? dbc_int(a->img->pages) : dbc_null(),
	    a->duration_ms >= 0 ? dbc_float(a->duration_ms) : dbc_null(),
	    text_or_null(a->img ? a->img->fingerprint : NULL),
	    text_or_null(a->img ? a->img->rows_digest : NULL),
	    text_or_null(a->detail),
	};
	int n = 8;
	if (sha)
		p[n++] = text_or_null(a->img ? a->img->file_sha256 : NULL);
	if (content) {
		p[n++] = text_or_null(text);
		p[n++] = dbc_text(dbc_backup_method_text(a->base_id != 0, a->img ? a->img->seal : 0));
		p[n++] = a->base_id ? dbc_int(a->base_id) : dbc_null();
	}
	*a->id = 0;
	if (ctx->host->query(ctx, sql, n, p, take_id, a->id) != DBC_OK)
		return DBC_ERROR;
	return content && a->img && a->env->store_pages ? a->env->store_pages(ctx, *a->id, a->img)
	                                                : DBC_OK;
}

int dbc_backup_catalog_add(dbc_ctx *ctx, const dbc_backup_hooks *env, const char *kind,
                           const char *path, const dbc_backup_image *img, double duration_ms,
                           bool verified, const char *detail, int64_t *id)
{
	add_args a = {env, kind, path, detail, img, duration_ms, verified, img ? img->base_id : 0, id};
	return dbc_backup_catalog_in_savepoint(ctx, add_row, &a);
}

static int take_row(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	dbc_backup_catalog_row *row = arg;
	if (ncol < 3)
		return DBC_OK;
	row->id = c[0].i;
	row->fingerprint = c[1].type == DBC_TEXT ? dbc_strdup(ctx, c[1].s) : NULL;
	row->rows_digest = c[2].type == DBC_TEXT ? dbc_strdup(ctx, c[2].s) : NULL;
	row->file_sha256 = ncol > 3 && c[3].type == DBC_TEXT ? dbc_strdup(ctx, c[3].s) : NULL;
	row->table = ncol > 4 && c[4].type == DBC_TEXT
	                 ? dbc_backup_content_parse(ctx, c[4].s, &row->tables, &row->content_version)
	                 : NULL;
	row->base_id = ncol > 5 && c[5].type == DBC_INT ? c[5].i : 0;
	return DBC_OK;
}

/* The newest row of kind recorded for path. */
static int find_of_kind(dbc_ctx *ctx, const dbc_backup_hooks *env, const char *path,
                        const char *kind, dbc_backup_catalog_row *row, bool *found)
{
	bool exists;
	memset(row, 0, sizeof *row);
	*found = false;
	if (dbc_backup_catalog_present(ctx, env, &exists) != DBC_OK)
		return DBC_ERROR;
	if (!exists)
		return DBC_OK;
	bool sha = env->records_file_sha256 && env->records_file_sha256(ctx);
	bool content = sha && env->records_content && env->records_content(ctx);
	char *sql = dbc_printf(ctx,
	                       "SELECT id, fingerprint, rows_digest%s%s FROM %sbackups WHERE path = $1"
	                       " AND kind = $2 ORDER BY id DESC LIMIT 1",
	                       sha ? ", sha256" : "", content ? ", content, base_id" : "",
	                       ctx->host->book_prefix);
	dbc_value p[2] = {dbc_text(path), dbc_text(kind)};
	if (!sql || ctx->host->query(ctx, sql, 2, p, take_row, row) != DBC_OK)
		return DBC_ERROR;
	*found = row->id > 0;
	return DBC_OK;
}

int dbc_backup_catalog_find(dbc_ctx *ctx, const dbc_backup_hooks *env, const char *path,
                            dbc_backup_catalog_row *row, bool *found)
{
	return find_of_kind(ctx, env, path, DBC_BACKUP_KIND_FILE, row, found);
}

int dbc_backup_catalog_find_copy(dbc_ctx *ctx, const dbc_backup_hooks *env, const char *url,
                                 dbc_backup_catalog_row *row, bool *found)
{
	return find_of_kind(ctx, env, url, DBC_BACKUP_KIND_FILE_COPY, row, found);
}

typedef struct mark_args {
	const dbc_backup_hooks *env;
	int64_t id;
	bool verified;
	const char *why;
} mark_args;

static int mark_row(dbc_ctx *ctx, void *arg)
{
	mark_args *m = arg;
	char *sql = m->verified
	                ? dbc_printf(ctx,
	                             "UPDATE %sbackups SET status = 'verified', verified_at = %s,"
	                             " detail = NULL WHERE id = $1",
	                             ctx->host->book_prefix, ctx->host->dialect->now)
	                : dbc_printf(ctx,
	                             "UPDATE %sbackups SET status = 'failed', verified_at = NULL,"
	                             " detail = CAST($2 AS text) WHERE id = $1",
	                             ctx->host->book_prefix);
	dbc_value p[2] = {dbc_int(m->id), text_or_null(m->why)};
	return sql ? ctx->host->query(ctx, sql, m->verified ? 1 : 2, p, NULL, NULL) : DBC_ERROR;
}

int dbc_backup_catalog_mark(dbc_ctx *ctx, const dbc_backup_hooks *env, int64_t id, bool verified,
                            const char *why)
{
	mark_args m = {env, id, verified, why};
	return dbc_backup_catalog_in_savepoint(ctx, mark_row, &m);
}

/* ---------------------------------------------------------------- listing */

typedef struct list_args {
	const dbc_backup_hooks *env;
	dbc_rows *out;
} list_args;

static int list_row(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	list_args *l = arg;
	if (ncol != DBC_BACKUP_LIST_NCOLS - 1)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "unexpected backup catalog row");
	dbc_value row[DBC_BACKUP_LIST_NCOLS];
	memcpy(row, c, sizeof(dbc_value) * (size_t)ncol);
	/* whether the file is there: known only where the engine makes files
	 * (an external backup's location means nothing to this module) */
	bool file =
	    l->env->exists && c[1].type == DBC_TEXT && strcmp(c[1].s, DBC_BACKUP_KIND_FILE) == 0;
	row[ncol] = file ? dbc_bool(l->env->exists(ctx, c[2].s)) : dbc_null();
	return dbc_rows_add(l->out, row);
}

int dbc_backup_list(dbc_ctx *ctx, const dbc_backup_hooks *env, dbc_rows *out)
{
	bool exists;
	dbc_rows_init(out, ctx, DBC_BACKUP_LIST_NCOLS);
	if (dbc_backup_catalog_present(ctx, env, &exists) != DBC_OK)
		return DBC_ERROR;
	if (!exists)
		return DBC_OK;
	const char *created = dbc_printf(ctx, ctx->host->dialect->time_iso, "created_at");
	const char *verified = dbc_printf(ctx, ctx->host->dialect->time_iso, "verified_at");
	char *sql = created && verified
	                ? dbc_printf(ctx,
	                             "SELECT id, kind, path, %s, bytes, fingerprint, %s, status"
	                             " FROM %sbackups ORDER BY id",
	                             created, verified, ctx->host->book_prefix)
	                : NULL;
	list_args l = {env, out};
	return sql ? ctx->host->query(ctx, sql, 0, NULL, list_row, &l) : DBC_ERROR;
}
