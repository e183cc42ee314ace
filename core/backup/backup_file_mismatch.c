/*
 * backup_file_mismatch.c — a backup file against the SHA-256 its catalog
 * row recorded, for every engine: the SQLite module's file as inspect
 * hashed it, a PostgreSQL dump as the command hashed it. A byte changed
 * since the backup fails it, whatever the rest still reads.
 */
#include "backup/backup_content.h"

#include <string.h>

const char *dbc_backup_file_mismatch(dbc_ctx *ctx, const char *recorded, const char *now,
                                     const char *unreadable)
{
	if (!recorded)
		return NULL; /* nothing recorded: another engine's row, an older one */
	if (!now && unreadable) {
		const char *why = dbc_printf(ctx, "its file cannot be read: %s", unreadable);
		return why ? why : "its file cannot be read";
	}
	if (!now || strcmp(recorded, now) != 0)
		return "its content differs from the copy that was verified (the file's SHA-256)";
	return NULL;
}
