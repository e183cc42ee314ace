/*
 * backup_row_file.c — the file a catalog row names: whether it is there
 * (the hook exists) and whether it is this database's backup published
 * under that path, which prune may delete (the hook is_backup).
 */
#include "base/sha256.h"
#include "backup_glue.h"
#include "sqlite/host/glue.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int sqldbc_backup_is_backup(dbc_ctx *ctx, const char *path, const char *fingerprint, bool *is,
                            bool *missing)
{
	struct stat st;
	*is = *missing = false;
	/* a relative row (recorded before paths were resolved) names no one
	 * file: never deleted */
	if (path[0] != '/')
		return DBC_OK;
	if (lstat(path, &st) != 0) {
		*missing = errno == ENOENT;
		return DBC_OK;
	}
	if (!S_ISREG(st.st_mode) || !fingerprint)
		return DBC_OK;
	char *identity = sqldbc_backup_identity(ctx, sqldbc_call_conn(ctx)->db);
	if (!identity)
		return DBC_ERROR;
	/* an incremental backup: the proof of origin is in its header (its
	 * pages hold no schema of their own to compare) */
	char *database, *published;
	/* a sealed backup: the proof is in its header, readable without the key */
	if (sqldbc_backup_sealed_is_own(ctx, path, is))
		return ctx->failed ? DBC_ERROR : DBC_OK;
	if (sqldbc_pageset_stamp(ctx, path, &database, &published)) {
		*is = identity[0] && strcmp(database, identity) == 0 && strcmp(published, path) == 0;
		return DBC_OK;
	}
	sqlite3 *db = NULL;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOFOLLOW, NULL) ==
	    SQLITE_OK) {
		dbc_buf schema;
		dbc_buf_init(&schema, ctx);
		char hex[DBC_SHA256_HEX_LEN + 1];
		if (sqldbc_backup_stamped(db, identity, path) &&
		    sqldbc_backup_rows_text(db, FINGERPRINT_SQL, &schema, NULL) == SQLITE_OK) {
			char *text = dbc_buf_finish(&schema);
			*is = text && dbc_sha256_hex(ctx, text, strlen(text), hex) == DBC_OK &&
			      strcmp(hex, fingerprint) == 0;
		}
	}
	sqlite3_close(db);
	return ctx->failed ? DBC_ERROR : DBC_OK;
}

/* A relative row is looked for beside the database file, never in the
 * process's working directory. */
bool sqldbc_backup_exists(dbc_ctx *ctx, const char *path)
{
	struct stat st;
	if (path[0] != '/') {
		char *identity = sqldbc_backup_identity(ctx, sqldbc_call_conn(ctx)->db);
		char *dir = identity && identity[0] ? sqldbc_backup_dir_of(ctx, identity) : NULL;
		if (!dir)
			return false;
		path = dbc_printf(ctx, "%s/%s", dir, path);
		if (!path)
			return false;
	}
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}
