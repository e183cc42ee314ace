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
 */
#include "driver.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static char *fmt_err(const char *what, const char *why)
{
	char *s = NULL;
	if (asprintf(&s, "dbcare: %s: %s; the database is unchanged", what, why) < 0)
		return NULL;
	return s;
}

int cli_sqlite_restore(cli_db *db, const char *path, char **err)
{
	sqlite3 *dst = db->handle, *src = NULL;
	if (sqlite3_open_v2(path, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
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
		return -1;
	}
	sqlite3_close_v2(src);
	return 0;
}
