/*
 * cmd_log.c — dbcare log DIR: the SQLite point-in-time capture (the
 * module's own, sqlite/pitr_capture.c, built into the command), polling
 * every --sleep-ms (default 50) until SIGTERM,
 * SIGINT or --run-for; a segment closes after --segment-interval or
 * --segment-bytes. Exits 1 when the capture fails (the log stays whole up
 * to its last record; the next run continues it or starts a new base).
 */
#include "cli/driver/conn.h"
#include "pitr.h"
#include "cli/common/files.h"

#include "base/clock.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define FAILURES_MAX 100

static volatile sig_atomic_t stop_now;

/* dbbackup_identity() of the database (malloc'd; NULL: none yet), read on
 * a connection of its own (which never captures: cli/driver/conn.c); -1
 * after saying why the database cannot be opened. */
static int database_identity(const cli_target *t, cli_opts *o, char **identity)
{
	char *err = NULL;
	cli_db *db = cli_connect(t, &(cli_connect_opts){.module = o->module}, &err);
	*identity = NULL;
	if (!db) {
		fprintf(stderr, "%s\n", err ? err : "dbcare: cannot open the database");
		free(err);
		return -1;
	}
	cli_rows r = {0};
	if (cli_q(db, o, "SELECT dbbackup_identity()", 0, NULL, &r) == 0 && cli_cell(&r, 0, 0))
		*identity = strdup(cli_cell(&r, 0, 0));
	else
		cli_error_clear(db);
	cli_rows_free(&r);
	cli_disconnect(db);
	return 0;
}

/* DBCARE_TEST_BASE_STEP_MS: the most a poll spends copying a periodic
 * base (a copy spread over many polls at suite size); DBCARE_TEST_SCAN_PAUSE_MS: a pause in every
 * poll between its read of the WAL and its time (a capture descheduled there), tests only;
 * DBCARE_TEST_POLL_BYTES: the most one poll copies, and
 * DBCARE_TEST_RECORD_BYTES: the most one commit record holds, for tests
 * only (a backlog of partial polls and a commit larger than a record at
 * suite size, docs/testing.md); 0 (unset): the capture's own 16 MB and the
 * format's 2 GB. */
static size_t test_bytes(const char *name)
{
	const char *v = getenv(name);
	long long n = v ? strtoll(v, NULL, 10) : 0;
	return n > 0 ? (size_t)n : 0;
}

static void on_signal(int sig)
{
	(void)sig;
	stop_now = 1;
}

int cmd_log(cli_db *probe, cli_opts *o)
{
	struct stat st;
	pitr_log_use_host(cli_text_host());
	/* status and prune read the log's files alone, with or without --db
	 * (the database may be gone) */
	if (o->nargs == 2 && strcmp(o->args[0], "status") == 0)
		return cli_pitr_status(o, o->args[1]);
	if (o->nargs == 2 && strcmp(o->args[0], "prune") == 0)
		return cli_pitr_prune(o, o->args[1]);
	if (!probe && o->nargs == 1)
		return CLI_NEEDS_DB; /* the capture: a database to capture */
	if (o->nargs != 1) {
		cli_errorf("usage: dbcare log DIR | log status DIR | log prune DIR --keep N | --keep-for "
		           "SPAN [--apply]");
		return CLI_USAGE;
	}
	/* a stop signal ends the capture with 0, one that comes while the
	 * database is opened and the capture starts too (it is kept in
	 * stop_now: the capture stops after its start, nothing half-made) */
	struct sigaction sa = {.sa_handler = on_signal};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	/* run_one.c hands the target over; no file: a server's, PostgreSQL */
	const cli_target *t = probe->handle;
	if (!cli_target_file(t)) {
		cli_errorf("log is for SQLite databases; PostgreSQL archives its WAL with pgBackRest");
		return CLI_ERROR;
	}
	if (stat(o->args[0], &st) != 0 || !S_ISDIR(st.st_mode)) {
		cli_errorf("log: %s is not a directory", o->args[0]);
		return CLI_ERROR;
	}
	char *identity = NULL;
	if (database_identity(t, o, &identity) != 0)
		return CLI_ERROR;
	int poll_ms = o->sleep_ms > 0 ? o->sleep_ms : 50;
	pitr_capture c = {.dir = o->args[0],
	                  .db_path = t->spec,
	                  .identity = identity,
	                  .seg_interval_ms = (int64_t)((o->segment_s > 0 ? o->segment_s : 60) * 1000),
	                  .seg_bytes = o->segment_bytes > 0 ? o->segment_bytes : (int64_t)64 << 20,
	                  .base_interval_ms = (int64_t)(o->base_interval_s * 1000),
	                  .base_bytes = o->base_bytes,
	                  .ckpt_frames = 1000,
	                  .poll_bytes = test_bytes("DBCARE_TEST_POLL_BYTES"),
	                  .record_bytes = test_bytes("DBCARE_TEST_RECORD_BYTES"),
	                  .scan_pause_ms = (int)test_bytes("DBCARE_TEST_SCAN_PAUSE_MS"),
	                  .base_step_ms = (int)test_bytes("DBCARE_TEST_BASE_STEP_MS"),
	                  .base_poll = pitr_next_base_poll,
	                  .base_stop = pitr_next_base_stop,
	                  .stall_ms = 1000 + 2 * (int64_t)poll_ms,
	                  .vouch_ms = poll_ms * 4 > 200 ? poll_ms * 4 : 200};
	cli_pitr_capture_init(&c, o);
	int started = pitr_capture_start(&c);
	if (started != 0) {
		if (started > 0)
			cli_errorf("log: another capture (dbcare log, or an application connection with "
			           "backup.log.dir set) is capturing into %s",
			           c.dir);
		pitr_capture_stop(&c);
		free(identity);
		return CLI_ERROR;
	}
	double begun = dbc_monotonic_ms();
	/* a failed poll keeps the reader it held (nothing can be lost) and is
	 * tried again: a lock held too long, a full disk freed; the capture
	 * gives up after FAILURES_MAX in a row */
	int rc = 0, failures = 0;
	while (!stop_now && failures < FAILURES_MAX) {
		nanosleep(&(struct timespec){poll_ms / 1000, (long)(poll_ms % 1000) * 1000000}, NULL);
		rc = pitr_capture_poll(&c);
		failures = rc == 0 ? 0 : failures + 1;
		if (o->run_for_s > 0 && dbc_monotonic_ms() - begun >= o->run_for_s * 1000)
			break;
	}
	pitr_capture_stop(&c);
	free(identity);
	return rc == 0 ? CLI_OK : CLI_ERROR;
}
