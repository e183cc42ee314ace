/*
 * backup_stamp.c — the stamp: the proof of origin every full copy carries
 * inside itself, written as the copy ends and read before prune deletes.
 *
 * The catalog is a table of the database: a hostile file's rows can name
 * any path with any fingerprint (the schema of a database is easy to learn).
 * What makes a file deletable is in the file itself: every copy gets a
 * table STAMP_TABLE with one row, the canonical path of the database it
 * copies and the canonical path it is published under. Prune deletes a file
 * only when that row names the database prune runs on and the path the
 * catalog row names; a database that was not copied by this module has no
 * such row, and another database's copy names another database.
 */
#include "backup_glue.h"

#include <string.h>

static int exec_text(sqlite3 *db, const char *sql, const char *a, const char *b)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	if (a)
		sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
	if (b)
		sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Replaces whatever the copy has under the stamp's name (a database
 * restored from a copy has a stamp of its own) by this copy's stamp. */
int sqldbc_backup_write_stamp(dbc_ctx *ctx, sqlite3 *dest, const char *database, const char *path)
{
	sqlite3_db_config(dest, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(dest, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(dest,
	                            "SELECT upper(type), name FROM main.sqlite_schema"
	                            " WHERE name = '" STAMP_TABLE "' COLLATE NOCASE",
	                            -1, &st, NULL);
	char *drop = NULL;
	if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		drop = sqlite3_mprintf("DROP %s main.\"%w\"", (const char *)sqlite3_column_text(st, 0),
		                       (const char *)sqlite3_column_text(st, 1));
	sqlite3_finalize(st);
	if (rc == SQLITE_OK && drop)
		rc = exec_text(dest, drop, NULL, NULL);
	sqlite3_free(drop);
	if (rc == SQLITE_OK)
		rc = exec_text(dest,
		               "CREATE TABLE main." STAMP_TABLE
		               " (source_database TEXT NOT NULL, backup_path TEXT NOT NULL)",
		               NULL, NULL);
	if (rc == SQLITE_OK)
		rc = exec_text(dest, "INSERT INTO main." STAMP_TABLE " VALUES (?1, ?2)", database, path);
	return rc == SQLITE_OK ? DBC_OK
	                       : sqldbc_backup_db_error(ctx, dest, "could not stamp the backup copy");
}

/* Whether db (a file opened read-only) carries the stamp of a copy of
 * database published as path. */
bool sqldbc_backup_stamped(sqlite3 *db, const char *database, const char *path)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db,
	                       "SELECT count(*), min(source_database), min(backup_path)"
	                       " FROM main." STAMP_TABLE,
	                       -1, &st, NULL) != SQLITE_OK)
		return false; /* no stamp table: not a copy this module made */
	bool ok = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) == 1 &&
	          sqlite3_column_type(st, 1) == SQLITE_TEXT &&
	          sqlite3_column_type(st, 2) == SQLITE_TEXT && database[0] &&
	          strcmp((const char *)sqlite3_column_text(st, 1), database) == 0 &&
	          strcmp((const char *)sqlite3_column_text(st, 2), path) == 0;
	sqlite3_finalize(st);
	return ok;
}
