/*
 * backup_files.c — the files of a backup a tool writes (dbc_backup_files,
 * core/backup/backup_tool.h): the target checked, a temporary file beside
 * it (mkstemp: a new file, mode 0600, never a link) or a scratch file
 * without a name (a copy to seal: a kill leaves none of its bytes; a stop
 * signal removes the temporary file, stop_cleanup.h), the
 * seal (sealed.c), the publication with link() (never replacing or
 * following what is at the name), the published file described, or removed
 * when its record failed before it committed. Errors
 * are the ctx's; the hooks that reuse sealed.c's have printed theirs.
 */
#include "backup_flow.h"
#include "pg_backup.h"
#include "sealed.h"
#include "stop_cleanup.h"
#include "cli/common/files.h"

#include "base/file_sync.h"
#include "base/sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cli_backup_fail(dbc_ctx *ctx, char *err)
{
	const char *text = err ? err : "";
	if (strncmp(text, "dbcare: ", 8) == 0)
		text += 8;
	dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "%s", text);
	free(err);
	return DBC_ERROR;
}

static int check_target(dbc_ctx *ctx, void *arg, const char *path)
{
	(void)arg;
	struct stat st;
	/* lstat: a symlink at the name is a file there (link() refuses it
	 * too, whatever appears meanwhile) */
	if (lstat(path, &st) == 0)
		return dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                 "%s exists already: a backup never replaces a file", path);
	return DBC_OK;
}

static int make_temp(dbc_ctx *ctx, void *arg, const char *path, bool plain, char **tmp)
{
	(void)arg;
	if (plain) {
		*tmp = cli_scratch_beside(path);
		return *tmp ? DBC_OK : cli_backup_fail(ctx, NULL);
	}
	if (asprintf(tmp, "%s.tmp-XXXXXX", path) < 0) {
		*tmp = NULL;
		return dbc_error(ctx, DBC_SQLSTATE_OUT_OF_MEMORY, "out of memory");
	}
	/* a stop signal removes it (stop_cleanup.h) */
	int fd = cli_stop_mkstemp(CLI_STOP_BACKUP_TEMP, *tmp);
	if (fd < 0) {
		int saved = errno;
		free(*tmp);
		*tmp = NULL;
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "could not create a file beside %s: %s", path,
		                 strerror(saved));
	}
	close(fd);
	return DBC_OK;
}

static int seal(dbc_ctx *ctx, void *arg, const char *plain, const char *path, const char *database,
                const char *identity, unsigned flags)
{
	(void)arg;
	char sha[65];
	long long bytes;
	if (cli_seal_dump(plain, path, database, identity, (flags & DBC_BACKUP_SEAL_ZSTD) != 0,
	                  (flags & DBC_BACKUP_SEAL_ENCRYPT) != 0, sha, &bytes) != 0)
		return cli_backup_fail(ctx, NULL);
	/* published and tracked in one step (cli_seal_dump): a stop signal
	 * removes it from its link until its record commits */
	return DBC_OK;
}

/* a published file whose record is known not committed: unrecorded, it
 * would only refuse a retry to its name */
static void remove_published(dbc_ctx *ctx, void *arg, const char *path)
{
	(void)ctx, (void)arg;
	if (unlink(path) != 0 && errno != ENOENT)
		cli_errorf("cannot remove the unrecorded backup file %s: %s", path, strerror(errno));
	cli_stop_track(CLI_STOP_BACKUP_FILE, NULL);
}

/* Gives the complete, synced tmp its final name, then syncs the directory:
 * after a crash the name holds the whole file or does not exist. From the
 * link on, a stop signal removes the published file until its record
 * commits (backup_record.c): nothing unrecorded is left. */
static int publish(dbc_ctx *ctx, void *arg, const char *tmp, const char *path)
{
	(void)arg;
	if (dbc_sync_path(tmp, O_RDONLY) != 0)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "could not sync the dump: %s",
		                 strerror(errno));
	if (cli_stop_link(CLI_STOP_BACKUP_FILE, link, tmp, path) != 0)
		return errno == EEXIST
		           ? dbc_error(ctx, DBC_SQLSTATE_BAD_ARGUMENT,
		                       "%s exists already: a backup never replaces a file", path)
		           : dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "could not name the dump %s: %s", path,
		                       strerror(errno));
	unlink(tmp);
	if (dbc_sync_dir_of(path) != 0) {
		int saved = errno;
		remove_published(ctx, arg, path);
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "could not sync the dump's directory: %s",
		                 strerror(saved));
	}
	return DBC_OK;
}

static int describe(dbc_ctx *ctx, void *arg, const char *path, dbc_backup_made *made)
{
	(void)arg;
	char abs[PATH_MAX];
	struct stat st;
	if (!realpath(path, abs) || stat(abs, &st) != 0)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "cannot read the dump %s", path);
	if (dbc_path_sha256_errno(cli_text_host(), abs, 0, NULL, NULL, made->sha256) != 0)
		return dbc_error(ctx, DBC_SQLSTATE_INTERNAL, "cannot read the dump %s: %s", abs,
		                 strerror(errno));
	made->location = dbc_strdup(ctx, abs);
	made->bytes = (int64_t)st.st_size;
	return made->location ? DBC_OK : DBC_ERROR;
}

/* a scratch file is closed, a temporary name unlinked (gone already
 * once published) */
static void release(dbc_ctx *ctx, void *arg, char *tmp)
{
	(void)ctx, (void)arg;
	cli_stop_track(CLI_STOP_BACKUP_TEMP, NULL);
	cli_scratch_release(tmp);
}

const dbc_backup_files cli_backup_files = {
    .check_target = check_target,
    .make_temp = make_temp,
    .seal = seal,
    .publish = publish,
    .describe = describe,
    .release = release,
    .remove = remove_published,
};
