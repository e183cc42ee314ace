/*
 * cmd_log.c — dbcare log [DIR]: the SQLite point-in-time capture (the
 * module's own, sqlite/pitr/pitr_capture.c, built into the command), polling
 * every --sleep-ms (default 50; sooner while the WAL grows fast) until SIGTERM,
 * SIGINT or --run-for; a segment closes after --segment-interval or
 * --segment-bytes. Without DIR, into the database's backup.log.dir. Exits
 * 1 when the capture fails (the log stays whole up to its last record; the
 * next run continues it or starts a new base). With --copy-to DEST, each
 * finished file of the log is shipped to DEST as it is published
 * (pitr_ship.c).
 */
#include "cli/driver/conn.h"
#include "pitr.h"
#include "cli/common/files.h"
#include "cli/store/store.h"

#include "base/clock.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* A failed poll is tried again after the poll's interval doubled at each
 * failure, up to RETRY_MAX_MS, until FAIL_FOR_MS of failures in a row
 * (DBCARE_TEST_FAIL_FOR_MS: tests only): then the capture stops, exit 1. */
#define RETRY_MAX_MS 5000
#define FAIL_FOR_MS  (5 * 60 * 1000)

/* The capture checkpoints once the WAL holds this many frames: half of
 * SQLite's automatic checkpoint (1,000 frames, a writer's default). A
 * writer's own automatic checkpoint runs at every commit once the WAL
 * holds 1,000 frames, and while the capture's reader keeps the WAL from
 * starting again each of those runs finds little or nothing it may copy
 * (and with the reader on the database file alone, sorts the whole
 * WAL's index to learn so): the writer pays for a checkpoint at every
 * commit. The capture's own checkpoint, sooner, starts the WAL again
 * before the writer's threshold is reached. */
#define CAPTURE_CKPT_FRAMES 500
/* The capture's checkpoint waits this long for the write lock: a writer
 * committing back to back leaves it free only between two commits, and a
 * checkpoint that never gets it never starts the WAL again (the writer's
 * own automatic checkpoints then run at every commit, above). */
#define CAPTURE_CKPT_WAIT_MS 20
/* The shortest wait between two polls (next_wait_ms). */
#define POLL_MIN_MS 5

static volatile sig_atomic_t stop_now;

/* One value of the database (malloc'd; NULL: none, or no bookkeeping to
 * read it from). */
static char *database_value(cli_db *db, cli_opts *o, const char *sql)
{
	cli_rows r = {0};
	char *value = NULL;
	if (cli_q(db, o, sql, 0, NULL, &r) == 0 && cli_cell(&r, 0, 0) && *cli_cell(&r, 0, 0))
		value = strdup(cli_cell(&r, 0, 0));
	else
		cli_error_clear(db);
	cli_rows_free(&r);
	return value;
}

/* dbbackup_identity() of the database (malloc'd; NULL: none yet) and,
 * when log_dir is asked for, its backup.log.dir (NULL: not set), read on a
 * connection of its own (which never captures: cli/driver/conn.c); -1
 * after saying why the database cannot be opened. */
static int database_identity(const cli_target *t, cli_opts *o, char **identity, char **log_dir)
{
	char *err = NULL;
	cli_db *db = cli_connect(t, &(cli_connect_opts){.module = o->module}, &err);
	*identity = NULL;
	if (!db) {
		fprintf(stderr, "%s\n", err ? err : "dbcare: cannot open the database");
		free(err);
		return -1;
	}
	*identity = database_value(db, o, "SELECT dbbackup_identity()");
	if (log_dir)
		*log_dir = database_value(db, o, "SELECT dbcare_get('backup.log.dir')");
	cli_disconnect(db);
	return 0;
}

/* backup.log.dir a store's URL (setting): DIR, the capture's own folder,
 * ships there as with --copy-to (o->copy_to points at setting, which
 * lives as long as the capture). 0, or -1 after saying why: no DIR, or a
 * --copy-to naming another store. */
static int store_setting(cli_opts *o, const char *setting)
{
	if (!cli_store_is_url(setting))
		return 0;
	if (o->nargs == 0) {
		cli_errorf("log: backup.log.dir is the store %s: name the folder the capture writes "
		           "into (dbcare log DIR), which ships there",
		           setting);
		return -1;
	}
	if (o->copy_to && strcmp(o->copy_to, setting) != 0) {
		cli_errorf("log: backup.log.dir names the store %s and --copy-to another: give one "
		           "destination",
		           setting);
		return -1;
	}
	o->copy_to = setting;
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

/* The wait before the next poll: poll_ms, shorter when the WAL grew so
 * fast since the last poll (*last, at *last_ms; both moved on) that a
 * wait of poll_ms would let it pass half the capture's checkpoint
 * threshold: the next poll (and checkpoint) comes before a writer's own
 * automatic checkpoint would (CAPTURE_CKPT_FRAMES). At least POLL_MIN_MS. */
static int pace_wait_ms(const pitr_capture *c, wal_pos *last, double *last_ms, int poll_ms)
{
	double now = dbc_monotonic_ms(), elapsed = now - *last_ms;
	/* a WAL started again since: its frames so far are all new */
	uint32_t grown = c->pos.salt1 == last->salt1 && c->pos.frame >= last->frame
	                     ? c->pos.frame - last->frame
	                     : c->pos.frame;
	*last = c->pos;
	*last_ms = now;
	if (grown == 0 || elapsed <= 0)
		return poll_ms;
	double wait = (CAPTURE_CKPT_FRAMES / 2) * elapsed / grown;
	return wait >= poll_ms ? poll_ms : wait <= POLL_MIN_MS ? POLL_MIN_MS : (int)wait;
}

/* The wait before the next poll after failures: the interval doubled at
 * each, up to RETRY_MAX_MS. */
static int retry_wait_ms(int poll_ms, int failures)
{
	int64_t ms = poll_ms;
	for (int i = 0; i < failures && ms < RETRY_MAX_MS; i++)
		ms *= 2;
	return ms < RETRY_MAX_MS ? (int)ms : RETRY_MAX_MS > poll_ms ? RETRY_MAX_MS : poll_ms;
}

/* Polls until a stop, --run-for, or FAIL_FOR_MS of failures in a row. A
 * failed poll keeps the reader it held (nothing can be lost) and is tried
 * again (a lock held too long, a full disk freed); its error is said once
 * (pitr_files.c), with what the capture does about it. 0, or -1. */
static int capture_loop(pitr_capture *c, cli_opts *o, int poll_ms, pitr_ship *sh)
{
	double begun = dbc_monotonic_ms(), failing_since = 0;
	int64_t fail_for = test_bytes("DBCARE_TEST_FAIL_FOR_MS");
	fail_for = fail_for > 0 ? fail_for : FAIL_FOR_MS;
	int rc = 0, failures = 0, ms = poll_ms;
	wal_pos last = c->pos;
	double last_ms = begun;
	while (!stop_now) {
		nanosleep(&(struct timespec){ms / 1000, (long)(ms % 1000) * 1000000}, NULL);
		rc = pitr_capture_poll(c);
		if (sh)
			pitr_ship_poll(sh, false);
		double now = dbc_monotonic_ms();
		int paced = pace_wait_ms(c, &last, &last_ms, poll_ms);
		if (rc == 0 && failures > 0) {
			cli_note(&o->out, "log: the capture into %s copies again (after %d failed polls)",
			         c->dir, failures);
			cli_pitr_say_reset();
		} else if (rc != 0 && failures == 0) {
			failing_since = now;
			cli_errorf("log: the capture into %s failed (above): it keeps what it has not "
			           "copied in the WAL and tries again every %d s at most, for %lld s",
			           c->dir, RETRY_MAX_MS / 1000, (long long)(fail_for / 1000));
		}
		failures = rc == 0 ? 0 : failures + 1;
		ms = failures > 0 ? retry_wait_ms(poll_ms, failures) : paced;
		if (failures > 0 && now - failing_since >= (double)fail_for) {
			cli_errorf("log: the capture into %s stops: it failed for %.0f s (%d polls in a "
			           "row); run dbcare log again once the cause is gone",
			           c->dir, (now - failing_since) / 1000, failures);
			break;
		}
		if (o->run_for_s > 0 && now - begun >= o->run_for_s * 1000)
			break;
	}
	return rc;
}

/* What the capture closed at its stop shipped too (--copy-to): rc, or -1
 * when the store does not hold the whole log. */
static int shipped_at_stop(cli_opts *o, pitr_ship *sh, int rc)
{
	if (!sh)
		return rc;
	if (pitr_ship_poll(sh, true) != 0)
		rc = -1;
	else
		cli_note(&o->out, "log: %llu files of the log shipped to %s",
		         (unsigned long long)pitr_ship_count(sh), pitr_ship_label(sh));
	pitr_ship_close(sh);
	return rc;
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
		return cli_pitr_status_at(o, o->args[1]);
	if (o->nargs == 2 && strcmp(o->args[0], "prune") == 0)
		return cli_pitr_prune_at(o, o->args[1]);
	if (!probe && o->nargs <= 1)
		return CLI_NEEDS_DB; /* the capture: a database to capture */
	if (o->nargs > 1) {
		cli_errorf("usage: dbcare log [DIR] | log status DIR | log prune DIR --keep N | "
		           "--keep-for SPAN [--apply]");
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
	/* without DIR, the directory the database names (backup.log.dir: the
	 * same log its application connections capture into) */
	char *identity = NULL, *setting = NULL;
	if (database_identity(t, o, &identity, &setting) != 0)
		return CLI_ERROR;
	if (setting && store_setting(o, setting) != 0) {
		free(identity);
		free(setting);
		return CLI_USAGE;
	}
	const char *dir = o->nargs == 1 ? o->args[0] : setting;
	if (!dir) {
		cli_errorf("log: no DIR given and backup.log.dir is not set in %s\n"
		           "HINT: Name the log's directory (dbcare log DIR), or set it once in the "
		           "database: SELECT dbcare_set('backup.log.dir', '/absolute/dir');",
		           probe->label);
		free(identity);
		return CLI_USAGE;
	}
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		cli_errorf("log: %s is not a directory%s", dir,
		           o->nargs == 0 ? " (backup.log.dir of the database)" : "");
		free(identity);
		free(setting);
		return CLI_ERROR;
	}
	int poll_ms = o->sleep_ms > 0 ? o->sleep_ms : 50;
	pitr_capture c = {.dir = dir,
	                  .db_path = t->spec,
	                  .identity = identity,
	                  .seg_interval_ms = (int64_t)((o->segment_s > 0 ? o->segment_s : 60) * 1000),
	                  .seg_bytes = o->segment_bytes > 0 ? o->segment_bytes : (int64_t)64 << 20,
	                  .base_interval_ms = (int64_t)(o->base_interval_s * 1000),
	                  .base_bytes = o->base_bytes,
	                  .ckpt_frames = CAPTURE_CKPT_FRAMES,
	                  .ckpt_wait_ms = CAPTURE_CKPT_WAIT_MS,
	                  .poll_bytes = test_bytes("DBCARE_TEST_POLL_BYTES"),
	                  .record_bytes = test_bytes("DBCARE_TEST_RECORD_BYTES"),
	                  .scan_pause_ms = (int)test_bytes("DBCARE_TEST_SCAN_PAUSE_MS"),
	                  .base_step_ms = (int)test_bytes("DBCARE_TEST_BASE_STEP_MS"),
	                  .base_poll = pitr_next_base_poll,
	                  .base_stop = pitr_next_base_stop,
	                  .stall_ms = 1000 + 2 * (int64_t)poll_ms,
	                  .vouch_ms = poll_ms * 4 > 200 ? poll_ms * 4 : 200};
	cli_pitr_capture_init(&c, o);
	/* the store answers before anything is captured (--copy-to) */
	pitr_ship *sh = o->copy_to ? pitr_ship_open(o, dir, o->copy_to) : NULL;
	int started = o->copy_to && !sh ? -2 : pitr_capture_start(&c);
	if (started != 0) {
		if (started > 0)
			cli_errorf("log: another capture (dbcare log, or an application connection with "
			           "backup.log.dir set) is capturing into %s",
			           c.dir);
		if (started != -2) /* -2: not begun */
			pitr_capture_stop(&c);
		pitr_ship_close(sh);
		free(identity);
		free(setting);
		return CLI_ERROR;
	}
	int rc = capture_loop(&c, o, poll_ms, sh);
	pitr_capture_stop(&c);
	rc = shipped_at_stop(o, sh, rc);
	free(identity);
	free(setting);
	return rc == 0 ? CLI_OK : CLI_ERROR;
}
