/*
 * fleet_stop.c — the fleet parent's stop signals (fleet_stop.h).
 * Invariant: the handler only records the first signal (async-signal-
 * safe); everything else runs in the parent's loop, which poll's EINTR
 * wakes.
 */
#include "fleet_stop.h"
#include "cli/common/stop_signals.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

static const int *const stops = cli_stop_signals;
#define NSTOPS ((size_t)CLI_NSTOP_SIGNALS)

static struct sigaction saved[NSTOPS];
static bool armed;
static volatile sig_atomic_t caught;

/* the handler's wake-up, read by the parent's poll(): a signal that came
 * before the wait began still ends it */
static int wake[2] = {-1, -1};

static void on_stop(int sig)
{
	if (!caught)
		caught = sig;
	int saved_errno = errno;
	if (wake[1] >= 0 && write(wake[1], "", 1) < 0) {
		/* full: a wake-up is there already */
	}
	errno = saved_errno;
}

static void close_wake(void)
{
	for (int i = 0; i < 2; i++)
		if (wake[i] >= 0) {
			close(wake[i]);
			wake[i] = -1;
		}
}

void cli_fleet_stop_arm(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop;
	/* the parent's writes and reads go on; poll() still wakes (EINTR) */
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (pipe2(wake, O_NONBLOCK | O_CLOEXEC) != 0)
		wake[0] = wake[1] = -1; /* poll's EINTR alone then */
	for (size_t i = 0; i < NSTOPS; i++) {
		sigaction(stops[i], NULL, &saved[i]);
		if (saved[i].sa_handler != SIG_IGN)
			sigaction(stops[i], &sa, NULL);
	}
	armed = true;
}

void cli_fleet_stop_child(void)
{
	for (size_t i = 0; armed && i < NSTOPS; i++)
		sigaction(stops[i], &saved[i], NULL);
	armed = false;
	close_wake();
}

int cli_fleet_stop_fd(void)
{
	char drained[64];
	while (wake[0] >= 0 && read(wake[0], drained, sizeof drained) > 0) {
		/* the wake-ups so far: caught tells what they were for */
	}
	return wake[0];
}

int cli_fleet_stop_signal(void)
{
	return caught;
}

void cli_fleet_stop_note(int sig)
{
	/* a stop signal the parent was started ignoring (nohup) stops nothing */
	for (size_t i = 0; !caught && i < NSTOPS; i++)
		if (stops[i] == sig && saved[i].sa_handler != SIG_IGN)
			caught = sig;
}

void cli_fleet_stop_pass(pid_t worker)
{
	if (caught && worker > 0)
		kill(worker, caught);
}

void cli_fleet_stop_end(void)
{
	cli_fleet_stop_child();
	cli_stop_signal_end(caught);
}
