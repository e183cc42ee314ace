/*
 * fleet_stop.h — a stop signal (SIGINT, SIGTERM, SIGHUP) to a fleet
 * (fleet.c): the parent no longer ends at once, it stops starting
 * databases, passes the signal to its busy workers (each stops as one
 * dbcare does: a restore or backup at its commit point, stop_cleanup.h,
 * is done whole or leaves nothing), waits for their answers, reports
 * every database (done, failed, not run) and then ends of the signal.
 */
#ifndef DBC_CLI_FLEET_STOP_H
#define DBC_CLI_FLEET_STOP_H

#include <sys/types.h>

/* The parent's handler armed for the stop signals not ignored at start
 * (nohup's stay ignored). */
void cli_fleet_stop_arm(void);
/* In a worker just forked: the dispositions the parent had before arming. */
void cli_fleet_stop_child(void);
/* The stop signal the fleet was given (0: none): to the parent, or to a
 * worker, which held it at a commit point or died of it
 * (cli_fleet_stop_note; a signal other than a stop one is not noted). */
int cli_fleet_stop_signal(void);
void cli_fleet_stop_note(int sig);
/* The read end of the handler's wake-up (-1: none), emptied: the
 * parent's poll() waits on it beside its workers, so a stop signal that
 * came before the wait began ends it at once. */
int cli_fleet_stop_fd(void);
/* The signal passed once to a busy worker. */
void cli_fleet_stop_pass(pid_t worker);
/* The dispositions put back; with a stop signal, dbcare ends of it. */
void cli_fleet_stop_end(void);

#endif
