/*
 * migrate_step.c — the mark of a dbmigrate_script step running outside a
 * transaction (dbc_migrate_hooks.step_mark, step_unmark, step_live): an
 * flock on DB-dbcare-step, a file beside the database, holding the history
 * event's id as text. The kernel lets the lock go with the connection's
 * descriptor: when the step ends, when the connection closes and when its
 * process dies (a kill, a crash). Another connection, of this process or
 * any other of the machine, tells a step running now from one that died by
 * trying a shared lock on the file. A database without a file (in memory)
 * has no mark: no other connection can see its history.
 *
 * Invariant: a connection holds at most one mark (conn->step_mark); its
 * file exists while it is held, and holds its id. The file is removed by
 * the step that ends, before it lets the lock go; a new mark made on a file
 * removed meanwhile is made again on the new one.
 */
#define _GNU_SOURCE /* flock */
#include "conn.h"
#include "glue.h"
#include "migrate/migrate.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

struct sqldbc_step_mark {
	int fd;
	int64_t id;
	char *path; /* sqlite3_malloc'd */
};

/* The mark file of db's main database, sqlite3_malloc'd; NULL for a
 * database without a file. */
static char *mark_path(sqlite3 *db)
{
	const char *file = sqlite3_db_filename(db, "main");
	if (!file || !file[0])
		return NULL;
	return sqlite3_mprintf("%s-dbcare-step", file);
}

void sqldbc_step_mark_close(sqldbc_conn *conn, bool ended)
{
	struct sqldbc_step_mark *m = conn->step_mark;
	if (!m)
		return;
	if (ended)
		unlink(m->path);
	close(m->fd);
	sqlite3_free(m->path);
	sqlite3_free(m);
	conn->step_mark = NULL;
}

/* fd locked: is it still the file at path (not one an ended step removed)? */
static bool still_named(int fd, const char *path)
{
	struct stat a, b;
	return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

/* An exclusive lock on path, waiting up to a second for a step that is
 * ending (its completion committed, its lock not yet let go): *fd, or -1
 * with errno. */
static int lock_file(const char *path, int *fd)
{
	for (int tries = 0; tries < 100; tries++) {
		int f = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (f < 0)
			return -1;
		if (flock(f, LOCK_EX | LOCK_NB) == 0) {
			if (still_named(f, path)) {
				*fd = f;
				return 0;
			}
			close(f);
			continue;
		}
		int e = errno;
		close(f);
		if (e != EWOULDBLOCK)
			return errno = e, -1;
		usleep(10000);
	}
	return errno = EWOULDBLOCK, -1;
}

int sqldbc_step_mark(dbc_ctx *ctx, int64_t id)
{
	sqldbc_conn *conn = sqldbc_call_conn(ctx);
	char *path = mark_path(conn->db);
	char text[32];
	int fd = -1;
	sqldbc_step_mark_close(conn, false); /* an earlier step that never ended */
	if (!path)
		return DBC_OK;
	int len = snprintf(text, sizeof text, "%" PRId64 "\n", id);
	struct sqldbc_step_mark *m = sqlite3_malloc(sizeof(*m));
	if (!m || lock_file(path, &fd) != 0 || ftruncate(fd, 0) != 0 ||
	    pwrite(fd, text, (size_t)len, 0) != len) {
		int rc = dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
		                   "cannot mark migration step %" PRId64 " as running in %s: %s", id, path,
		                   m ? strerror(errno) : "out of memory");
		dbc_error_hint(ctx, "The step runs outside a transaction: its mark, a lock on a file "
		                    "beside the database, tells other connections it is alive. Nothing "
		                    "was run.");
		if (fd >= 0)
			close(fd);
		sqlite3_free(m);
		sqlite3_free(path);
		return rc;
	}
	*m = (struct sqldbc_step_mark){fd, id, path};
	conn->step_mark = m;
	return DBC_OK;
}

void sqldbc_step_unmark(dbc_ctx *ctx, int64_t id)
{
	sqldbc_conn *conn = sqldbc_call_conn(ctx);
	if (conn->step_mark && conn->step_mark->id == id)
		sqldbc_step_mark_close(conn, true);
}

/* Live when another descriptor holds the lock and the file names id. A
 * file that cannot be read tells nothing: not live, as before marks. */
int sqldbc_step_live(dbc_ctx *ctx, int64_t id, bool *live)
{
	sqldbc_conn *conn = sqldbc_call_conn(ctx);
	char text[32];
	*live = false;
	if (conn->step_mark && conn->step_mark->id == id)
		return DBC_OK; /* this connection's own step */
	char *path = mark_path(conn->db);
	int fd = path ? open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) : -1;
	sqlite3_free(path);
	if (fd < 0)
		return DBC_OK;
	if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
		flock(fd, LOCK_UN);
	} else if (errno == EWOULDBLOCK) {
		ssize_t n = pread(fd, text, sizeof text - 1, 0);
		if (n > 0) {
			text[n] = '\0';
			*live = strtoll(text, NULL, 10) == id;
		}
	}
	close(fd);
	return DBC_OK;
}
