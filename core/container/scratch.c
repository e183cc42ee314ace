/*
 * scratch.c — files without a name for the plain bytes of sealed backups
 * (container.h, "scratch files"). Invariant: no scratch file ever has a
 * name that holds a byte: with O_TMPFILE it never has one; without, its
 * name is removed before anything is written to it.
 *
 * why (raw heap: this file has no dbc_ctx, the command links it too).
 */
#define _GNU_SOURCE /* O_TMPFILE */
#include "container/container.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The directory part of path ("." when it has none), into buf. */
static int dir_of(const char *path, char *buf, size_t n)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return snprintf(buf, n, ".") < (int)n ? 0 : -1;
	if (slash == path)
		return snprintf(buf, n, "/") < (int)n ? 0 : -1;
	if ((size_t)(slash - path) >= n)
		return -1;
	memcpy(buf, path, (size_t)(slash - path));
	buf[slash - path] = '\0';
	return 0;
}

/* Without O_TMPFILE: a new name beside near, unlinked before it is used. */
static int named_then_unlinked(const char *near, int cloexec)
{
	size_t n = strlen(near) + sizeof ".tmp-XXXXXX";
	char *t = malloc(n);
	if (!t) {
		errno = ENOMEM;
		return -1;
	}
	snprintf(t, n, "%s.tmp-XXXXXX", near);
	int fd = mkostemp(t, cloexec);
	if (fd >= 0 && unlink(t) != 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		fd = -1;
	}
	free(t);
	return fd;
}

int dbc_scratch_create(const char *near, bool inherit, char out[DBC_SCRATCH_PATH_MAX])
{
	char dir[4096];
	int cloexec = inherit ? 0 : O_CLOEXEC;
	if (dir_of(near, dir, sizeof dir) != 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int fd = -1;
#ifdef O_TMPFILE
	fd = open(dir, O_TMPFILE | O_EXCL | O_RDWR | cloexec, 0600);
	if (fd < 0 && errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL && errno != ENOENT)
		return -1;
#endif
	if (fd < 0)
		fd = named_then_unlinked(near, cloexec);
	if (fd < 0)
		return -1;
	snprintf(out, DBC_SCRATCH_PATH_MAX, DBC_SCRATCH_PREFIX "%d", fd);
	return 0;
}

/* The descriptor a scratch path names; -1 when it names none. */
static int scratch_fd(const char *path)
{
	size_t n = strlen(DBC_SCRATCH_PREFIX);
	if (!path || strncmp(path, DBC_SCRATCH_PREFIX, n) != 0 || !path[n])
		return -1;
	char *end;
	long fd = strtol(path + n, &end, 10);
	return *end || fd < 0 || fd > 1 << 30 ? -1 : (int)fd;
}

bool dbc_scratch_temp_name(const char *name)
{
	size_t n = strlen(name);
	if (n < 12 || strncmp(name + n - 11, ".tmp-", 5) != 0)
		return false;
	for (size_t i = n - 6; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') ||
		      (name[i] >= '0' && name[i] <= '9')))
			return false;
	return true;
}

bool dbc_scratch_is(const char *path)
{
	return scratch_fd(path) >= 0;
}

int dbc_scratch_open_flags(const char *path, int flags)
{
	return dbc_scratch_is(path) ? flags & ~(O_NOFOLLOW | O_EXCL) : flags;
}

int dbc_scratch_close(const char *path)
{
	int fd = scratch_fd(path);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

int dbc_scratch_create_linkable(const char *near, char **out)
{
	char dir[4096];
	*out = NULL;
	if (dir_of(near, dir, sizeof dir) != 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int fd = -1;
#ifdef O_TMPFILE
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0 && errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL && errno != ENOENT)
		return -1;
#endif
	size_t n = strlen(near) + sizeof ".tmp-XXXXXX" + DBC_SCRATCH_PATH_MAX;
	char *t = malloc(n);
	if (!t) {
		if (fd >= 0)
			close(fd);
		errno = ENOMEM;
		return -1;
	}
	if (fd >= 0) {
		snprintf(t, n, DBC_SCRATCH_PREFIX "%d", fd);
	} else {
		snprintf(t, n, "%s.tmp-XXXXXX", near);
		fd = mkostemp(t, O_CLOEXEC);
		if (fd < 0) {
			int saved = errno;
			free(t);
			errno = saved;
			return -1;
		}
		close(fd);
	}
	*out = t;
	return 0;
}

int dbc_scratch_link(const char *tmp, const char *path)
{
	return linkat(AT_FDCWD, tmp, AT_FDCWD, path, AT_SYMLINK_FOLLOW);
}

void dbc_scratch_release(const char *tmp)
{
	if (dbc_scratch_close(tmp) != 0)
		unlink(tmp);
}
