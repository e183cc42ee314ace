/*
 * backup_hooks.c — core/backup's dbc_backup_hooks on SQLite, on top of the
 * files that implement them: the copy (backup_copy.c, backup_incr.c), the
 * read back (backup_readback.c), the target (backup_target.c), the names
 * (backup_paths.c), publish and remove (backup_publish.c), the catalog
 * row's file (backup_row_file.c), the sweep (backup_sweep.c), the catalog
 * (backup_catalog_ask.c), scratch, seal, page sets and the drill.
 */
#include "backup_glue.h"

/* dbbackup_content(): the main database's tables, read as a full
 * backup reads its source (the calling statement's read is the snapshot),
 * without windows. */
static int read_content(dbc_ctx *ctx, dbc_backup_image *img)
{
	sqlite3 *db = sqldbc_call_conn(ctx)->db;
	int rc = SQLITE_OK;
	img->content_version = SQLDBC_CONTENT_VERSION;
	if (sqldbc_backup_read_tables(ctx, db, 0, sqldbc_backup_read_whole, NULL, img, &rc) == DBC_OK)
		return DBC_OK;
	return ctx->failed ? DBC_ERROR
	                   : sqldbc_backup_rc_error(ctx, db, rc, "could not read the tables' content");
}

const dbc_backup_hooks sqldbc_backup_hooks = {
    .catalog_exists = sqldbc_backup_catalog_exists,
    .database_name = sqldbc_backup_database_name,
    .check_target = sqldbc_backup_check_target,
    .canonical = sqldbc_backup_canonical,
    .copy = sqldbc_backup_copy,
    .inspect = sqldbc_backup_inspect,
    .publish = sqldbc_backup_publish,
    .remove = sqldbc_backup_remove,
    .exists = sqldbc_backup_exists,
    .is_backup = sqldbc_backup_is_backup,
    .make_temp = sqldbc_backup_make_temp,
    .make_scratch = sqldbc_backup_make_scratch,
    .sweep_temps = sqldbc_backup_sweep_temps,
    .records_file_sha256 = sqldbc_backup_records_file_sha256,
    .records_content = sqldbc_backup_records_content,
    .copy_changed = sqldbc_backup_copy_changed,
    .materialize = sqldbc_backup_materialize,
    .store_pages = sqldbc_backup_store_pages,
    .check_pages = sqldbc_backup_check_pages,
    .pageset_base = sqldbc_pageset_base,
    .pageset_record = sqldbc_pageset_record,
    .seal = sqldbc_backup_seal,
    .is_sealed = sqldbc_backup_is_sealed,
    .unseal = sqldbc_backup_unseal,
    .sealed_plain_sha256 = sqldbc_backup_sealed_plain_sha256,
    .origin_mismatch = sqldbc_backup_origin_mismatch,
    .foreign_key_check = sqldbc_backup_fk_check,
    .read_content = read_content,
};

void sqldbc_backup_register(dbc_api_hooks *api)
{
	api->backup = &sqldbc_backup_hooks;
}
