/*
 * backup_external.c — backups the command makes with a tool of its own
 * (PostgreSQL: pg_dump, pgBackRest, any tool; on both engines a backup's
 * copy uploaded to a store), as their tool reaches the catalog:
 * dbbackup_record (one row with everything the tool knows of its copy),
 * dbbackup_verified (a later verification's outcome) and dbbackup_entry
 * (one row as JSON, what a verification reads back). The command never
 * writes the catalog itself: these are its only way in. The same SQL on
 * both engines: a column one engine's catalog lacks (SQLite: label,
 * wal_start, wal_stop) reads as NULL there, and giving it is an error.
 */
#include "backup/backup_private.h"

#include "schema/schema.h"
#include "base/json.h"

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

/* Whether this engine's catalog has column (a column of later
 * bookkeeping versions, or one engine's only: book/tables.c). */
static bool has_column(dbc_ctx *ctx, const char *column)
{
	return !ctx->host->book_has_column || ctx->host->book_has_column(ctx, "dbcare_backups", column);
}

/* The columns the tool's record adds to the row dbc_backup_catalog_add
 * wrote (in the same savepoint: the row has them all or is not there),
 * only those given: a column this engine's catalog lacks is refused. */
static int add_extra(dbc_ctx *ctx, void *arg)
{
	extra_args *a = arg;
	const dbc_backup_external *x = a->x;
	static const char *const names[5] = {"sha256", "content", "label", "wal_start", "wal_stop"};
	const char *given[5] = {x->sha256, x->content, x->label, x->wal_start, x->wal_stop};
	dbc_value p[6] = {dbc_int(a->id)};
	dbc_buf set;
	int n = 1;
	dbc_buf_init(&set, ctx);
	for (int i = 0; i < 5; i++) {
		if (!given[i])
			continue;
		if (!has_column(ctx, names[i]))
			return ctx->failed ? DBC_ERROR
			                   : dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
			                               "this engine's catalog keeps no %s", names[i]);
		p[n++] = dbc_text(given[i]);
		char *value = i == 1 ? dbc_printf(ctx, ctx->host->dialect->json_param, n)
		                     : dbc_printf(ctx, "CAST($%d AS text)", n);
		if (!value)
			return DBC_ERROR;
		dbc_buf_appendf(&set, "%s%s = %s", n > 2 ? ", " : "", names[i], value);
	}
	char *cols = dbc_buf_finish(&set);
	char *sql = cols ? dbc_printf(ctx, "UPDATE %sbackups SET %s WHERE id = $1",
	                              ctx->host->book_prefix, cols)
	                 : NULL;
	return sql ? ctx->host->query(ctx, sql, n, p, NULL, NULL) : DBC_ERROR;
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

/* The entry's members, in the columns' order of the statement below;
 * [0] a number, content JSON, duration_ms a real, the others text. */
static const char *const entry_keys[] = {"id",        "kind",        "path",        "created_at",
                                         "bytes",     "fingerprint", "verified_at", "status",
                                         "detail",    "sha256",      "content",     "label",
                                         "wal_start", "wal_stop",    "duration_ms", NULL};

/* A value as the entry holds it: a number as a number (a real with no
 * fraction as an integer, as SQL prints it), content as JSON (NULL: not
 * JSON), anything else as text. */
static json_t *entry_value(dbc_ctx *ctx, const char *key, const dbc_value *v)
{
	if (v->type == DBC_NULL)
		return json_null();
	if (v->type == DBC_INT)
		return json_integer(v->i);
	if (v->type == DBC_FLOAT)
		return v->f == (double)(int64_t)v->f ? json_integer((int64_t)v->f) : json_real(v->f);
	if (v->type != DBC_TEXT)
		return json_null();
	if (strcmp(key, "content") == 0)
		return dbc_json_parse(ctx, v->s, "a backup's content");
	return dbc_json_str(v->s);
}

typedef struct entry_args {
	json_t *o;
	bool found;
} entry_args;

static int entry_row(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	entry_args *e = arg;
	e->found = true;
	for (int i = 0; entry_keys[i] && i < ncol; i++)
		if (!dbc_json_set(e->o, entry_keys[i], entry_value(ctx, entry_keys[i], &c[i])))
			return ctx->failed ? DBC_ERROR
			                   : dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	return DBC_OK;
}

/* column, or NULL where this engine's catalog has none (AS its name) */
static const char *entry_column(dbc_ctx *ctx, const char *column, const char *as)
{
	return has_column(ctx, column) ? as : "NULL";
}

int dbc_backup_entry(dbc_ctx *ctx, const dbc_backup_hooks *env, int64_t id, const char *path,
                     const char *label, char **json)
{
	bool exists;
	*json = NULL;
	if (dbc_backup_catalog_present(ctx, env, &exists) != DBC_OK)
		return DBC_ERROR;
	if (!exists)
		return DBC_OK;
	const char *created = dbc_printf(ctx, ctx->host->dialect->time_iso, "created_at");
	const char *verified = dbc_printf(ctx, ctx->host->dialect->time_iso, "verified_at");
	bool labels = has_column(ctx, "label");
	char *sql =
	    created && verified
	        ? dbc_printf(ctx,
	                     "SELECT id, kind, path, %s, bytes, fingerprint, %s, status, detail, %s,"
	                     " %s, %s, %s, %s, duration_ms FROM %sbackups"
	                     " WHERE id = CAST($1 AS bigint) OR path = CAST($2 AS text)%s"
	                     " ORDER BY id DESC LIMIT 1",
	                     created, verified, entry_column(ctx, "sha256", "sha256"),
	                     entry_column(ctx, "content", "CAST(content AS text)"),
	                     labels ? "label" : "NULL", entry_column(ctx, "wal_start", "wal_start"),
	                     entry_column(ctx, "wal_stop", "wal_stop"), ctx->host->book_prefix,
	                     labels ? " OR label = CAST($3 AS text)" : "")
	        : NULL;
	if (!sql || ctx->failed)
		return DBC_ERROR;
	dbc_value p[3] = {id > 0 ? dbc_int(id) : dbc_null(), text_or_null(path), text_or_null(label)};
	entry_args e = {json_object(), false};
	if (!e.o)
		return dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	int rc = ctx->host->query(ctx, sql, labels ? 3 : 2, p, entry_row, &e);
	if (rc == DBC_OK && e.found && !(*json = dbc_json_dump(ctx, e.o, DBC_JSON_REPORT)))
		rc = DBC_ERROR;
	json_decref(e.o);
	return rc;
}
