/*
 * pg_cancel.c — SIGINT, SIGTERM and SIGHUP while a PostgreSQL statement
 * runs. Without this the signal ends dbcare at once but not the server's
 * work: a backend running a migration (or a VACUUM) goes on holding its
 * locks until it next writes to the closed socket, which may be minutes
 * later. So while a statement runs, the signal sends libpq's cancel request
 * (PQcancel is safe in a signal handler); the statement fails with 57014,
 * the command rolls back as after any error, and dbcare then ends by the
 * same signal. A signal ignored when dbcare started stays ignored; a second
 * one ends dbcare at once (the default is back after the first).
 */
#include "pg_cancel.h"
#include "cli/common/stop_signals.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

static const int *const stops = cli_stop_signals;
#define NSTOPS CLI_NSTOP_SIGNALS

static PGcancel *volatile running; /* the statement's cancel handle */
static volatile sig_atomic_t caught;

static void cancel_statement(int sig)
{
	if (!caught)
		caught = sig;
	PGcancel *c = running;
	if (c) {
		char buf[256];
		(void)PQcancel(c, buf, (int)sizeof buf);
	}
}

void cli_pg_cancel_arm(PGconn *conn, cli_pg_cancel_state *st)
{
	st->cancel = PQgetCancel(conn);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = cancel_statement;
	sa.sa_flags = SA_RESETHAND; /* a second signal: the default */
	sigemptyset(&sa.sa_mask);
	/* `running` is written only when a handler is armed: where the stop
	 * signals have a handler of their own (dbcare serve, whose threads run
	 * statements at once), nothing of this process-wide state is touched */
	bool any = false;
	for (int i = 0; i < NSTOPS; i++) {
		sigaction(stops[i], NULL, &st->saved[i]);
		st->armed[i] = !caught && st->saved[i].sa_handler == SIG_DFL;
		if (st->armed[i] && !any) {
			running = st->cancel;
			any = true;
		}
		if (st->armed[i])
			sigaction(stops[i], &sa, NULL);
	}
}

void cli_pg_cancel_disarm(cli_pg_cancel_state *st)
{
	bool any = false;
	for (int i = 0; i < NSTOPS; i++)
		if (st->armed[i]) {
			sigaction(stops[i], &st->saved[i], NULL);
			any = true;
		}
	if (any)
		running = NULL;
	PQfreeCancel(st->cancel);
	st->cancel = NULL;
}

int cli_stop_signal(void)
{
	return caught;
}

void cli_stop_if_signalled(void)
{
	cli_stop_signal_end(caught);
}
