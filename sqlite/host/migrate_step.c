/*
 * migrate_step.c — the mark of a dbmigrate_script step running outside a
 * transaction (dbc_migrate_hooks.step_mark, step_unmark, step_live): a
 * write lock (an fcntl open-file-description lock on the whole file) on
 * DB-dbcare-step, a file beside the database, holding the history event's
 * id as text. The kernel lets the lock go with the connection's
 * descriptor: when the step ends, when the connection closes and when its
 * process dies (a kill, a crash). Another connection, of this process or
 * any other of the machine, tells a step running now from one that died by
 * asking whether a write lock is held (F_OFD_GETLK). A database without a
 * file (in memory) has no mark: no other connection can see its history.
 *
 * Only the database's writers can hold the mark (issue 64): a write lock
 * needs the file open for writing (an flock or a read lock, which anyone
 * who can read the file takes, is not asked about), and a file owned by
 * another user than the database's owner, or writable by others, marks
 * nothing: step_live ignores it and step_mark refuses it.
 *
 * Invariant: a connection holds at most one mark (conn->step_mark); its
 * file exists while it is held, and holds its id. The file is removed by
 * the step that ends, before it lets the lock go; a new mark made on a file
 * removed meanwhile is made again on the new one.
 */
#define _GNU_SOURCE /* F_OFD_SETLK, F_OFD_GETLK */
#include "conn.h"
#include "glue.h"
#include "migrate/migrate.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* Whether the open mark file may mark a step: a regular file owned by the
 * database file's owner that others cannot write. */
static bool trusted(int fd, sqlite3 *db)
{
	struct stat m, d;
	const char *file = sqlite3_db_filename(db, "main");
	return fstat(fd, &m) == 0 && S_ISREG(m.st_mode) && file && stat(file, &d) == 0 &&
	       m.st_uid == d.st_uid && !(m.st_mode & S_IWOTH);
}

/* The whole file's open-file-description lock of type type (F_WRLCK,
 * F_RDLCK, F_UNLCK): a request, or a question with F_OFD_GETLK. */
static int whole_file(int fd, int cmd, short *type)
{
	struct flock l = {.l_type = *type, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0, .l_pid = 0};
	int rc = fcntl(fd, cmd, &l);
	*type = l.l_type;
	return rc;
}

/* A write lock on path, waiting up to a second for a step that is ending
 * (its completion committed, its lock not yet let go): *fd, or -1 with
 * errno (EPERM: a file others own or can write). */
static int lock_file(sqlite3 *db, const char *path, int *fd)
{
	for (int tries = 0; tries < 100; tries++) {
		short type = F_WRLCK;
		int f = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
		if (f < 0)
			return -1;
		if (!trusted(f, db)) {
			close(f);
			return errno = EPERM, -1;
		}
		if (whole_file(f, F_OFD_SETLK, &type) == 0) {
			if (still_named(f, path)) {
				*fd = f;
				return 0;
			}
			close(f);
			continue;
		}
		int e = errno;
		close(f);
		if (e != EAGAIN && e != EACCES)
			return errno = e, -1;
		usleep(10000);
	}
	return errno = EAGAIN, -1;
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
	if (!m || lock_file(conn->db, path, &fd) != 0 || ftruncate(fd, 0) != 0 ||
	    pwrite(fd, text, (size_t)len, 0) != len) {
		bool foreign = m && errno == EPERM;
		int rc = dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
		                   "cannot mark migration step %" PRId64 " as running in %s: %s", id, path,
		                   !m        ? "out of memory"
		                   : foreign ? "it is not a regular file of the database's owner, or "
		                               "others can write it"
		                             : strerror(errno));
		dbc_error_hint(ctx, foreign ? "Remove the file (no step of this database runs now when "
		                              "it is not its owner's) and run the script again. Nothing "
		                              "was run."
		                            : "The step runs outside a transaction: its mark, a lock on a "
		                              "file beside the database, tells other connections it is "
		                              "alive. Nothing was run.");
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

/* Live when another descriptor holds a write lock on a trusted mark file
 * that names id. A file that cannot be read tells nothing: not live, as
 * before marks. */
int sqldbc_step_live(dbc_ctx *ctx, int64_t id, bool *live)
{
	sqldbc_conn *conn = sqldbc_call_conn(ctx);
	char text[32];
	short type = F_RDLCK; /* conflicts with a write lock only */
	*live = false;
	if (conn->step_mark && conn->step_mark->id == id)
		return DBC_OK; /* this connection's own step */
	char *path = mark_path(conn->db);
	int fd = path ? open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC) : -1;
	sqlite3_free(path);
	if (fd < 0)
		return DBC_OK;
	if (trusted(fd, conn->db) && whole_file(fd, F_OFD_GETLK, &type) == 0 && type == F_WRLCK) {
		ssize_t n = pread(fd, text, sizeof text - 1, 0);
		if (n > 0) {
			text[n] = '\0';
			*live = strtoll(text, NULL, 10) == id;
		}
	}
	close(fd);
	return DBC_OK;
}
