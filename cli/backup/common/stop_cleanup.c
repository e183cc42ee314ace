/*
 * stop_cleanup.c — a restore or a backup stopped by a signal (SIGINT,
 * SIGTERM, SIGHUP) leaves nothing behind: the handler removes every file a
 * slot holds (each with its -journal, -wal and -shm), then the folders,
 * says so, and the process dies of the signal (a signal ignored when
 * dbcare started, as under nohup, stays ignored). Invariant: the paths are
 * static buffers changed only with the stop signals blocked, and the
 * handler only unlinks, writes and re-raises (async-signal-safe). The
 * work's commit point (cli_stop_commit) runs with them held: a signal
 * finds either the slot's file, removed, or the work done.
 */
#include "cli/backup/common/stop_cleanup.h"
#include "cli/common/stop_signals.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SIDES 4
static const char *const sides[SIDES] = {"", "-journal", "-wal", "-shm"};
static const int *const stops = cli_stop_signals;
#define NSTOPS ((size_t)CLI_NSTOP_SIGNALS)

static char paths[CLI_STOP_SLOTS][SIDES][PATH_MAX + 16];
static struct sigaction saved[NSTOPS];
static bool armed;
static int dropped; /* the last stop signal a commit point dropped, until taken */
static int stopped; /* that signal, once a step boundary honoured it */

static void on_stop(int sig)
{
	static const char restore[] = "dbcare: the restore was interrupted; nothing of it is left\n";
	static const char backup[] = "dbcare: the backup was interrupted; nothing of it is left\n";
	bool restoring = false;
	for (int s = 0; s < CLI_STOP_SLOTS; s++) {
		restoring = restoring || (s < CLI_STOP_BACKUP_TEMP && paths[s][0][0]);
		for (int i = 0; i < SIDES; i++)
			if (paths[s][i][0])
				unlink(paths[s][i]);
	}
	/* the folders last, once the files in them are gone */
	for (int s = 0; s < CLI_STOP_SLOTS; s++)
		if (paths[s][0][0])
			rmdir(paths[s][0]);
	const char *msg = restoring ? restore : backup;
	size_t len = restoring ? sizeof restore - 1 : sizeof backup - 1;
	bool others = false;
	for (int s = 0; s < CLI_STOP_NEW_DB; s++)
		others = others || paths[s][0][0];
	/* a database file the run created, alone: said with its name */
	const char *created = !others ? paths[CLI_STOP_NEW_DB][0] : "";
	static const char interrupted[] = "dbcare: interrupted; removed ";
	static const char made[] = ", which this run created\n";
	bool said = created[0] ? write(STDERR_FILENO, interrupted, sizeof interrupted - 1) >= 0 &&
	                             write(STDERR_FILENO, created, strlen(created)) >= 0 &&
	                             write(STDERR_FILENO, made, sizeof made - 1) >= 0
	                       : write(STDERR_FILENO, msg, len) >= 0;
	(void)said; /* the process ends below either way */
	signal(sig, SIG_DFL);
	raise(sig);
}

static void block(bool on, sigset_t *old)
{
	sigset_t set;
	sigemptyset(&set);
	for (size_t i = 0; i < NSTOPS; i++)
		sigaddset(&set, stops[i]);
	sigprocmask(on ? SIG_BLOCK : SIG_SETMASK, on ? &set : old, on ? old : NULL);
}

/* With the signals blocked: the slot's paths, then the handler armed or
 * put back as some slot holds a file or none does. */
static void set_slot(cli_stop_slot slot, const char *file)
{
	bool any = false;
	for (int i = 0; i < SIDES; i++)
		if (!file || snprintf(paths[slot][i], sizeof paths[slot][i], "%s%s", file, sides[i]) >=
		                 (int)sizeof paths[slot][i])
			paths[slot][i][0] = '\0';
	for (int s = 0; s < CLI_STOP_SLOTS; s++)
		any = any || paths[s][0][0];
	if (any && !armed) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_stop;
		sigemptyset(&sa.sa_mask);
		for (size_t i = 0; i < NSTOPS; i++)
			sigaddset(&sa.sa_mask, stops[i]);
		/* a signal ignored when dbcare started (nohup) stays ignored */
		for (size_t i = 0; i < NSTOPS; i++) {
			sigaction(stops[i], NULL, &saved[i]);
			if (saved[i].sa_handler != SIG_IGN)
				sigaction(stops[i], &sa, NULL);
		}
	} else if (!any && armed) {
		for (size_t i = 0; i < NSTOPS; i++)
			sigaction(stops[i], &saved[i], NULL);
	}
	armed = any;
}

void cli_stop_track(cli_stop_slot slot, const char *file)
{
	sigset_t old;
	block(true, &old);
	set_slot(slot, file);
	block(false, &old);
}

int cli_stop_mkstemp(cli_stop_slot slot, char *template)
{
	sigset_t old;
	block(true, &old);
	int fd = mkstemp(template);
	set_slot(slot, fd >= 0 ? template : NULL);
	block(false, &old);
	return fd;
}

char *cli_stop_mkdtemp(cli_stop_slot slot, char *template)
{
	sigset_t old;
	block(true, &old);
	char *dir = mkdtemp(template);
	set_slot(slot, dir);
	block(false, &old);
	return dir;
}

int cli_stop_link(cli_stop_slot slot, int (*make)(const char *, const char *), const char *from,
                  const char *to)
{
	sigset_t old;
	block(true, &old);
	int rc = make(from, to), link_errno = errno;
	if (rc == 0)
		set_slot(slot, to);
	block(false, &old);
	errno = link_errno;
	return rc;
}

void cli_stop_hold(sigset_t *old)
{
	block(true, old);
}

/* A stop signal held meanwhile, not one set to be ignored (nohup): that
 * one is discarded when unblocked. */
static bool held(sigset_t *pending, size_t i)
{
	return sigismember(pending, stops[i]) == 1 && !cli_stop_signal_ignored(stops[i]);
}

bool cli_stop_pending(void)
{
	sigset_t pending;
	sigpending(&pending);
	for (size_t i = 0; i < NSTOPS; i++)
		if (held(&pending, i))
			return true;
	return false;
}

void cli_stop_release(sigset_t *old, bool done)
{
	/* a signal held meanwhile came after the work was done: dropped (a
	 * pending signal set to be ignored is discarded), unless a slot still
	 * holds a file for the handler to remove */
	sigset_t pending;
	sigpending(&pending);
	for (size_t i = 0; done && !armed && i < NSTOPS; i++)
		if (held(&pending, i)) {
			struct sigaction ignore, was;
			memset(&ignore, 0, sizeof ignore);
			ignore.sa_handler = SIG_IGN;
			sigaction(stops[i], &ignore, &was);
			sigaction(stops[i], &was, NULL);
			dropped = stops[i];
		}
	block(false, old);
}

int cli_stop_commit(cli_stop_slot slot, int (*commit)(void *), void *arg)
{
	sigset_t old;
	block(true, &old);
	int rc = commit(arg), commit_errno = errno;
	if (rc == 0)
		set_slot(slot, NULL);
	cli_stop_release(&old, rc == 0);
	errno = commit_errno;
	return rc;
}

int cli_stop_take_dropped(void)
{
	int sig = dropped;
	dropped = stopped = 0;
	return sig;
}

int cli_stop_at_boundary(void)
{
	return stopped = dropped;
}

void cli_stop_end_stopped(void)
{
	cli_stop_signal_end(stopped);
}
