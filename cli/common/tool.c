/*
 * tool.c — one outside tool run as a child (tool.h). SIGINT, SIGTERM and
 * SIGHUP that reach this command while the tool runs are passed on to it,
 * and end the call as a failure seen here. A tool run for a root command
 * as another user (a cluster's owner: PostgreSQL and pgBackRest refuse
 * root or would leave root's files in a data directory) gets that user's
 * groups and no other privilege.
 */
#include "tool.h"
#include "output.h"
#include "stop_signals.h"

#include "base/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

char *cli_fmt_err(const char *a, const char *b, const char *c)
{
	char *s = NULL;
	if (asprintf(&s, "dbcare: %s%s%s%s", a, b ? b : "", c ? ": " : "", c ? c : "") < 0)
		return NULL;
	return s;
}

/* The running tool, for the handler, and the signal that stopped it. */
static volatile sig_atomic_t tool_pid;
static volatile sig_atomic_t stop_signal;

int cli_tool_stop_signal(void)
{
	return (int)stop_signal;
}

/* the last tool's exit code, -1 when it did not exit (a signal) */
static int exit_code = -1;

int cli_tool_exit_code(void)
{
	return exit_code;
}

static void pass_on(int sig)
{
	stop_signal = sig;
	if (tool_pid > 0)
		kill((pid_t)tool_pid, sig);
}

static const int *const passed_on = cli_stop_signals;
#define NPASSED CLI_NSTOP_SIGNALS

static volatile sig_atomic_t held_signal;

static void remember(int sig)
{
	held_signal = sig;
}

void cli_tool_hold_signals(cli_signal_hold *h)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = remember;
	sigemptyset(&sa.sa_mask);
	held_signal = 0;
	for (int i = 0; i < NPASSED; i++)
		sigaction(passed_on[i], &sa, &h->saved[i]);
}

void cli_tool_release_signals(const cli_signal_hold *h)
{
	for (int i = 0; i < NPASSED; i++)
		sigaction(passed_on[i], &h->saved[i], NULL);
}

int cli_tool_held_signal(void)
{
	return (int)held_signal;
}

/* Installs pass_on for the signals not ignored at startup (a background
 * job of a shell ignores SIGINT: so does the tool); saved keeps the
 * dispositions to restore. */
static void catch_stops(struct sigaction saved[])
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = pass_on;
	sigemptyset(&sa.sa_mask);
	for (int i = 0; i < NPASSED; i++) {
		sigaction(passed_on[i], NULL, &saved[i]);
		if (saved[i].sa_handler != SIG_IGN)
			sigaction(passed_on[i], &sa, NULL);
	}
}

static void restore_stops(const struct sigaction saved[])
{
	for (int i = 0; i < NPASSED; i++)
		sigaction(passed_on[i], &saved[i], NULL);
}

/* Waits for the tool; on a terminal, redraws what it has done every half
 * second: the bytes of watch (the file it writes; NULL: the time only). */
static void wait_tool(pid_t pid, int *status, const char *what, const char *watch)
{
	cli_out *o = cli_progress_shown(cli_progress_sink) ? cli_progress_sink : NULL;
	double start = dbc_monotonic_ms();
	for (;;) {
		pid_t got = waitpid(pid, status, o ? WNOHANG : 0);
		if (got == pid || (got < 0 && errno != EINTR))
			break;
		if (got == 0) {
			struct stat st;
			double s = (dbc_monotonic_ms() - start) / 1000;
			if (watch && stat(watch, &st) == 0)
				cli_progress_text(o, "%s: %.1f MB written, %.0f s", what, (double)st.st_size / 1e6,
				                  s);
			else
				cli_progress_text(o, "%s: %.0f s", what, s);
			nanosleep(&(struct timespec){0, 500000000L}, NULL);
		}
	}
	if (o)
		cli_progress_end(o);
}

/* In the child: becomes t's user (its groups too), with HOME and USER of
 * that user; exits 126 when it cannot. */
static void become_user(const cli_tool *t)
{
	struct passwd *pw = getpwuid(t->uid);
	if (!pw || initgroups(pw->pw_name, t->gid) != 0 || setgid(t->gid) != 0 || setuid(t->uid) != 0) {
		fprintf(stderr, "dbcare: cannot run %s as user %ld: %s\n", t->argv[0], (long)t->uid,
		        strerror(errno));
		_exit(126);
	}
	setenv("HOME", pw->pw_dir, 1);
	setenv("USER", pw->pw_name, 1);
	setenv("LOGNAME", pw->pw_name, 1);
}

/* The tool ends with this command: SIGTERM when the command dies, by
 * any signal (kill -9 too), not only the ones it passes on; a pg_restore
 * or pg_dump left running would go on writing what no one checks. Set
 * after become_user, which clears it; a command that died before it was
 * set is seen by the parent's pid having changed. */
static void end_with_parent(pid_t parent)
{
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || getppid() != parent)
		_exit(126);
}

static void child(const cli_tool *t, const struct sigaction saved[], pid_t parent)
{
	restore_stops(saved); /* the tool gets the dispositions this command got */
	/* only the connection's parameters, none inherited */
	for (PQconninfoOption *o = t->info; o && o->keyword; o++)
		if (o->envvar)
			unsetenv(o->envvar);
	for (PQconninfoOption *o = t->info; o && o->keyword; o++)
		if (o->envvar && o->val && *o->val)
			setenv(o->envvar, o->val, 1);
	for (const char *const *e = t->env; e && *e; e++)
		putenv((char *)*e);
	if (t->out_fd >= 0 && dup2(t->out_fd, STDOUT_FILENO) < 0)
		_exit(126);
	if (t->err_fd > 0 && dup2(t->err_fd, STDERR_FILENO) < 0)
		_exit(126);
	if (t->as_user)
		become_user(t);
	end_with_parent(parent);
	execvp(t->argv[0], (char *const *)t->argv);
	fprintf(stderr, "dbcare: cannot run %s (is it on PATH?): %s\n", t->argv[0], strerror(errno));
	_exit(127);
}

int cli_run_tool(const cli_tool *t, char **err)
{
	struct sigaction saved[NPASSED];
	stop_signal = 0;
	exit_code = -1;
	catch_stops(saved);
	fflush(stdout);
	fflush(stderr);
	pid_t parent = getpid(), pid = fork();
	if (pid < 0) {
		int saved_errno = errno;
		restore_stops(saved);
		*err = cli_fmt_err("cannot start ", t->argv[0], strerror(saved_errno));
		return -1;
	}
	if (pid == 0)
		child(t, saved, parent);
	tool_pid = pid;
	if (stop_signal) /* arrived between fork and here */
		kill(pid, stop_signal);
	int status = 0;
	wait_tool(pid, &status, t->what, t->watch);
	tool_pid = 0;
	exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	restore_stops(saved);
	if (stop_signal) {
		if (asprintf(err, "dbcare: %s was stopped by a signal (%s)%s", t->what,
		             strsignal(stop_signal), t->failed ? t->failed : "") < 0)
			*err = NULL;
		return -1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (asprintf(err, "dbcare: %s failed%s", t->what, t->failed ? t->failed : "") < 0)
			*err = NULL;
		return -1;
	}
	return 0;
}
