/*
 * seal_file.c — the one seal of a backup file (container.h, "the one seal
 * of a backup file"): seal, sync, read back, compare, publish. Invariant:
 * path names nothing until the sealed file on disk has opened, with the
 * key it was sealed with, to the plain bytes the caller proved and to the
 * bytes the encoder wrote; the file beside it is released on every path.
 *
 * why (raw heap: this file has no dbc_ctx, the command links it too; the
 * temporary file's name is dbc_scratch_create_linkable's).
 */
#include "base/file_sync.h"
#include "container/container.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int open_file(const char *path, int flags)
{
	return open(path, dbc_scratch_open_flags(path, flags | O_CLOEXEC | O_NOFOLLOW));
}

/* Seals job's plain into tmp and syncs it; made the encoder's sums. */
static bool write_sealed(const dbc_container_seal_job *job, const char *tmp,
                         dbc_container_sums *made, dbc_container_err *err)
{
	int in = open_file(job->plain, O_RDONLY), out = open_file(tmp, O_WRONLY);
	bool ok = in >= 0 && out >= 0;
	if (!ok)
		snprintf(err->msg, sizeof err->msg, "%s", strerror(errno));
	else if (dbc_container_encode(in, out, job->flags, job->key, job->origin, job->stop,
	                              job->stop_arg, made, err) != 0)
		ok = false;
	else if (fsync(out) != 0)
		ok = false, snprintf(err->msg, sizeof err->msg, "could not sync it: %s", strerror(errno));
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return ok;
}

/* tmp, read from the disk, opens with the key to plain's bytes and is the
 * file the encoder wrote (err empty when it opened to other bytes). */
static bool reads_back(const dbc_container_seal_job *job, const char *tmp,
                       const dbc_container_sums *made, dbc_container_err *err)
{
	dbc_container_sums back;
	int in = open_file(tmp, O_RDONLY);
	if (in < 0) {
		snprintf(err->msg, sizeof err->msg, "%s", strerror(errno));
		return false;
	}
	bool same = dbc_container_decode(in, -1, job->key, job->stop, job->stop_arg, &back, err) == 0 &&
	            strcmp(back.plain_sha256, job->plain_sha256) == 0 &&
	            strcmp(back.sealed_sha256, made->sealed_sha256) == 0;
	close(in);
	return same;
}

/* tmp linked as path, never over a file, and the name made durable: a
 * directory that does not sync takes the name away again. */
static dbc_container_seal_step publish(const dbc_container_seal_job *job, const char *tmp,
                                       const char *path, dbc_container_err *err)
{
	if ((job->link ? job->link(tmp, path, job->link_arg) : dbc_scratch_link(tmp, path)) != 0) {
		snprintf(err->msg, sizeof err->msg, "%s", strerror(errno));
		return DBC_SEAL_NAME;
	}
	if (dbc_sync_dir_of(path) != 0) {
		snprintf(err->msg, sizeof err->msg, "%s", strerror(errno));
		unlink(path);
		return DBC_SEAL_SYNC_DIR;
	}
	return DBC_SEAL_DONE;
}

dbc_container_seal_step dbc_container_seal_file(const dbc_container_seal_job *job,
                                                dbc_container_sums *made, dbc_container_err *err)
{
	char *tmp = NULL;
	err->msg[0] = '\0';
	err->key = false;
	if (dbc_scratch_create_linkable(job->path, &tmp) != 0) {
		snprintf(err->msg, sizeof err->msg, "%s", strerror(errno));
		return DBC_SEAL_CREATE;
	}
	dbc_container_seal_step step = DBC_SEAL_WRITE;
	if (write_sealed(job, tmp, made, err))
		step = reads_back(job, tmp, made, err) ? publish(job, tmp, job->path, err)
		                                       : DBC_SEAL_READ_BACK;
	/* published, path is the file's name now; else tmp was its only one */
	dbc_scratch_release(tmp);
	free(tmp);
	return step;
}
