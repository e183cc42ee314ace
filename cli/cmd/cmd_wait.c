/*
 * cmd_wait.c — dbcare wait: tries to connect every 250 ms until the
 * database accepts connections (exit 0) or --timeout passes (exit 1, with
 * the last reason). Start-up sequences run it before migrating.
 */
#include "cli/cli.h"

#include "base/clock.h"

#include <math.h>
#include <stdlib.h>
#include <time.h>

/* --json: {"database": ..., "ready": bool, "waited_ms": n}; else a line. */
static void print_ready(cli_opts *o, const cli_target *t, bool ready, double waited_s)
{
	if (o->out.format == CLI_FMT_JSON) {
		fputs("{\"database\":", stdout);
		cli_json_string(stdout, t->label);
		printf(",\"ready\":%s,\"waited_ms\":%.0f}\n", ready ? "true" : "false", waited_s * 1000);
	} else if (ready) {
		cli_note(&o->out, "%s accepts connections", t->label);
	}
}

int cmd_wait(cli_db *probe, cli_opts *o)
{
	const cli_target *t = probe->handle; /* run.c hands the target over */
	cli_connect_opts co = {.module = o->module, .bare = true};
	double started = dbc_monotonic_ms() / 1000, deadline = started + o->timeout_s;
	char *err = NULL;
	for (;;) {
		free(err);
		err = NULL;
		/* one attempt never outlasts --timeout by much: a server that
		 * takes the connection and never answers (a hung postmaster, a
		 * full backlog) would hold libpq without a connect_timeout. libpq
		 * counts whole seconds, at least 2. */
		double left = deadline - dbc_monotonic_ms() / 1000;
		co.connect_timeout_s = left < 2 ? 2 : (int)ceil(left);
		cli_db *db = cli_connect(t, &co, &err);
		if (db) {
			cli_disconnect(db);
			print_ready(o, t, true, dbc_monotonic_ms() / 1000 - started);
			return CLI_OK;
		}
		if (dbc_monotonic_ms() / 1000 >= deadline)
			break;
		nanosleep(&(struct timespec){0, 250000000}, NULL);
	}
	fprintf(stderr, "%s\ndbcare: gave up waiting after %gs\n", err ? err : "", o->timeout_s);
	free(err);
	print_ready(o, t, false, dbc_monotonic_ms() / 1000 - started);
	return CLI_ERROR;
}
