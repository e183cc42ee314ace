/*
 * backup_scratch.c — the SQLite module's scratch files (core/container,
 * "scratch files"): a sealed backup's plain copy and the copies sealed
 * files are opened into have no name, so a kill -9 leaves no plain byte
 * of them on disk. SQLite reaches such a file, named by its descriptor's
 * path in /proc, through the VFS "dbcare_scratch": the default VFS could
 * not open it (it opens every file with O_NOFOLLOW, and would resolve the
 * link in /proc to the file's former name). Here a scratch name opens a
 * duplicate of its descriptor, read and written with pread and pwrite.
 *
 * Invariants: only the module opens scratch files, one connection at a
 * time (the copy is closed before it is inspected), with the journal off:
 * so the locks are no-ops, and no file beside a scratch name is ever
 * made (one asked for fails; none is said to exist). Any other name is
 * the default VFS's.
 */
#define _XOPEN_SOURCE 700 /* pread, pwrite */
#include "backup/backup.h"
#include "backup_glue.h"
#include "sqlite/host/glue.h"
#include "vfs_base.h"
#include "container/container.h"

#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct scratch_file {
	sqlite3_file base;
	int fd;
} scratch_file;

static int fd_of(sqlite3_file *f)
{
	return ((scratch_file *)f)->fd;
}

static int s_close(sqlite3_file *f)
{
	close(fd_of(f));
	return SQLITE_OK;
}

static int s_read(sqlite3_file *f, void *buf, int amt, sqlite3_int64 off)
{
	size_t got = 0;
	while (got < (size_t)amt) {
		ssize_t k = pread(fd_of(f), (char *)buf + got, (size_t)amt - got, (off_t)off + (off_t)got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return SQLITE_IOERR_READ;
		if (k == 0) {
			memset((char *)buf + got, 0, (size_t)amt - got);
			return SQLITE_IOERR_SHORT_READ;
		}
		got += (size_t)k;
	}
	return SQLITE_OK;
}

static int s_write(sqlite3_file *f, const void *buf, int amt, sqlite3_int64 off)
{
	size_t put = 0;
	while (put < (size_t)amt) {
		ssize_t k =
		    pwrite(fd_of(f), (const char *)buf + put, (size_t)amt - put, (off_t)off + (off_t)put);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return errno == ENOSPC ? SQLITE_FULL : SQLITE_IOERR_WRITE;
		put += (size_t)k;
	}
	return SQLITE_OK;
}

static int s_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	return ftruncate(fd_of(f), (off_t)size) == 0 ? SQLITE_OK : SQLITE_IOERR_TRUNCATE;
}

static int s_size(sqlite3_file *f, sqlite3_int64 *size)
{
	struct stat st;
	if (fstat(fd_of(f), &st) != 0)
		return SQLITE_IOERR_FSTAT;
	*size = (sqlite3_int64)st.st_size;
	return SQLITE_OK;
}

static const sqlite3_io_methods scratch_methods = {
    .iVersion = 1,
    .xClose = s_close,
    .xRead = s_read,
    .xWrite = s_write,
    .xTruncate = s_truncate,
    .xSync = sqldbc_vfs_file_sync,
    .xFileSize = s_size,
    .xLock = sqldbc_vfs_file_lock,
    .xUnlock = sqldbc_vfs_file_lock,
    .xCheckReservedLock = sqldbc_vfs_file_reserved,
    .xFileControl = sqldbc_vfs_file_control,
    .xSectorSize = sqldbc_vfs_file_sector,
    .xDeviceCharacteristics = sqldbc_vfs_file_device,
};

static sqlite3_vfs scratch_vfs;

/* Whether name is a scratch name or one SQLite derives from it (its
 * "-journal", "-wal"). */
static bool scratch_related(const char *name)
{
	return name && strncmp(name, DBC_SCRATCH_PREFIX, strlen(DBC_SCRATCH_PREFIX)) == 0;
}

static int scratch_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out)
{
	sqlite3_vfs *dflt = vfs->pAppData;
	if (!scratch_related(name))
		return dflt->xOpen(dflt, name, f, flags, out);
	f->pMethods = NULL;
	if (!(flags & SQLITE_OPEN_MAIN_DB) || !dbc_scratch_is(name))
		return SQLITE_CANTOPEN; /* nothing is made beside a scratch file */
	int fd = open(name, O_CLOEXEC | (flags & SQLITE_OPEN_READONLY ? O_RDONLY : O_RDWR));
	if (fd < 0)
		return SQLITE_CANTOPEN;
	((scratch_file *)f)->fd = fd;
	f->pMethods = &scratch_methods;
	if (out)
		*out = flags;
	return SQLITE_OK;
}

static int scratch_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	sqlite3_vfs *dflt = vfs->pAppData;
	if (!scratch_related(name))
		return dflt->xAccess(dflt, name, flags, out);
	*out = dbc_scratch_is(name);
	return SQLITE_OK;
}

static int scratch_delete(sqlite3_vfs *vfs, const char *name, int sync)
{
	sqlite3_vfs *dflt = vfs->pAppData;
	return scratch_related(name) ? SQLITE_OK : dflt->xDelete(dflt, name, sync);
}

static int scratch_fullname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	sqlite3_vfs *dflt = vfs->pAppData;
	if (!scratch_related(name))
		return dflt->xFullPathname(dflt, name, n, out);
	sqlite3_snprintf(n, out, "%s", name);
	return SQLITE_OK;
}

static int scratch_last_error(sqlite3_vfs *vfs, int n, char *out)
{
	sqlite3_vfs *d = vfs->pAppData;
	return d->xGetLastError(d, n, out);
}

static const char *register_scratch_vfs(void)
{
	if (!sqlite3_vfs_find("dbcare_scratch")) {
		if (!sqldbc_vfs_over_default(&scratch_vfs, "dbcare_scratch", (int)sizeof(scratch_file)))
			return NULL;
		scratch_vfs.xOpen = scratch_open;
		scratch_vfs.xDelete = scratch_delete;
		scratch_vfs.xAccess = scratch_access;
		scratch_vfs.xFullPathname = scratch_fullname;
		scratch_vfs.xGetLastError = scratch_last_error;
		if (sqlite3_vfs_register(&scratch_vfs, 0) != SQLITE_OK)
			return NULL;
	}
	return "dbcare_scratch";
}

void sqldbc_backup_scratch_unregister(void)
{
	if (scratch_vfs.zName)
		sqlite3_vfs_unregister(&scratch_vfs);
}

/* Registered once per process (not as the default), under an
 * application mutex of SQLite's: two threads taking their first sealed
 * backup at once must not fill the one object together. It leaves the
 * list when the library is unloaded (entry.c). */
const char *sqldbc_backup_vfs_for(const char *path)
{
	if (!dbc_scratch_is(path))
		return NULL;
	sqldbc_app_mutex_enter();
	const char *name = register_scratch_vfs();
	sqldbc_app_mutex_leave();
	return name;
}

/* A copy of a WAL database says so in its header (bytes 18 and 19 are
 * 2), and SQLite would open a -wal file beside it at the next statement,
 * which a scratch file cannot have. The copy's connection is closed, the
 * header made a rollback-journal file's (1 and 1: what journal_mode =
 * DELETE makes of every copy in the end), and the connection opened
 * again with the copy's pragmas. */
int sqldbc_backup_scratch_unwal(dbc_ctx *ctx, sqlite3 **dest, const char *path)
{
	static const unsigned char rollback[2] = {1, 1};
	unsigned char now[2];
	if (sqlite3_close(*dest) != SQLITE_OK)
		return sqldbc_backup_db_error(ctx, *dest, "could not close the backup copy");
	*dest = NULL;
	int fd = open(path, O_RDWR | O_CLOEXEC);
	bool ok = fd >= 0 && pread(fd, now, 2, 18) == 2 &&
	          (memcmp(now, rollback, 2) == 0 || pwrite(fd, rollback, 2, 18) == 2);
	if (fd >= 0)
		close(fd);
	if (!ok)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "could not finish the backup copy: %s",
		                 strerror(errno));
	if (sqlite3_open_v2(path, dest, SQLITE_OPEN_READWRITE, sqldbc_backup_vfs_for(path)) !=
	        SQLITE_OK ||
	    sqlite3_exec(*dest, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF", NULL, NULL,
	                 NULL) != SQLITE_OK)
		return sqldbc_backup_db_error(ctx, *dest, "could not open the backup copy again");
	return DBC_OK;
}

int sqldbc_backup_make_scratch(dbc_ctx *ctx, const char *path, char **scratch_path)
{
	char buf[DBC_SCRATCH_PATH_MAX];
	if (dbc_scratch_create(path, false, buf) != 0)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE,
		                 "could not create a scratch file beside %s: %s", path, strerror(errno));
	*scratch_path = dbc_strdup(ctx, buf);
	if (!*scratch_path)
		dbc_scratch_close(buf);
	return *scratch_path ? DBC_OK : DBC_ERROR;
}
