/*
 * upload_stage.c — the private folder a backup bound for a store is made
 * in (upload_stage.h).
 */
#include "upload_stage.h"
#include "stop_cleanup.h"
#include "cli/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cli_upload_stage_make(cli_upload_stage *st, const char *name)
{
	const char *tmp = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	*st = (cli_upload_stage){NULL, NULL};
	if (asprintf(&st->dir, "%s/dbcare-upload-XXXXXX", tmp) < 0) {
		st->dir = NULL;
		cli_errorf("out of memory");
		return -1;
	}
	if (!cli_stop_mkdtemp(CLI_STOP_UPLOAD_DIR, st->dir)) {
		cli_errorf("cannot make a folder in %s to stage the upload in: %s", tmp, strerror(errno));
		free(st->dir);
		st->dir = NULL;
		return -1;
	}
	if (asprintf(&st->file, "%s/%s", st->dir, name) < 0) {
		st->file = NULL;
		cli_errorf("out of memory");
		cli_upload_stage_drop(st);
		return -1;
	}
	/* the flow makes it later: tracked before it exists */
	cli_stop_track(CLI_STOP_UPLOAD_FILE, st->file);
	return 0;
}

void cli_upload_stage_drop(cli_upload_stage *st)
{
	if (st->file)
		unlink(st->file);
	if (st->dir)
		rmdir(st->dir);
	cli_stop_track(CLI_STOP_UPLOAD_FILE, NULL);
	cli_stop_track(CLI_STOP_UPLOAD_DIR, NULL);
	free(st->file);
	free(st->dir);
	*st = (cli_upload_stage){NULL, NULL};
}
