/*
 * backup_restore_carry.c — the backup catalog carried across a restore of
 * the whole database file (SQLite: dbbackup_catalog_keep before the copy,
 * dbbackup_catalog_carry after it; the copy itself is the caller's, with
 * the engine's online backup API, which cannot run inside a call).
 *
 * The catalog is a table of the database, so a restore brings back the
 * catalog of the backup's moment: the backups taken after it and the
 * safety copy taken just before the restore would drop out of it, and
 * prune would never delete them. keep copies the catalog into a TEMP
 * table (the temp database is the connection's: a restore copies main
 * only); carry puts back the kept rows the restored catalog lacks (same
 * path and time), in the columns both layouts have, and drops the copy.
 * A row keeps its id where the restored catalog has it free (an
 * incremental backup's row names its base by id, base_id); others take
 * new ids. carry writes inside one savepoint: all the rows or none, the
 * kept copy left for another try on failure. Both are SQLite's only: the
 * SQL below (TEMP tables, pragma_table_info) is SQLite's.
 */
#include "api/api.h"
#include "backup/backup_private.h"

#define KEPT_NAME "dbcare_restore_catalog"
#define KEPT      "temp." KEPT_NAME

static int take_int(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	(void)ctx;
	if (ncol > 0 && c[0].type == DBC_INT)
		*(int64_t *)arg = c[0].i;
	return DBC_OK;
}

static int take_text(dbc_ctx *ctx, void *arg, int ncol, const dbc_value *c)
{
	if (ncol > 0 && c[0].type == DBC_TEXT)
		*(char **)arg = dbc_strdup(ctx, c[0].s);
	return DBC_OK;
}

static int count_of(dbc_ctx *ctx, const char *sql, int64_t *n)
{
	*n = 0;
	return ctx->host->query(ctx, sql, 0, NULL, take_int, n);
}

/* Whether the connection holds a kept catalog (keep's TEMP table). */
static int kept_exists(dbc_ctx *ctx, bool *exists)
{
	int64_t n = 0;
	int rc = count_of(ctx,
	                  "SELECT count(*) FROM temp.sqlite_schema WHERE type = 'table'"
	                  " AND name = '" KEPT_NAME "'",
	                  &n);
	*exists = n > 0;
	return rc;
}

static int catalog_keep(dbc_ctx *ctx, const dbc_backup_hooks *env, int64_t *kept)
{
	bool exists = false;
	*kept = -1;
	if (ctx->host->exec(ctx, "DROP TABLE IF EXISTS " KEPT) != DBC_OK ||
	    (env->catalog_exists && env->catalog_exists(ctx, &exists) != DBC_OK))
		return DBC_ERROR;
	if (!exists)
		return DBC_OK;
	char *sql = dbc_printf(ctx, "CREATE TEMP TABLE " KEPT_NAME " AS SELECT * FROM %sbackups",
	                       ctx->host->book_prefix);
	if (!sql || ctx->host->exec(ctx, sql) != DBC_OK)
		return DBC_ERROR;
	return count_of(ctx, "SELECT count(*) FROM " KEPT, kept);
}

/* The columns, quoted and comma-separated, that both the restored catalog
 * and the kept copy have, id left out; NULL when none. */
static char *shared_columns(dbc_ctx *ctx)
{
	char *cols = NULL;
	char *table = dbc_printf(ctx, "%sbackups", ctx->host->book_name_prefix);
	dbc_value name = dbc_text(table);
	if (!table ||
	    ctx->host->query(ctx,
	                     "SELECT group_concat('\"' || replace(m.name, '\"', '\"\"') || '\"',"
	                     " ', ') FROM pragma_table_info($1, 'main') AS m"
	                     " WHERE m.name <> 'id' AND m.name IN (SELECT name FROM"
	                     " pragma_table_info('" KEPT_NAME "', 'temp'))",
	                     1, &name, take_text, &cols) != DBC_OK)
		return NULL;
	return cols;
}

typedef struct carry_args {
	const dbc_backup_hooks *env;
	int64_t *put_back;
} carry_args;

static int put_back_rows(dbc_ctx *ctx, void *arg)
{
	carry_args *a = arg;
	const char *book = ctx->host->book_prefix;
	char *cols = shared_columns(ctx);
	if (ctx->failed)
		return DBC_ERROR;
	if (!cols)
		return dbc_error(ctx, "XX000",
		                 "dbcare: the restored backup catalog has no column in "
		                 "common with the one kept before the restore");
	char *missing = dbc_printf(ctx,
	                           " FROM " KEPT " AS k WHERE NOT EXISTS (SELECT 1 FROM %sbackups AS b"
	                           " WHERE b.path = k.path AND b.created_at = k.created_at)",
	                           book);
	char *count = dbc_printf(ctx, "SELECT count(*)%s", missing);
	char *sql = dbc_printf(ctx,
	                       "INSERT INTO %sbackups (id, %s) SELECT k.id, %s%s AND NOT EXISTS"
	                       " (SELECT 1 FROM %sbackups AS b WHERE b.id = k.id) ORDER BY k.id;"
	                       "INSERT INTO %sbackups (%s) SELECT %s%s ORDER BY k.id",
	                       book, cols, cols, missing, book, book, cols, cols, missing);
	if (!count || !sql || count_of(ctx, count, a->put_back) != DBC_OK)
		return DBC_ERROR;
	return ctx->host->exec(ctx, sql);
}

static int catalog_carry(dbc_ctx *ctx, const dbc_backup_hooks *env, int64_t *put_back)
{
	bool kept = false, exists = false;
	*put_back = -1;
	if (kept_exists(ctx, &kept) != DBC_OK)
		return DBC_ERROR;
	if (!kept)
		return DBC_OK;
	if (env->catalog_exists && env->catalog_exists(ctx, &exists) != DBC_OK)
		return DBC_ERROR;
	carry_args a = {env, put_back};
	/* a restored file without a catalog gets one as any first backup
	 * would make it (the backup part's bookkeeping) */
	int level = ctx->host->savepoint(ctx);
	if (level < 0)
		return DBC_ERROR;
	if ((!exists && dbc_book_ensure_part(ctx, "backup") != DBC_OK) ||
	    put_back_rows(ctx, &a) != DBC_OK || ctx->host->exec(ctx, "DROP TABLE " KEPT) != DBC_OK) {
		ctx->host->rollback(ctx, level);
		return DBC_ERROR;
	}
	return ctx->host->release(ctx, level);
}

int dbc_call_dbbackup_catalog_keep(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	(void)args;
	int64_t kept = -1;
	int rc = catalog_keep(ctx, dbc_api_engine_of(ctx)->backup, &kept);
	*result = kept >= 0 ? dbc_int(kept) : dbc_null();
	return rc;
}

int dbc_call_dbbackup_catalog_carry(dbc_ctx *ctx, const dbc_value *args, dbc_value *result)
{
	(void)args;
	int64_t put_back = -1;
	int rc = catalog_carry(ctx, dbc_api_engine_of(ctx)->backup, &put_back);
	*result = put_back >= 0 ? dbc_int(put_back) : dbc_null();
	return rc;
}
