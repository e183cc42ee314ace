/*
 * pitr_files.c — what the command adds to the one capture and reader of
 * the log (sqlite/pitr/pitr_capture.c, sqlite/pitr/pitr_log.c): its messages
 * (`dbcare:` errors, notes), sealed segments and bases (--compress,
 * --encrypt-key-file: sealed.c) and the opening of a sealed segment.
 */
#include "pitr.h"

#include "cli/common/files.h"
#include "cli/backup/common/sealed.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

FILE *pitr_segment_fopen(const char *path, char **scratch)
{
	*scratch = NULL;
	/* vetted first (a link, a FIFO, a device): nothing else opens it before */
	FILE *f = pitr_file_fopen(path);
	if (!f) {
		int err = errno;
		/* an open segment gone: closed meanwhile (its caller looks again) */
		if (!(pitr_segment_open(path) && err == ENOENT))
			cli_errorf("cannot read the log segment %s: %s", path, pitr_file_strerror(err));
		errno = err;
		return NULL;
	}
	if (pitr_segment_open(path) || !cli_is_sealed(path))
		return f;
	fclose(f);
	char *why = NULL;
	*scratch = cli_unseal_to_temp(path, &why);
	if (!*scratch) {
		if (why) /* NULL: the error (a missing or wrong key) was printed */
			cli_errorf("cannot open the sealed log segment %s: %s", path, why);
		free(why);
		errno = EINVAL;
		return NULL;
	}
	f = fopen(*scratch, "rb");
	if (!f) {
		cli_scratch_release(*scratch);
		*scratch = NULL;
	}
	return f;
}

/* The last error said: the same error again (a poll retried) is not
 * said again until cli_pitr_say_reset (one capture per process). */
static char *said;

void cli_pitr_say_reset(void)
{
	free(said);
	said = NULL;
}

static void say(void *arg, int level, const char *msg)
{
	if (level != PITR_SAY_ERROR) {
		cli_note(arg, "%s", msg);
		return;
	}
	if (said && strcmp(said, msg) == 0)
		return;
	cli_errorf("%s", msg);
	free(said);
	said = strdup(msg);
}

static int seal(void *arg, const char *plain, const char *path, char sha[65])
{
	const cli_opts *o = arg;
	long long bytes;
	return cli_seal_file(plain, path, o->compress != NULL, o->key_file != NULL, sha, &bytes);
}

static FILE *open_seg(void *arg, const char *path, char **scratch)
{
	(void)arg;
	return pitr_segment_fopen(path, scratch);
}

static void release_seg(void *arg, char *scratch)
{
	(void)arg;
	cli_scratch_release(scratch);
}

void cli_pitr_capture_init(pitr_capture *c, cli_opts *o)
{
	pitr_log_use_host(cli_text_host());
	c->host = cli_text_host();
	c->say = say;
	c->say_arg = &o->out;
	c->seal = o->compress || o->key_file ? seal : NULL;
	c->open_seg = open_seg;
	c->release_seg = release_seg;
	c->seal_arg = o;
}
