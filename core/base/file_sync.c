/*
 * file_sync.c — fsync of a file or directory by its path (file_sync.h).
 */
#include "base/file_sync.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

int dbc_sync_path(const char *path, int flags)
{
	int fd = open(path, flags);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	int saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

int dbc_sync_dir_of(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	if (!slash)
		return dbc_sync_path(".", O_RDONLY | O_DIRECTORY);
	size_t n = slash == path ? 1 : (size_t)(slash - path); /* "/name": the root */
	if (n >= sizeof dir) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(dir, path, n);
	dir[n] = '\0';
	return dbc_sync_path(dir, O_RDONLY | O_DIRECTORY);
}
