/*
 * backup_catalog_ask.c — what the backups ask of the SQLite catalog's
 * shape: whether it exists, and whether it has the columns of later
 * bookkeeping versions (a catalog upgraded by the next changing call).
 */
#include "backup_glue.h"
#include "sqlite/host/glue.h"

/* A catalog made before the column existed has none until the next
 * changing call upgrades it; its rows read as recording no file SHA-256. */
bool sqldbc_backup_records_file_sha256(dbc_ctx *ctx)
{
	return ctx->host->book_has_column(ctx, "dbcare_backups", "sha256");
}

/* The same for version 7's columns: the per-table content, the method,
 * the base and the page hashes (made together; the last one is asked). */
bool sqldbc_backup_records_content(dbc_ctx *ctx)
{
	return ctx->host->book_has_column(ctx, "dbcare_backups", "page_hashes");
}

int sqldbc_backup_catalog_exists(dbc_ctx *ctx, bool *exists)
{
	return sqldbc_table_probe(ctx, "main", "dbcare_backups", NULL, exists);
}
