/*
 * cmd_wait.c — dbcare wait: tries to connect every 250 ms until the
 * database accepts connections (exit 0) or --timeout passes (exit 1, with
 * the last reason). Start-up sequences run it before migrating.
 */
#include "cli.h"

#include <stdlib.h>
#include <time.h>

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int cmd_wait(cli_db *probe, cli_opts *o)
{
	const cli_target *t = probe->handle; /* run.c hands the target over */
	cli_connect_opts co = {.module = o->module, .bare = true};
	double deadline = now_s() + o->timeout_s;
	char *err = NULL;
	for (;;) {
		free(err);
		err = NULL;
		cli_db *db = cli_connect(t, &co, &err);
		if (db) {
			cli_disconnect(db);
			cli_note(&o->out, "%s accepts connections", t->label);
			return CLI_OK;
		}
		if (now_s() >= deadline)
			break;
		nanosleep(&(struct timespec){0, 250000000}, NULL);
	}
	fprintf(stderr, "%s\ndbcare: gave up waiting after %gs\n", err ? err : "", o->timeout_s);
	free(err);
	return CLI_ERROR;
}
