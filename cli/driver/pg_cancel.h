/*
 * pg_cancel.h — a stop signal (SIGINT, SIGTERM, SIGHUP) during a
 * PostgreSQL statement cancels it on the server (pg_cancel.c).
 */
#ifndef DBCARE_CLI_PG_CANCEL_H
#define DBCARE_CLI_PG_CANCEL_H

#include <libpq-fe.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

typedef struct cli_pg_cancel_state {
	PGcancel *cancel;
	struct sigaction saved[3];
	bool armed[3];
} cli_pg_cancel_state;

/* Around one statement of conn: a stop signal sends its cancel request. */
void cli_pg_cancel_arm(PGconn *conn, cli_pg_cancel_state *st);
void cli_pg_cancel_disarm(cli_pg_cancel_state *st);
/* The stop signal caught during a statement, 0 when none. */
int cli_stop_signal(void);
/* After the command has rolled back and disconnected: ends dbcare by the
 * signal caught, if any (a shell sees 130 for SIGINT, 143 for SIGTERM). */
void cli_stop_if_signalled(void);

#endif
