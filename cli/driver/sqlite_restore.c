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
 * The backup catalog is a table of the database, so the copy would bring
 * back the catalog of the backup's moment; the module carries it across
 * (dbbackup_catalog_keep before the copy, dbbackup_catalog_carry after it:
 * core/backup/backup_restore_carry.c), and this file only calls it.
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

/* The error of the module's call that just failed, without its "dbcare: ". */
static const char *call_error(cli_db *db)
{
	const char *m = db->error.message ? db->error.message : "the call failed";
	return strncmp(m, "dbcare: ", 8) == 0 ? m + 8 : m;
}

/* Copies the backup at path over the open database, all or nothing;
 * 0, or -1 with *err. */
static int copy_over(sqlite3 *dst, const char *path, char **err)
{
	sqlite3 *src = NULL;
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
	sqlite3_close_v2(src);
	if (rc != SQLITE_DONE) {
		*err = fmt_err("cannot restore", sqlite3_errstr(rc));
		return -1;
	}
	return 0;
}

/* The catalog is kept before the copy and carried after it; after a copy
 * that failed (the database unchanged) the carry puts back nothing and
 * only drops the kept copy. */
int cli_sqlite_restore(cli_db *db, const char *path, char **err)
{
	if (db->drv->query(db, "SELECT dbbackup_catalog_keep()", 0, NULL, NULL) != 0) {
		*err = fmt_err("cannot keep the backup catalog", call_error(db));
		return -1;
	}
	if (copy_over(db->handle, path, err) != 0) {
		db->drv->query(db, "SELECT dbbackup_catalog_carry()", 0, NULL, NULL);
		return -1;
	}
	if (db->drv->query(db, "SELECT dbbackup_catalog_carry()", 0, NULL, NULL) == 0)
		return 0;
	char *s = NULL;
	if (asprintf(&s,
	             "dbcare: restored, but the backups catalogued before the restore could not be "
	             "put back into the restored catalog: %s",
	             call_error(db)) >= 0)
		*err = s;
	return -1;
}
