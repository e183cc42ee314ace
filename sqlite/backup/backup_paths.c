/*
 * backup_paths.c — the names of a backup's files: a path's directory, its
 * canonical form (the proof of origin compares it), the temporary name a
 * copy is written under before it is published (make_temp's, which a
 * sweep recognises), and the database's name a default file is named by.
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include "backup_glue.h"
#include "backup/backup_name.h"
#include "sqlite/host/glue.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *sqldbc_backup_dir_of(dbc_ctx *ctx, const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return dbc_strdup(ctx, ".");
	if (slash == path)
		return dbc_strdup(ctx, "/");
	return dbc_strndup(ctx, path, (size_t)(slash - path));
}

/* path's directory resolved (realpath) + its last component. */
int sqldbc_backup_canonical(dbc_ctx *ctx, const char *path, char **out)
{
	char *dir = sqldbc_backup_dir_of(ctx, path);
	if (!dir)
		return DBC_ERROR;
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	char *real = realpath(dir, NULL);
	if (!real)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT, "backup directory %s does not exist", dir);
	*out = dbc_printf(ctx, "%s%s%s", real, strcmp(real, "/") == 0 ? "" : "/", base);
	free(real);
	return *out ? DBC_OK : DBC_ERROR;
}

int sqldbc_backup_make_temp(dbc_ctx *ctx, const char *path, char **tmp_path)
{
	char *t = dbc_printf(ctx, "%s.tmp-XXXXXX", path);
	if (!t)
		return DBC_ERROR;
	int fd = mkstemp(t);
	if (fd < 0)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "could not create a file beside %s: %s", path,
		                 strerror(errno));
	close(fd);
	*tmp_path = t;
	return DBC_OK;
}

/* The main database file's name without directory and extension
 * ("memory" for an in-memory database): backup_name.h's rule. */
int sqldbc_backup_database_name(dbc_ctx *ctx, char **name)
{
	size_t len;
	const char *stem =
	    dbc_backup_file_stem(sqlite3_db_filename(sqldbc_call_conn(ctx)->db, "main"), &len);
	*name = dbc_strndup(ctx, stem, len);
	return *name ? DBC_OK : DBC_ERROR;
}
