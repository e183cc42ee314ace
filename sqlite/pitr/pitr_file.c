/*
 * pitr_file.c — the one way a file of a point-in-time log is opened to be
 * read (pitr_log.h): a segment, its log-<seq>.json, a base, log.identity,
 * log.progress. The log's directory is an input others may write: a name
 * there may be a symbolic link (to /dev/zero: a read without end), a FIFO
 * (an open that waits for a writer for ever) or a device. Every reader of
 * the log, in the module and in the command, opens through here:
 * O_NOFOLLOW (a link is refused, never followed), O_NONBLOCK (opening a
 * FIFO returns at once) and fstat of what was opened (a regular file or
 * nothing). What is read of it is bounded by its recorded size where the
 * log records one (pitr_file_sha256).
 *
 * Built three ways (Makefile): into the SQLite module; with
 * DBC_PITR_LINKED into the command (PITR_SHARED); into the fuzz targets
 * (FUZZ_OBJS). It calls no SQLite routine, so nothing in it differs.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "pitr_log.h"

#include "base/sha256.h"
#include "container/container.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The errno of a name that is no regular file (a FIFO, a device, a
 * directory, a socket): Linux has no EFTYPE. */
#define PITR_ENOTREG ENODEV

int pitr_file_open(const char *path, off_t *size)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	struct stat st;
	int err = 0;
	if (fstat(fd, &st) != 0)
		err = errno;
	else if (!S_ISREG(st.st_mode))
		err = PITR_ENOTREG;
	else if (fcntl(fd, F_SETFL, O_RDONLY) != 0) /* a regular file: reads block as usual */
		err = errno;
	if (err) {
		close(fd);
		errno = err;
		return -1;
	}
	if (size)
		*size = st.st_size;
	return fd;
}

FILE *pitr_file_fopen(const char *path)
{
	int fd = pitr_file_open(path, NULL);
	FILE *f = fd >= 0 ? fdopen(fd, "rb") : NULL;
	if (fd >= 0 && !f) {
		int err = errno;
		close(fd);
		errno = err;
	}
	return f;
}

const char *pitr_file_strerror(int err)
{
	if (err == ELOOP)
		return "it is a symbolic link (a log's files are read only as regular files, never "
		       "through a link: put the file itself there)";
	if (err == PITR_ENOTREG)
		return "it is not a regular file (a FIFO, device or directory in the log's place: put "
		       "the log's own file back)";
	if (err == EFBIG)
		return "it is larger than the log records (it was changed or grown after it was "
		       "written: put the log's own file back)";
	return strerror(err);
}

typedef struct bounded {
	off_t left; /* bytes still allowed */
	bool over;  /* the file went past them */
	dbc_file_chunk_fn each;
	void *arg;
} bounded;

static int bounded_chunk(dbc_ctx *ctx, void *arg, const unsigned char *chunk, size_t n)
{
	bounded *b = arg;
	if ((off_t)n > b->left) {
		b->over = true;
		return DBC_ERROR;
	}
	b->left -= (off_t)n;
	return b->each ? b->each(ctx, b->arg, chunk, n) : DBC_OK;
}

int pitr_file_sha256(const dbc_host *host, const char *path, off_t limit, dbc_file_chunk_fn each,
                     void *arg, char hex[65])
{
	off_t size;
	int fd = pitr_file_open(path, &size);
	if (fd < 0)
		return -1;
	if (limit >= 0 && size > limit) {
		close(fd);
		errno = EFBIG;
		return -1;
	}
	/* the file may grow after fstat: the digest stops past limit all the same */
	bounded b = {limit >= 0 ? limit : size, false, each, arg};
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, host, NULL);
	errno = 0;
	int rc = dbc_file_sha256(&ctx, fd, path, bounded_chunk, &b, hex);
	int err = rc == DBC_OK ? 0 : b.over ? EFBIG : errno ? errno : EIO;
	dbc_ctx_finish(&ctx);
	close(fd);
	errno = err;
	return rc == DBC_OK ? 0 : -1;
}

json_t *pitr_file_json(const char *path, json_error_t *err)
{
	int fd = pitr_file_open(path, NULL);
	if (fd < 0) {
		int e = errno;
		if (err)
			snprintf(err->text, sizeof err->text, "%s", pitr_file_strerror(e));
		errno = e;
		return NULL;
	}
	json_t *doc = json_loadfd(fd, 0, err);
	close(fd);
	errno = doc ? 0 : EINVAL; /* read, not JSON */
	return doc;
}

int pitr_dir_trusted(const char *dir, char *why, size_t len)
{
	struct stat st;
	if (stat(dir, &st) != 0) {
		snprintf(why, len, "cannot read the log folder %s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(why, len, "the log folder %s is not a folder", dir);
		return -1;
	}
	if (!dbc_others_can_replace(&st))
		return 0;
	if (st.st_uid != geteuid() && st.st_uid != 0)
		snprintf(why, len,
		         "the log folder %s belongs to another user (uid %ld), who could block the "
		         "capture and choose what a restore reads (use a folder of your own: chown it to "
		         "the user that captures and restores, and chmod go-w it)",
		         dir, (long)st.st_uid);
	else
		snprintf(why, len,
		         "the log folder %s can be written by other users (mode %04o), who could block "
		         "the capture and choose what a restore reads (chmod go-w it)",
		         dir, (unsigned)(st.st_mode & 07777));
	return -1;
}
