/*
 * stop_signals.c — the stop signals' list, names and dispositions
 * (stop_signals.h).
 */
#include "stop_signals.h"

#include <signal.h>
#include <stddef.h>
#include <stdio.h>

const int cli_stop_signals[CLI_NSTOP_SIGNALS] = {SIGINT, SIGTERM, SIGHUP};

const char *cli_stop_signal_name(int sig)
{
	switch (sig) {
	case SIGINT:
		return "SIGINT";
	case SIGTERM:
		return "SIGTERM";
	case SIGHUP:
		return "SIGHUP";
	default:
		return NULL;
	}
}

bool cli_stop_signal_ignored(int sig)
{
	struct sigaction now;
	return sigaction(sig, NULL, &now) == 0 && now.sa_handler == SIG_IGN;
}

void cli_stop_signal_end(int sig)
{
	if (!sig)
		return;
	fflush(stdout);
	signal(sig, SIG_DFL);
	raise(sig);
}
