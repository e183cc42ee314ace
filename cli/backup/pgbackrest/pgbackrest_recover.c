/*
 * pgbackrest_recover.c — the recovery of a copy pgBackRest restored from a
 * bucket or container, run to its end by dbcare: the copy's
 * restore_command (pgbackrest archive-get) needs the store's credentials,
 * which only dbcare's children get (pgbackrest_repo.c), so dbcare starts
 * the copy with them, waits until recovery reached its target and the
 * copy promoted (hot_standby off: the log says it accepts connections
 * only then), and stops it.
 * What the user starts afterwards is a promoted cluster: no archive, no
 * credentials needed.
 *
 * The copy runs as b's user on a free port with a Unix socket in a
 * private directory only (no TCP), a pg_hba.conf that refuses every
 * connection, archiving off (it never pushes WAL into the stanza). A
 * configuration kept outside the data directory (Debian's) was not
 * restored: an empty postgresql.conf stands in while it runs and is
 * removed after. It is stopped on every path, a signal to the command
 * included (held, then acted on).
 */
#include "pgbackrest.h"
#include "cli/common/files.h"
#include "cli/common/tool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static bool exists(const char *dir, const char *name)
{
	char path[4300];
	struct stat st;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return stat(path, &st) == 0;
}

/* The end of the copy's server log on stderr: why it stopped. */
static void show_log(const char *log)
{
	char line[512];
	FILE *f = fopen(log, "r");
	while (f && fgets(line, sizeof line, f))
		fputs(line, stderr);
	if (f)
		fclose(f);
}

/* Whether the server's log says it accepts connections: with hot_standby
 * off and messages in English, only once it promoted. */
static bool log_says_ready(const char *log)
{
	char line[1024];
	bool ready = false;
	FILE *f = fopen(log, "r");
	while (f && !ready && fgets(line, sizeof line, f))
		ready = strstr(line, "database system is ready to accept connections") != NULL;
	if (f)
		fclose(f);
	return ready;
}

/* Waits until the copy recovered and promoted while the server runs; 0, or
 * -1 after saying why. */
static int await_promotion(const char *dir, const char *log)
{
	for (int i = 0; i < 36000 && !cli_tool_held_signal(); i++) {
		if (!exists(dir, "postmaster.pid")) {
			show_log(log);
			cli_errorf("the restored copy stopped before its recovery ended (its log above)");
			return -1;
		}
		if (!exists(dir, "recovery.signal") && log_says_ready(log))
			return 0;
		nanosleep(&(struct timespec){0, 100000000L}, NULL);
	}
	if (!cli_tool_held_signal())
		cli_errorf("the restored copy's recovery did not end within an hour");
	return -1;
}

/* Where the recovery runs: a private directory (its socket, HBA file,
 * ident file, server log) and whether dir's postgresql.conf was made. */
typedef struct recovery {
	char run[4096], hba[4200], ident[4200], log[4200], conf[4300];
	bool made_conf, started;
} recovery;

/* The private directory made and filled for b's user; 0, or -1 after
 * saying why (rv->run "" when none was made). */
static int prepare(const cli_pgbr *b, const char *dir, recovery *rv)
{
	const char *tmp = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	snprintf(rv->run, sizeof rv->run, "%s/dbcare-recover-XXXXXX", tmp);
	if (!mkdtemp(rv->run)) {
		cli_errorf("cannot make a directory under %s: %s", tmp, strerror(errno));
		rv->run[0] = '\0';
		return -1;
	}
	if (strpbrk(rv->run, "' \\") || strpbrk(dir, "' \\")) {
		cli_errorf("TMPDIR %s or the target %s holds a quote, space or backslash", tmp, dir);
		return -1;
	}
	snprintf(rv->hba, sizeof rv->hba, "%s/hba.conf", rv->run);
	snprintf(rv->ident, sizeof rv->ident, "%s/ident.conf", rv->run);
	snprintf(rv->log, sizeof rv->log, "%s/server.log", rv->run);
	snprintf(rv->conf, sizeof rv->conf, "%s/postgresql.conf", dir);
	rv->made_conf = !exists(dir, "postgresql.conf");
	if (cli_pgbr_chown(b, rv->run) != 0 ||
	    cli_pgbr_write_file(b, rv->hba, "local all all reject\n", false) != 0 ||
	    cli_pgbr_write_file(b, rv->ident, "", false) != 0 ||
	    (rv->made_conf && cli_pgbr_write_file(b, rv->conf, "", false) != 0) ||
	    cli_pgbr_write_file(b, rv->log, "", false) != 0) {
		cli_errorf("cannot prepare the recovery in %s: %s", rv->run, strerror(errno));
		return -1;
	}
	return 0;
}

/* The copy in dir started with b's environment, then awaited until it
 * promoted; 0, or -1 after saying why. */
static int run_recovery(const cli_pgbr *b, cli_opts *o, const char *dir, recovery *rv)
{
	char *opts = NULL, *err = NULL;
	if (asprintf(&opts,
	             "-c port=%d -c listen_addresses='' -c unix_socket_directories='%s'"
	             " -c hba_file='%s' -c ident_file='%s' -c archive_mode=off"
	             " -c logging_collector=off -c hot_standby=off -c lc_messages=C",
	             cli_pgbr_free_port(), rv->run, rv->hba, rv->ident) < 0)
		return -1;
	const char *start[] = {"pg_ctl", "-D", dir,   "-l", rv->log, "-o",
	                       opts,     "-t", "600", "-W", "start", NULL};
	cli_note(&o->out, "recovering the restored copy in %s (archive from %s)", dir, b->repo);
	rv->started = true; /* from here on, stopped on every path */
	int rc = cli_pgbr_run_as(b, start, "pg_ctl start of the restored copy", -1, &err);
	if (rc != 0)
		fprintf(stderr, "%s\n", err);
	/* pg_ctl -W returns before the postmaster wrote its pid file */
	for (int i = 0; rc == 0 && i < 3000 && !exists(dir, "postmaster.pid"); i++)
		nanosleep(&(struct timespec){0, 10000000L}, NULL);
	if (rc == 0)
		rc = await_promotion(dir, rv->log);
	free(opts);
	free(err);
	return rc;
}

/* The copy stopped when it runs, the private directory and a made
 * postgresql.conf removed; -1 when the copy may still run. */
static int finish(const cli_pgbr *b, const char *dir, recovery *rv)
{
	int rc = 0;
	if (rv->started && exists(dir, "postmaster.pid")) {
		char *err = NULL;
		const char *stop[] = {"pg_ctl", "-D", dir, "-m", "fast", "-w", "-t", "600", "stop", NULL};
		if (cli_pgbr_run_as(b, stop, "pg_ctl stop of the restored copy", -1, &err) != 0) {
			fprintf(stderr, "%s (the restored copy in %s may still run)\n", err, dir);
			rc = -1;
		}
		free(err);
	}
	if (rv->made_conf)
		unlink(rv->conf);
	if (rv->run[0])
		cli_remove_tree(rv->run, false);
	return rc;
}

int cli_pgbr_recover(const cli_pgbr *b, cli_opts *o, const char *dir)
{
	recovery rv = {0};
	cli_signal_hold hold;
	cli_tool_hold_signals(&hold);
	int rc = prepare(b, dir, &rv) == 0 ? run_recovery(b, o, dir, &rv) : -1;
	if (finish(b, dir, &rv) != 0)
		rc = -1;
	cli_tool_release_signals(&hold);
	if (cli_tool_held_signal()) {
		cli_errorf("the recovery was stopped by a signal (%s)", strsignal(cli_tool_held_signal()));
		rc = -1;
	}
	return rc;
}
