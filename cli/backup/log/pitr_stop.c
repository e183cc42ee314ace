/*
 * pitr_stop.c — a point-in-time restore stopped by a signal (SIGINT,
 * SIGTERM, SIGHUP) leaves nothing behind: the handler removes the scratch
 * image being built (and its -wal, -shm) and the target the restore began
 * on empty (created by its connection; with its -journal, -wal, -shm),
 * then dies of the signal. The paths are kept in static buffers, set with
 * the signals blocked; the handler only unlinks, writes and re-raises
 * (async-signal-safe).
 */
#include "pitr.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SIDES 4
static const char *const sides[SIDES] = {"", "-journal", "-wal", "-shm"};
static const int stops[] = {SIGINT, SIGTERM, SIGHUP};
#define NSTOPS (int)(sizeof stops / sizeof stops[0])

static char target_paths[SIDES][PATH_MAX + 16], image_paths[SIDES][PATH_MAX + 16];
static struct sigaction saved[NSTOPS];
static bool armed;

static void set_paths(char paths[SIDES][PATH_MAX + 16], const char *file)
{
	for (int i = 0; i < SIDES; i++)
		if (!file ||
		    snprintf(paths[i], sizeof paths[i], "%s%s", file, sides[i]) >= (int)sizeof paths[i])
			paths[i][0] = '\0';
}

static void unlink_all(char paths[SIDES][PATH_MAX + 16])
{
	for (int i = 0; i < SIDES; i++)
		if (paths[i][0])
			unlink(paths[i]);
}

static void on_stop(int sig)
{
	static const char msg[] = "dbcare: the restore was interrupted; nothing of it is left\n";
	unlink_all(image_paths);
	unlink_all(target_paths);
	if (write(STDERR_FILENO, msg, sizeof msg - 1) < 0) {
		/* nothing more to do: the process ends below either way */
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static void block(bool on, sigset_t *old)
{
	sigset_t set;
	sigemptyset(&set);
	for (int i = 0; i < NSTOPS; i++)
		sigaddset(&set, stops[i]);
	sigprocmask(on ? SIG_BLOCK : SIG_SETMASK, on ? &set : old, on ? old : NULL);
}

void pitr_stop_arm(const char *target)
{
	sigset_t old;
	block(true, &old);
	set_paths(target_paths, target);
	set_paths(image_paths, NULL);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	for (int i = 0; i < NSTOPS; i++)
		sigaddset(&sa.sa_mask, stops[i]);
	for (int i = 0; i < NSTOPS; i++)
		sigaction(stops[i], &sa, &saved[i]);
	armed = true;
	block(false, &old);
}

void pitr_stop_disarm(void)
{
	if (!armed)
		return;
	sigset_t old;
	block(true, &old);
	for (int i = 0; i < NSTOPS; i++)
		sigaction(stops[i], &saved[i], NULL);
	set_paths(target_paths, NULL);
	set_paths(image_paths, NULL);
	armed = false;
	block(false, &old);
}

int pitr_stop_mkstemp(char *template)
{
	sigset_t old;
	block(true, &old);
	int fd = mkstemp(template);
	set_paths(image_paths, fd >= 0 ? template : NULL);
	block(false, &old);
	return fd;
}

void pitr_stop_forget_image(void)
{
	sigset_t old;
	block(true, &old);
	set_paths(image_paths, NULL);
	block(false, &old);
}
