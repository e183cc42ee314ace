/*
 * pg_dump.c — the PostgreSQL driver's dump: runs pg_dump -Fc into a file
 * with the open connection's own parameters. Every parameter the
 * connection used goes to pg_dump through its libpq environment variable
 * (PGHOST, PGPORT, PGUSER, PGDATABASE, PGPASSWORD, PGSSLMODE, ...) in the
 * child alone: the password is never on a command line (visible to every
 * user in the process list) nor printed.
 *
 * The dump never writes the target name itself: pg_dump writes a temporary
 * file created beside it (mkstemp: a new file, mode 0600, never a link),
 * which is synced and then given its name with link(), which never
 * replaces or follows whatever is at the name (a file, a symlink). A
 * failure, or a crash of pg_dump or of this command, leaves nothing under
 * the name; the temporary file is removed on every failure seen here.
 * Before it is named, pg_restore reads the whole archive back (the
 * verification a recorded backup claims). SIGINT, SIGTERM and SIGHUP that
 * reach this command while pg_dump or pg_restore runs are passed on to it,
 * and end the backup as a failure seen here: a stopped backup leaves no
 * temporary file and no tool running alone.
 */
#include "driver.h"
#include "output.h"

#include "base/clock.h"
#include "base/file_sync.h"

#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* "dbcare: " a b, then ": " c when c is given. */
static char *fmt_err(const char *a, const char *b, const char *c)
{
	char *s = NULL;
	if (asprintf(&s, "dbcare: %s%s%s%s", a, b ? b : "", c ? ": " : "", c ? c : "") < 0)
		return NULL;
	return s;
}

/* The running tool, for the handler, and the signal that stopped it. */
static volatile sig_atomic_t dump_pid;
static volatile sig_atomic_t stop_signal;

static void pass_on(int sig)
{
	stop_signal = sig;
	if (dump_pid > 0)
		kill((pid_t)dump_pid, sig);
}

static const int passed_on[] = {SIGINT, SIGTERM, SIGHUP};
#define NPASSED ((int)(sizeof(passed_on) / sizeof(passed_on[0])))

/* Installs pass_on for the signals not ignored at startup (a background
 * job of a shell ignores SIGINT: so does the backup); saved keeps the
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

/* Runs argv[0] (found on PATH) with signals passed on; with info, under
 * only that connection's libpq environment. 0 when it exited 0; else *err
 * says what failed ("<what> failed; nothing was recorded"). */
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

static int run_tool(const char *const argv[], PQconninfoOption *info, const char *what,
                    const char *watch, char **err)
{
	struct sigaction saved[NPASSED];
	stop_signal = 0;
	catch_stops(saved);
	pid_t pid = fork();
	if (pid < 0) {
		int saved_errno = errno;
		restore_stops(saved);
		*err = fmt_err("cannot start ", argv[0], strerror(saved_errno));
		return -1;
	}
	if (pid == 0) {
		restore_stops(saved); /* the tool gets the dispositions this command got */
		/* the child: only the connection's parameters, none inherited */
		for (PQconninfoOption *o = info; o && o->keyword; o++)
			if (o->envvar)
				unsetenv(o->envvar);
		for (PQconninfoOption *o = info; o && o->keyword; o++)
			if (o->envvar && o->val && *o->val)
				setenv(o->envvar, o->val, 1);
		execvp(argv[0], (char *const *)argv);
		fprintf(stderr, "dbcare: cannot run %s (is it on PATH?): %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	dump_pid = pid;
	if (stop_signal) /* arrived between fork and here */
		kill(pid, stop_signal);
	int status = 0;
	wait_tool(pid, &status, what, watch);
	dump_pid = 0;
	restore_stops(saved);
	if (stop_signal) {
		*err = fmt_err("the backup was stopped by a signal (", strsignal(stop_signal),
		               "); nothing was recorded");
		return -1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		*err = fmt_err(what, " failed; nothing was recorded", NULL);
		return -1;
	}
	return 0;
}

/* Runs pg_dump into file (in the snapshot when one is given). */
static int run_pg_dump(PGconn *conn, const char *file, const char *snapshot, char **err)
{
	PQconninfoOption *info = PQconninfo(conn);
	char *file_arg = NULL, *snapshot_arg = NULL;
	int rc = -1;
	if (!info || asprintf(&file_arg, "--file=%s", file) < 0 ||
	    (snapshot && asprintf(&snapshot_arg, "--snapshot=%s", snapshot) < 0))
		*err = fmt_err("out of memory", NULL, NULL);
	else {
		const char *argv[] = {"pg_dump", "--format=custom", "--no-password",
		                      file_arg,  snapshot_arg,      NULL};
		rc = run_tool(argv, info, "pg_dump", file, err);
	}
	PQconninfoFree(info);
	free(file_arg);
	free(snapshot_arg);
	return rc;
}

/* The verification: pg_restore reads the whole archive back, its table of
 * contents and every data block (decompressed), writing the script it
 * would run to nowhere. A truncated or damaged archive fails it, and is
 * neither named nor recorded. */
static int verify_dump(const char *file, char **err)
{
	const char *argv[] = {"pg_restore", "--file=/dev/null", "--", file, NULL};
	return run_tool(argv, NULL, "reading the dump back with pg_restore", NULL, err);
}

/* The directory part of path ("." when it has none). */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

/* Gives the complete, synced tmp its final name, then syncs the directory:
 * after a crash the name holds the whole dump or does not exist. */
static int publish(const char *tmp, const char *path, char **err)
{
	if (dbc_sync_path(tmp, O_RDONLY) != 0) {
		*err = fmt_err("could not sync the dump", NULL, strerror(errno));
		return -1;
	}
	if (link(tmp, path) != 0) {
		*err = errno == EEXIST
		           ? fmt_err(path, " exists already: a backup never replaces a file", NULL)
		           : fmt_err("could not name the dump ", path, strerror(errno));
		return -1;
	}
	unlink(tmp);
	char *dir = dir_of(path);
	if (!dir || dbc_sync_path(dir, O_RDONLY | O_DIRECTORY) != 0) {
		int saved = dir ? errno : ENOMEM;
		unlink(path);
		*err = fmt_err("could not sync the dump's directory", NULL, strerror(saved));
		free(dir);
		return -1;
	}
	free(dir);
	return 0;
}

int cli_pg_dump_schema(cli_db *db, const char *file, char **err)
{
	PQconninfoOption *info = PQconninfo((PGconn *)db->handle);
	char *file_arg = NULL;
	int rc = -1;
	if (!info || asprintf(&file_arg, "--file=%s", file) < 0)
		*err = fmt_err("out of memory", NULL, NULL);
	else {
		/* the schema as dbmate writes it: plain SQL, no owners, no grants */
		const char *argv[] = {"pg_dump",         "--schema-only", "--no-owner", "--no-privileges",
		                      "--encoding=UTF8", "--no-password", file_arg,     NULL};
		rc = run_tool(argv, info, "pg_dump --schema-only", file, err);
	}
	PQconninfoFree(info);
	free(file_arg);
	return rc;
}

int cli_pg_dump(cli_db *db, const char *path, const char *snapshot, char **err)
{
	char *tmp = NULL;
	if (asprintf(&tmp, "%s.tmp-XXXXXX", path) < 0) {
		*err = fmt_err("out of memory", NULL, NULL);
		return -1;
	}
	int fd = mkstemp(tmp);
	if (fd < 0) {
		*err = fmt_err("could not create a file beside ", path, strerror(errno));
		free(tmp);
		return -1;
	}
	close(fd);
	int rc = run_pg_dump((PGconn *)db->handle, tmp, snapshot, err);
	if (rc == 0)
		rc = verify_dump(tmp, err);
	if (rc == 0)
		rc = publish(tmp, path, err);
	unlink(tmp); /* gone already after a publish */
	free(tmp);
	return rc;
}
