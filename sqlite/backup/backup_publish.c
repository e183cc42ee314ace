/*
 * backup_publish.c — a finished copy's name given, durably (the hook
 * publish), and a backup file's taken away (the hook remove).
 */
#include "backup_glue.h"
#include "base/file_sync.h"
#include "container/container.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

/* A link gives the synced copy its name and fails when one is there: the
 * name never points at a half file, and never replaces another's file. */
int sqldbc_backup_publish(dbc_ctx *ctx, const char *tmp_path, const char *path)
{
	if (dbc_sync_path(tmp_path, O_RDONLY) != 0)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "could not sync the backup copy: %s",
		                 strerror(errno));
	/* tmp is released only once the name is durable: on a failure the
	 * caller removes tmp, and a scratch file's descriptor must then still
	 * be ours to close (closed twice, it could be another thread's) */
	if (dbc_scratch_link(tmp_path, path) != 0)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "could not name the backup %s: %s", path,
		                 strerror(errno));
	char *dir = sqldbc_backup_dir_of(ctx, path);
	if (!dir) {
		unlink(path);
		return DBC_ERROR;
	}
	if (dbc_sync_path(dir, O_RDONLY | O_DIRECTORY) != 0) {
		int saved = errno;
		unlink(path);
		return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "could not sync directory %s: %s", dir,
		                 strerror(saved));
	}
	dbc_scratch_release(tmp_path);
	return DBC_OK;
}

int sqldbc_backup_remove(dbc_ctx *ctx, const char *path, bool *existed)
{
	*existed = true;
	if (dbc_scratch_close(path) == 0)
		return DBC_OK; /* a scratch file: gone with its descriptor */
	if (unlink(path) == 0)
		return DBC_OK;
	if (errno == ENOENT) {
		*existed = false;
		return DBC_OK;
	}
	if (ctx->failed)
		return DBC_ERROR; /* cleaning up after an error: that error is the one to see */
	return dbc_error(ctx, DBC_SQLSTATE_BAD_STATE, "could not delete backup %s: %s", path,
	                 strerror(errno));
}
