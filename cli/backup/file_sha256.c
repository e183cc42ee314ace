/*
 * file_sha256.c — the SHA-256 of a file for the command (a dump of any size
 * in constant memory): the core's file digest (base/sha256.h, its one
 * home) over the command's memory-only host, errors as errno; and the
 * file against the SHA-256 its row recorded, judged by the core.
 */
#include "pg_backup.h"
#include "cli/common/files.h"

#include "backup/backup_content.h"
#include "base/sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

int cli_file_sha256(const char *path, char hex[65])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, cli_text_host(), NULL);
	errno = 0;
	int rc = dbc_file_sha256(&ctx, fd, path, NULL, NULL, hex);
	/* a read's own errno, else what failed was memory or libcrypto */
	int err = rc == DBC_OK ? 0 : errno ? errno : EIO;
	dbc_ctx_finish(&ctx);
	close(fd);
	errno = err;
	return rc == DBC_OK ? 0 : -1;
}

char *cli_file_mismatch(const char *path, const char *recorded, bool *oom)
{
	char now[65];
	bool read = cli_file_sha256(path, now) == 0;
	const char *unreadable = read ? NULL : strerror(errno);
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, cli_text_host(), NULL);
	const char *why = dbc_backup_file_mismatch(&ctx, recorded, read ? now : NULL, unreadable);
	char *out = why ? strdup(why) : NULL;
	*oom = why && !out;
	dbc_ctx_finish(&ctx);
	return out;
}
