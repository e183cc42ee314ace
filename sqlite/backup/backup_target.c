/*
 * backup_target.c — whether a path may receive a backup (the hook
 * check_target): not a file SQLite keeps for an open database, not a
 * directory, not an existing file, in a writable directory.
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include "backup_glue.h"
#include "sqlite/host/glue.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Whether canon (a canonical path) is file, its directory resolved and its
 * last component kept, or fully resolved, with suffix. */
static bool names_file(dbc_ctx *ctx, const char *canon, const char *file, const char *suffix)
{
	char *as_named = NULL, *real = realpath(file, NULL);
	char *resolved = real ? dbc_printf(ctx, "%s%s", real, suffix) : NULL;
	char *named = dbc_printf(ctx, "%s%s", file, suffix);
	bool same = resolved && strcmp(resolved, canon) == 0;
	free(real);
	if (!same && named && sqldbc_backup_canonical(ctx, named, &as_named) == DBC_OK)
		same = strcmp(as_named, canon) == 0;
	if (!same)
		dbc_error_clear(ctx); /* a directory that is gone names nothing */
	return same;
}

/* A backup written at a database's own file, or at the journal, WAL or
 * shared-memory file SQLite keeps beside it, would be taken by SQLite as
 * that file (a "-journal" is played back as a hot journal, or deleted), and
 * lost after it was recorded as verified: refused for main and every
 * attached database. */
static int refuse_database_files(dbc_ctx *ctx, const char *path)
{
	static const char *const sidecars[] = {"", "-journal", "-wal", "-shm", NULL};
	char *canon;
	if (sqldbc_backup_canonical(ctx, path, &canon) != DBC_OK)
		return DBC_ERROR;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(sqldbc_call_conn(ctx)->db, "SELECT name, file FROM pragma_database_list",
	                       -1, &st, NULL) != SQLITE_OK)
		return sqldbc_backup_db_error(ctx, sqldbc_call_conn(ctx)->db,
		                              "could not list the databases");
	int rc = DBC_OK;
	while (rc == DBC_OK && sqlite3_step(st) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		const char *file = (const char *)sqlite3_column_text(st, 1);
		if (!file || !file[0])
			continue; /* in memory, or temporary */
		for (int i = 0; sidecars[i] && rc == DBC_OK; i++)
			if (names_file(ctx, canon, file, sidecars[i])) {
				if (i == 0)
					dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
					          "backup path %s is the file of database %s", path, name);
				else
					dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
					          "backup path %s is the %s file of database %s", path, sidecars[i] + 1,
					          name);
				if (i > 0)
					dbc_error_detail(ctx,
					                 "SQLite keeps its %s file there, and would read a "
					                 "backup written at that name as its own, or delete "
					                 "it.",
					                 sidecars[i] + 1);
				dbc_error_hint(ctx, "Name a file of its own, or set backup.dir and pass no "
				                    "path.");
				rc = DBC_ERROR;
			}
	}
	sqlite3_finalize(st);
	return rc;
}

int sqldbc_backup_check_target(dbc_ctx *ctx, const char *path)
{
	struct stat st;
	if (refuse_database_files(ctx, path) != DBC_OK)
		return DBC_ERROR;
	if (lstat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "backup path %s is a directory", path);
			dbc_error_hint(ctx, "Name a file in it, or set backup.dir and pass no path.");
			return DBC_ERROR;
		}
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "backup file %s already exists", path);
	}
	char *dir = sqldbc_backup_dir_of(ctx, path);
	if (!dir)
		return DBC_ERROR;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "backup directory %s does not exist", dir);
	if (access(dir, W_OK | X_OK) != 0)
		return dbc_error(ctx, DBC_SQLSTATE_PRIVILEGE, "backup directory %s is not writable: %s",
		                 dir, strerror(errno));
	return DBC_OK;
}
