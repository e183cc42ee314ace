/*
 * backup_drill.c — the engine's check of a restore drill (core/backup/
 * backup_drill.c) beyond the storage check inspect runs: the rows of the
 * restored image whose foreign key references no row. PRAGMA
 * foreign_key_check checks every declared key whatever the foreign_keys
 * setting (SQLite's default leaves them unenforced, so a file can hold
 * such rows and back them up faithfully: the drill says so).
 */
#include "backup_glue.h"

#include <string.h>

int sqldbc_backup_fk_check(dbc_ctx *ctx, const char *path, int64_t *violations, char **first)
{
	*violations = 0;
	*first = NULL;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, sqldbc_backup_vfs_for(path)) !=
	        SQLITE_OK ||
	    sqlite3_prepare_v2(db, "PRAGMA main.foreign_key_check", -1, &st, NULL) != SQLITE_OK) {
		int rc = sqldbc_backup_db_error(
		    ctx, db, dbc_printf(ctx, "cannot run the foreign-key check on the restored copy"));
		sqlite3_close(db);
		return rc == DBC_OK ? DBC_ERROR : rc;
	}
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *table = sqlite3_column_text(st, 0);
		if (!*first && table && !(*first = dbc_strdup(ctx, (const char *)table)))
			break;
		(*violations)++;
		if ((*violations & 1023) == 0 && ctx->host->interrupted(ctx))
			break;
	}
	int rc = step == SQLITE_DONE ? DBC_OK
	         : ctx->failed       ? DBC_ERROR
	                             : sqldbc_backup_db_error(ctx, db, "the foreign-key check failed");
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc == DBC_OK ? DBC_OK : DBC_ERROR;
}
