/*
 * file_sync.c — fsync of a file or directory by its path (file_sync.h).
 */
#include "base/file_sync.h"

#include <errno.h>
#include <fcntl.h>
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
