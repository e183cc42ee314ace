/*
 * file_sha256.c — a file against the SHA-256 its row recorded: its digest
 * now by the core's file digest (base/sha256.h, its one home) over the
 * command's memory-only host, judged by the core.
 */
#include "pg_backup.h"
#include "cli/common/files.h"

#include "backup/backup_content.h"
#include "base/sha256.h"

#include <errno.h>
#include <string.h>

char *cli_file_mismatch(const char *path, const char *recorded, bool *oom)
{
	char now[65];
	bool read = dbc_path_sha256_errno(cli_text_host(), path, 0, NULL, NULL, now) == 0;
	const char *unreadable = read ? NULL : strerror(errno);
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, cli_text_host(), NULL);
	const char *why = dbc_backup_file_mismatch(&ctx, recorded, read ? now : NULL, unreadable);
	char *out = why ? strdup(why) : NULL;
	*oom = why && !out;
	dbc_ctx_finish(&ctx);
	return out;
}
