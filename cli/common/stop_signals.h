/*
 * stop_signals.h — the signals that stop dbcare's long work: SIGINT,
 * SIGTERM and SIGHUP. One list for the restore and backup cleanup, the
 * fleet, the tools dbcare runs and a PostgreSQL statement's cancel.
 */
#ifndef DBC_CLI_STOP_SIGNALS_H
#define DBC_CLI_STOP_SIGNALS_H

#include <stdbool.h>

#define CLI_NSTOP_SIGNALS 3
extern const int cli_stop_signals[CLI_NSTOP_SIGNALS];

/* "SIGTERM" for a stop signal, NULL for any other. */
const char *cli_stop_signal_name(int sig);

/* Whether sig is set to be ignored now (as nohup leaves SIGHUP): blocked,
 * such a signal stays pending (the kernel keeps a blocked signal whatever
 * its disposition) and is discarded once unblocked, so it never counts as
 * a stop. Async-signal-safe (sigaction). */
bool cli_stop_signal_ignored(int sig);

/* With a stop signal (0: none), dbcare ends of it: the output flushed,
 * the signal's default disposition back, the signal raised. */
void cli_stop_signal_end(int sig);

#endif
