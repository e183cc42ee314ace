/*
 * backup_external.c — backups made outside the database (PostgreSQL:
 * pg_dump, pgBackRest, any tool), as their tool reaches the catalog:
 * dbbackup_record (one row with everything the tool knows of its copy),
 * dbbackup_verified (a later verification's outcome) and dbbackup_entry
 * (one row as JSON, what a verification reads back). The command never
 * writes the catalog itself: these are its only way in.
 */
#include "backup/backup_private.h"

#include "schema/schema.h"

#include <string.h>

static dbc_value text_or_null(const char *s)
{
	return s ? dbc_text(s) : dbc_null();
}

/* A file's SHA-256 as the catalog keeps it: 64 lowercase hex digits. */
static bool is_sha256_hex(const char *s)
{
	return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

typedef struct extra_args {
	const dbc_backup_hooks *env;
	const dbc_backup_external *x;
	int64_t id;
} extra_args;

/* The columns the tool's record adds to the row dbc_backup_catalog_add
 * wrote (in the same savepoint: the row has them all or is not there). */
static int add_extra(dbc_ctx *ctx, void *arg)
{
	extra_args *a = arg;
	const dbc_backup_external *x = a->x;
	char *content = dbc_printf(ctx, ctx->host->dialect->json_param, 3);
	char *sql = content ? dbc_printf(ctx,
	                                 "UPDATE %sbackups SET sha256 = CAST($2 AS text), content = %s,"
	                                 " label = CAST($4 AS text), wal_start = CAST($5 AS text),"
	                                 " wal_stop = CAST($6 AS text) WHERE id = $1",
	                                 ctx->host->book_prefix, content)
	                    : NULL;
	dbc_value p[6] = {
	    dbc_int(a->id),         text_or_null(x->sha256),    text_or_null(x->content),
	    text_or_null(x->label), text_or_null(x->wal_start), text_or_null(x->wal_stop)};
	return sql ? ctx->host->query(ctx, sql, 6, p, NULL, NULL) : DBC_ERROR;
}

static int record_row(dbc_ctx *ctx, void *arg)
{
	extra_args *a = arg;
	const dbc_backup_external *x = a->x;
	dbc_backup_image img = {.bytes = x->bytes, .fingerprint = (char *)x->fingerprint};
	if (dbc_backup_catalog_add(ctx, a->env, x->kind, x->location, &img, x->duration_ms, x->verified,
	                           x->detail, &a->id) != DBC_OK)
		return DBC_ERROR;
	bool extra = x->sha256 || x->content || x->label || x->wal_start || x->wal_stop;
	return extra ? add_extra(ctx, a) : DBC_OK;
}

int dbc_backup_record(dbc_ctx *ctx, const dbc_backup_hooks *env, const dbc_backup_external *x,
                      int64_t *id)
{
	if (!x->kind[0] || !x->location[0])
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "a recorded backup needs a kind and a location");
	if (x->bytes < -1)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "bytes must not be negative");
	if (x->sha256 && !is_sha256_hex(x->sha256))
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "sha256 must be a SHA-256 in 64 lowercase hex digits");
	if (x->duration_ms < -1)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "duration_ms must not be negative");
	/* the schema the backup holds, as far as this database can tell: the
	 * live one when the caller gives none (record right after the backup) */
	dbc_backup_external with = *x;
	char *fp = NULL;
	if (!with.fingerprint) {
		if (dbc_schema_fingerprint(ctx, ctx->host->read_schema, &fp) != DBC_OK)
			return DBC_ERROR;
		with.fingerprint = fp;
	}
	extra_args a = {env, &with, 0};
	if (dbc_backup_catalog_in_savepoint(ctx, record_row, &a) != DBC_OK)
		return DBC_ERROR;
	*id = a.id;
	return DBC_OK;
}

int dbc_backup_verified(dbc_ctx *ctx, const dbc_backup_hooks *env, int64_t id, const char *why,
                        char **status)
{
	bool exists;
	char *found = NULL;
	bool any = false;
	if (dbc_backup_catalog_present(ctx, env, &exists) != DBC_OK)
		return DBC_ERROR;
	char *sql = exists ? dbc_printf(ctx, "SELECT CAST(kind AS text) FROM %sbackups WHERE id = $1",
	                                ctx->host->book_prefix)
	                   : NULL;
	dbc_value p = dbc_int(id);
	if (exists && (!sql || dbc_query_text(ctx, sql, 1, &p, &found, &any) != DBC_OK))
		return DBC_ERROR;
	if (!any)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "no catalogued backup has id %lld",
		                 (long long)id);
	if (why && !why[0])
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "a failed verification needs its reason (why)");
	*status = why ? "failed" : "verified";
	return dbc_backup_catalog_mark(ctx, env, id, why == NULL, why);
}

int dbc_backup_entry(dbc_ctx *ctx, const dbc_backup_hooks *env, int64_t id, const char *path,
                     const char *label, char **json)
{
	bool exists, found = false;
	*json = NULL;
	if (dbc_backup_catalog_present(ctx, env, &exists) != DBC_OK)
		return DBC_ERROR;
	if (!exists)
		return DBC_OK;
	const char *created = dbc_printf(ctx, ctx->host->dialect->time_iso, "created_at");
	const char *verified = dbc_printf(ctx, ctx->host->dialect->time_iso, "verified_at");
	/* PostgreSQL's (the function's only engine): its catalog has these
	 * columns and jsonb */
	char *sql =
	    created && verified
	        ? dbc_printf(ctx,
	                     "SELECT CAST(pg_catalog.jsonb_build_object('id', id, 'kind', kind,"
	                     " 'path', path, 'created_at', %s, 'bytes', bytes, 'fingerprint',"
	                     " fingerprint, 'verified_at', %s, 'status', status, 'detail', detail,"
	                     " 'sha256', sha256, 'content', content, 'label', label, 'wal_start',"
	                     " wal_start, 'wal_stop', wal_stop, 'duration_ms', duration_ms) AS text)"
	                     " FROM %sbackups WHERE id = CAST($1 AS bigint) OR path = CAST($2 AS text)"
	                     " OR label = CAST($3 AS text)"
	                     " ORDER BY id DESC LIMIT 1",
	                     created, verified, ctx->host->book_prefix)
	        : NULL;
	dbc_value p[3] = {id > 0 ? dbc_int(id) : dbc_null(), text_or_null(path), text_or_null(label)};
	return sql ? dbc_query_text(ctx, sql, 3, p, json, &found) : DBC_ERROR;
}
