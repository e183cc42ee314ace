/*
 * sqlite_restore.c — the SQLite driver's restore: SQLite's online backup
 * API copies a (verified) backup file into the open database, page by
 * page, inside the destination's own write transaction: all or nothing
 * through its journal (rollback or WAL), and every other connection that
 * has the database open sees the restored content at its next
 * transaction. A rename of a new file over the old one would leave such
 * connections writing to the replaced file (their open descriptor) and
 * would have to delete the -wal and -shm files by hand; the copy has
 * neither problem. It waits (up to about 10 s) while another connection
 * holds a lock, then fails with nothing changed.
 *
 * The backup catalog (dbcare_backups) is a table of the database, so the
 * copy would bring back the catalog of the backup's moment: the backups
 * taken after it and the safety copy taken just before the restore would
 * drop out of it, and prune would never delete them. The catalog before
 * the restore is kept in a TEMP table (the temp database is not copied
 * over) and its rows the restored catalog lacks are put back afterwards.
 */
#include "driver.h"

#include "container/container.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *fmt_err(const char *what, const char *why)
{
	char *s = NULL;
	if (asprintf(&s, "dbcare: %s: %s; the database is unchanged", what, why) < 0)
		return NULL;
	return s;
}

#define KEPT "temp.dbcare_restore_catalog"

/* The catalog's rows as they are before the restore, and the statements
 * that make the catalog (for a restored file that has none); 1 when there
 * is a catalog to keep. */
static int keep_catalog(sqlite3 *dst, char **create)
{
	sqlite3_stmt *st;
	*create = NULL;
	if (sqlite3_table_column_metadata(dst, "main", "dbcare_backups", "path", NULL, NULL, NULL, NULL,
	                                  NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_exec(dst,
	                 "DROP TABLE IF EXISTS " KEPT "; CREATE TEMP TABLE dbcare_restore_catalog"
	                 " AS SELECT * FROM main.dbcare_backups",
	                 NULL, NULL, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(dst,
	                       "SELECT group_concat(sql, ';') FROM main.sqlite_schema"
	                       " WHERE tbl_name = 'dbcare_backups' AND sql IS NOT NULL",
	                       -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		*create = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return 1;
}

/* Puts back the kept rows the restored catalog lacks (same path and time),
 * in the columns both layouts have, new ids given by the table. */
static int merge_catalog(sqlite3 *dst, const char *create)
{
	sqlite3_stmt *st;
	char *cols = NULL, *sql = NULL;
	int rc = SQLITE_OK;
	if (sqlite3_table_column_metadata(dst, "main", "dbcare_backups", "path", NULL, NULL, NULL, NULL,
	                                  NULL) != SQLITE_OK)
		rc = create ? sqlite3_exec(dst, create, NULL, NULL, NULL) : SQLITE_ERROR;
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(dst,
		                        "SELECT group_concat('\"' || replace(m.name, '\"', '\"\"') || '\"',"
		                        " ', ') FROM pragma_table_info('dbcare_backups', 'main') AS m"
		                        " WHERE m.name <> 'id' AND m.name IN (SELECT name FROM"
		                        " pragma_table_info('dbcare_restore_catalog', 'temp'))",
		                        -1, &st, NULL);
	if (rc == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
			cols = strdup((const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
	}
	/* a row keeps its id where the restored catalog has it free: an
	 * incremental backup's row names its base by id (base_id) */
	if (rc == SQLITE_OK && cols &&
	    asprintf(&sql,
	             "INSERT INTO main.dbcare_backups (id, %s) SELECT k.id, %s FROM " KEPT " AS k"
	             " WHERE NOT EXISTS (SELECT 1 FROM main.dbcare_backups AS b"
	             " WHERE b.path = k.path AND b.created_at = k.created_at)"
	             " AND NOT EXISTS (SELECT 1 FROM main.dbcare_backups AS b WHERE b.id = k.id)"
	             " ORDER BY k.id;"
	             "INSERT INTO main.dbcare_backups (%s) SELECT %s FROM " KEPT " AS k"
	             " WHERE NOT EXISTS (SELECT 1 FROM main.dbcare_backups AS b"
	             " WHERE b.path = k.path AND b.created_at = k.created_at) ORDER BY k.id",
	             cols, cols, cols, cols) < 0)
		sql = NULL;
	if (rc == SQLITE_OK)
		rc = sql ? sqlite3_exec(dst, sql, NULL, NULL, NULL) : SQLITE_NOMEM;
	free(cols);
	free(sql);
	return rc;
}

int cli_sqlite_restore(cli_db *db, const char *path, char **err)
{
	sqlite3 *dst = db->handle, *src = NULL;
	char *create = NULL;
	int kept = keep_catalog(dst, &create);
	if (kept < 0) {
		*err = fmt_err("cannot keep the backup catalog", sqlite3_errmsg(dst));
		return -1;
	}
	/* a scratch image (an incremental or sealed backup's) is reached with
	 * the VFS the module registered when it wrote it */
	const char *vfs = dbc_scratch_is(path) ? "dbcare_scratch" : NULL;
	if (sqlite3_open_v2(path, &src, SQLITE_OPEN_READONLY, vfs) != SQLITE_OK) {
		*err = fmt_err("cannot open the backup", src ? sqlite3_errmsg(src) : "out of memory");
		sqlite3_close_v2(src);
		return -1;
	}
	sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
	if (!b) {
		*err = fmt_err("cannot restore", sqlite3_errmsg(dst));
		sqlite3_close_v2(src);
		return -1;
	}
	int rc;
	for (int tries = 0;; tries++) {
		rc = sqlite3_backup_step(b, -1);
		if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) || tries >= 100)
			break;
		nanosleep(&(struct timespec){0, 100000000}, NULL);
	}
	sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		*err = fmt_err("cannot restore", sqlite3_errstr(rc));
		sqlite3_close_v2(src);
		free(create);
		return -1;
	}
	sqlite3_close_v2(src);
	int out = 0;
	if (kept && merge_catalog(dst, create) != SQLITE_OK) {
		char *s = NULL;
		if (asprintf(&s,
		             "dbcare: restored, but the backups catalogued before the restore could "
		             "not be put back into the restored catalog: %s",
		             sqlite3_errmsg(dst)) >= 0)
			*err = s;
		out = -1;
	}
	if (kept)
		sqlite3_exec(dst, "DROP TABLE IF EXISTS " KEPT, NULL, NULL, NULL);
	free(create);
	return out;
}
