/*
 * migrate_online.c — `dbcare migrate --online` (docs/migrations.md,
 * "Online"): one pending migration run as the module's
 * dbmigrate_online_plan says, step by step, between dbmigrate_step_begin
 * and dbmigrate_step_end, so the history records it once, as plain migrate
 * would. The module decides the steps; this file only drives them:
 *   - every lock is waited for at most --lock-timeout (SET LOCAL inside a
 *     transaction), never in a queue that would hold up the sessions
 *     behind it; a unit whose lock was not granted in time is rolled back
 *     and started again from its first step after a pause that doubles,
 *     with jitter, up to --lock-retries tries;
 *   - before a unit taking a lock that keeps the table's writers out
 *     (the exclusive lock; ADD FOREIGN KEY's SHARE ROW EXCLUSIVE), the
 *     sessions holding a lock it conflicts with (an idle transaction, an
 *     autovacuum's ANALYZE) are named, and waited for without a queue or
 *     (--blockers abort) given up on;
 *   - a backfill is paced (core/migrate/migrate_throttle.h decides, this
 *     file measures): before each batch (their positions read at most
 *     once a second), while the replica that lags most
 *     is more than --max-replica-lag bytes of WAL behind, the batch waits
 *     and the command says for which replica; while the WAL written since
 *     the last checkpoint is over its share of what would make the server
 *     start the next one (dbc_throttle_wal_room), the batch waits too, and
 *     the command says so (a backfill never forces a checkpoint before
 *     checkpoint_timeout would); each batch's size follows
 *     how the last one went (its time, its lock retries, the sessions it
 *     kept waiting); a batch whose BEGIN finds the database busy is tried
 *     again like one whose rows are; after each batch the command rests
 *     three times as long as it ran (dbc_throttle_yield_ms), so the
 *     clients have the server (and SQLite's writers polling for its one
 *     lock) at least three quarters of the time;
 *   - each unit is recorded done (dbmigrate_online_record) in its own
 *     transaction, or right after it when it runs outside one: a run killed
 *     part way is resumed by the next one (step_begin kind 'online' takes
 *     its event over), or undone newest first by `dbcare rollback`
 *     (cli_undo_online, each step's undo from the plan).
 */
#include "cli/cli.h"

#include "base/clock.h"
#include "migrate/migrate.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct online_run {
	cli_db *db;
	cli_opts *o;
	const cli_rows *plan;
	int c_unit, c_mode, c_lock, c_rel, c_sql, c_purpose, c_step;
	int timeout_ms, tries;
	unsigned seed;
	const char *version;
	const cli_rows *done; /* the steps an earlier run recorded done: step, statement */
	/* tests only (DBCARE_TEST_ONLINE_KILL_AT=N): the command kills itself
	 * (SIGKILL) before its Nth statement, as kill -9 would at that point;
	 * a run that ends first says how many it sent */
	long kill_at, sent;
	/* the throttle: its pace (core's), the next batch's size (a per cent
	 * of the plan's), the smallest and largest a batch ran at, the batches
	 * run and the time spent waiting for replicas; the lag waited under */
	dbc_throttle pace;
	int pct, pct_min, pct_max;
	long batches;
	double lag_waited_ms;
	int64_t max_lag;
	double lag_read_at; /* when the replicas' positions were last read, -1: never */
	bool unknown_said;
	/* the last change of the batch's size was a cut: the next growth is
	 * said (every cut is, and the first growth after one) */
	bool cut_last;
	/* the backfill's duty: its batches' time BEGIN to COMMIT, and the
	 * window from its first batch's BEGIN to its last rest's end */
	double busy_ms, window_from, window_to;
	/* the units that take the exclusive lock: how many, and the longest
	 * one's time BEGIN to COMMIT, which bounds the lock's hold (the wait
	 * for it, and what the unit does before taking it, included) */
	int ax_units;
	double ax_max_ms;
	const char *ax_max_purpose; /* the longest one's first step's purpose */
	/* WAL pacing: when the server's WAL state was last read (-1: never),
	 * the room it left and its segment's size, the time waited for it,
	 * and whether the state was found unreadable (said once) */
	double wal_read_at, wal_waited_ms;
	int64_t wal_room, wal_segment, wal_written;
	bool wal_unknown;
	/* whether the checkpointer was idle at the last reading and the WAL
	 * insert position then (-1: not read); the redo point of a checkpoint
	 * seen to begin since, at most its own (0: none seen) */
	bool wal_idle;
	int64_t wal_insert, wal_redo;
} online_run;

/* Sleeps ms, its fraction kept: a 0.2 ms batch rests 0.6 ms, not 0. */
static void pause_ms(double ms)
{
	long long ns = (long long)(ms * 1e6);
	struct timespec ts = {(time_t)(ns / 1000000000LL), (long)(ns % 1000000000LL)};
	while (nanosleep(&ts, &ts) != 0)
		;
}

/* The pause before try k (1-based) of a step: 100 ms doubling up to 5 s,
 * times a random factor from 0.5 to 1.5, so that two runs never retry in
 * step with each other or with the session in their way. */
static void backoff(online_run *r, int k)
{
	long base = 100L << (k < 6 ? k : 6);
	if (base > 5000)
		base = 5000;
	pause_ms(base / 2 + (long)(rand_r(&r->seed) % (unsigned)(base + 1)));
}

/* Whether the last error is a lock not granted in time (worth a retry). */
static bool lock_not_granted(const online_run *r)
{
	const char *s = r->db->error.sqlstate, *list = r->db->drv->lock_not_granted;
	return s[0] && list && strstr(list, s) != NULL;
}

static const char *cell(const online_run *r, int i, int c)
{
	return cli_cell(r->plan, i, c);
}

static bool mode_is(const online_run *r, int i, const char *mode)
{
	const char *m = cell(r, i, r->c_mode);
	return m && strcmp(m, mode) == 0;
}

static int q(online_run *r, const char *sql, int n, const char *const *p, cli_rows *out)
{
	if (r->kill_at > 0 && ++r->sent == r->kill_at)
		raise(SIGKILL);
	return r->db->drv->query(r->db, sql, n, p, out);
}

static int set_wait(online_run *r, const char *fmt, cli_rows *out)
{
	char sql[512];
	snprintf(sql, sizeof sql, fmt, r->timeout_ms);
	return q(r, sql, 0, NULL, out);
}

/* One statement at top level, its lock waited for at most the timeout,
 * the server's work for it in one process (the driver's
 * lock_wait_session), then the session's values as found put back, also
 * after an error: a pooler's next client on this server session gets
 * them. Only a kill between the first and the last of these statements
 * leaves them set (docs/migrations.md, "Never a queue behind a lock"). */
static int run_outside(online_run *r, const char *sql)
{
	const cli_driver *drv = r->db->drv;
	cli_rows found = {0};
	if (set_wait(r, drv->lock_wait_session, &found) != 0) {
		cli_rows_free(&found);
		return -1;
	}
	int rc = q(r, sql, 0, NULL, NULL);
	if (drv->lock_wait_restore) {
		const char *p[8] = {0};
		int n = found.ncols < 8 ? found.ncols : 8;
		for (int k = 0; k < n; k++)
			p[k] = cli_cell(&found, 0, k);
		cli_error saved = r->db->error;
		memset(&r->db->error, 0, sizeof r->db->error);
		if (q(r, drv->lock_wait_restore, n, p, NULL) != 0 && rc == 0) {
			rc = -1; /* the statement's done, its session not as found */
		} else {
			if (rc != 0)
				cli_error_clear(r->db);
			r->db->error = saved;
		}
	}
	cli_rows_free(&found);
	return rc;
}

/* A "generated" step: each statement its query gives, at top level. */
static int run_generated(online_run *r, const char *query)
{
	cli_rows g = {0};
	int rc = q(r, query, 0, NULL, &g);
	for (int k = 0; rc == 0 && k < g.nrows; k++)
		rc = cli_cell(&g, k, 0) ? run_outside(r, cli_cell(&g, k, 0)) : 0;
	cli_rows_free(&g);
	return rc;
}

/* Before a batch, when the positions are due again (dbc_throttle_lag_due):
 * while the replica that lags most is more than
 * --max-replica-lag behind (dbc_throttle_waits), poll every 200 ms,
 * saying which replica and how far when the wait starts and every 5 s,
 * and how long it took when it ends. A replica whose position the role
 * cannot see is said once and not waited for. */
static int wait_for_replicas(online_run *r)
{
	double started = dbc_monotonic_ms(), said = 0;
	if (!dbc_throttle_lag_due(r->lag_read_at, started))
		return 0;
	for (;;) {
		char *name = NULL;
		long long lag = -1;
		int unknown = 0;
		if (cli_replicas_worst_lag(r->db, r->o, &name, &lag, &unknown) != 0)
			return -1;
		if (unknown && !r->unknown_said) {
			fprintf(stderr,
			        "dbcare: migrate --online cannot see how far %d replica(s) lag (grant "
			        "pg_monitor to see it): its batches do not wait for them\n",
			        unknown);
			r->unknown_said = true;
		}
		double now = dbc_monotonic_ms();
		if (!dbc_throttle_waits(lag, r->max_lag)) {
			free(name);
			r->lag_read_at = now;
			if (said > 0) {
				r->lag_waited_ms += now - started;
				fprintf(stderr,
				        "dbcare: migrate --online: replicas within %lld bytes after %.0f ms: "
				        "the backfill goes on\n",
				        (long long)r->max_lag, now - started);
			}
			return 0;
		}
		if (said == 0 || now - said >= 5000) {
			fprintf(stderr,
			        "dbcare: migrate --online waits for replica %s at %lld bytes of WAL behind "
			        "(--max-replica-lag %lld) before its next batch\n",
			        name, lag, (long long)r->max_lag);
			said = now;
		}
		free(name);
		pause_ms(200);
	}
}

/* The server's WAL state (the driver's online_wal_state) into *w: 0, or 1
 * when it cannot be read, which is said once and is not an error of the
 * run: its batches are then not paced by it. The redo point is the last
 * completed checkpoint's, or, when a checkpoint was seen to begin between
 * two readings (the checkpointer idle at the first, not at the second) and
 * has not completed, the insert position at the first of them: a
 * checkpoint runs for most of checkpoint_timeout, and the server counts
 * from its redo point from its start (the one taken is at or before it:
 * the WAL since is counted whole or more). */
static int read_wal(online_run *r, dbc_wal_state *w)
{
	cli_rows s = {0};
	int rc = r->db->drv->query(r->db, r->db->drv->online_wal_state, 0, NULL, &s);
	if (rc == 0 && s.nrows == 1 && cli_cell(&s, 0, 0) && cli_cell(&s, 0, 5)) {
		int64_t insert = atoll(cli_cell(&s, 0, 0)), redo = atoll(cli_cell(&s, 0, 1));
		int64_t seg = atoll(cli_cell(&s, 0, 2));
		bool idle = cli_cell(&s, 0, 5)[0] == 't';
		if (r->wal_insert >= 0 && r->wal_idle && !idle)
			r->wal_redo = r->wal_insert;
		r->wal_idle = idle;
		r->wal_insert = insert;
		if (r->wal_redo > redo)
			redo = r->wal_redo;
		*w = (dbc_wal_state){insert - redo, seg > 0 ? redo % seg : 0, seg, atof(cli_cell(&s, 0, 3)),
		                     atof(cli_cell(&s, 0, 4))};
		cli_rows_free(&s);
		return 0;
	}
	cli_rows_free(&s);
	fprintf(stderr,
	        "dbcare: migrate --online cannot read the WAL written since the last checkpoint "
	        "(%s): its batches are not paced by it (grant EXECUTE on pg_control_checkpoint() "
	        "to pace them)\n",
	        r->db->error.message ? r->db->error.message : "no row");
	cli_error_clear(r->db);
	r->wal_unknown = true;
	return 1;
}

/* Before a batch, when the WAL state is due again (dbc_throttle_wal_due):
 * while the WAL since the last checkpoint is over its share of what would
 * make the server start the next one, or too near it for the batches to
 * write as much again as since the last reading (dbc_throttle_wal_waits),
 * poll every 200 ms, saying how far when the wait starts and every 5 s,
 * and how long it took when it ends. A wait ends too when a checkpoint completes (the
 * WAL since the last one falls): clients that alone write past the share
 * still let the backfill go on, a batch a checkpoint. */
static void wait_for_wal(online_run *r)
{
	double started = dbc_monotonic_ms(), said = 0;
	if (!r->db->drv->online_wal_state || r->wal_unknown ||
	    !dbc_throttle_wal_due(r->wal_read_at, started, r->wal_room, r->wal_segment))
		return;
	int64_t first = -1;
	for (;;) {
		dbc_wal_state w;
		if (read_wal(r, &w) != 0)
			return;
		double now = dbc_monotonic_ms();
		/* what the batches (and the clients) wrote since the last
		 * reading: negative when a checkpoint completed meanwhile */
		int64_t step = r->wal_read_at < 0 ? 0 : w.written - r->wal_written;
		r->wal_read_at = now;
		r->wal_room = dbc_throttle_wal_room(&w);
		r->wal_segment = w.segment;
		r->wal_written = w.written;
		if (!dbc_throttle_wal_waits(&w, step) || (first >= 0 && w.written < first)) {
			if (said > 0) {
				r->wal_waited_ms += now - started;
				fprintf(stderr,
				        "dbcare: migrate --online: WAL pacing waited %.0f ms (%.1f MB since the "
				        "last checkpoint): the backfill goes on\n",
				        now - started, w.written / 1048576.0);
			}
			return;
		}
		if (first < 0)
			first = w.written;
		if (said == 0 || now - said >= 5000) {
			int64_t trigger = dbc_throttle_wal_trigger(&w);
			fprintf(stderr,
			        "dbcare: migrate --online waits for WAL pacing: %.1f MB written since the "
			        "last checkpoint, over %d%% of the %.1f MB that would start the next "
			        "(max_wal_size %.0f MB), before its next batch\n",
			        w.written / 1048576.0, DBC_THROTTLE_WAL_SHARE_PCT, trigger / 1048576.0,
			        w.max_wal_mb);
			said = now;
		}
		pause_ms(200);
	}
}

/* How many sessions wait for this batch's locks now (0 when the driver
 * cannot tell), -1 on an error; the batch's transaction goes on. */
static int lock_waiters(online_run *r)
{
	cli_rows w = {0};
	const char *sql = r->db->drv->online_lock_waiters;
	if (!sql)
		return 0;
	if (r->db->drv->query(r->db, sql, 0, NULL, &w) != 0) {
		cli_rows_free(&w);
		return -1;
	}
	int n = cli_cell(&w, 0, 0) ? atoi(cli_cell(&w, 0, 0)) : 0;
	cli_rows_free(&w);
	return n;
}

/* A change of the batches' size said, as progress: every cut a wait caused
 * (a lock not granted in time, a session kept waiting), with its cause, and
 * the first growth after it. A cut for time alone, which the 20 ms target
 * makes often, is not said one by one: the run's summary gives the sizes'
 * range. */
static void say_pace(online_run *r, const dbc_throttle_batch *m, int was)
{
	if (r->pct < was && (m->lock_retries > 0 || m->waiters > 0)) {
		cli_note(&r->o->out,
		         "migration %s: batch %ld waited for a lock %d time(s), kept %d session(s) "
		         "waiting, ran %.0f ms: the next batch %d%% of the plan's (was %d%%)",
		         r->version, r->batches, m->lock_retries, m->waiters, m->ms, r->pct, was);
		r->cut_last = true;
	} else if (r->pct > was && r->cut_last) {
		cli_note(&r->o->out,
		         "migration %s: batch %ld ran %.0f ms with no wait: the next batch %d%% of the "
		         "plan's (was %d%%), growing",
		         r->version, r->batches, m->ms, r->pct, was);
		r->cut_last = false;
	}
}

/* One range of a "batches" step in a transaction of its own ($1 its first
 * page, $2 the pass's end page or NULL, $3 its size, the throttle's per
 * cent; a "probe" has no parameter), tried again while its row locks are
 * not granted in time; *filled, *next and *end from its one row. A
 * range's time, retries and waiters set the next one's size. */
static int run_range(online_run *r, const char *sql, int np, const char *const p[3], long *filled,
                     char next[32], char end[32])
{
	if (wait_for_replicas(r) != 0)
		return -1;
	wait_for_wal(r);
	for (int k = 1;; k++) {
		cli_rows b = {0};
		double t0 = dbc_monotonic_ms();
		int waiters = 0;
		/* a BEGIN that did not get the lock in time (SQLite's BEGIN
		 * IMMEDIATE on a busy database) is tried again as a statement
		 * of the range would be: the copy waits, never fails for it */
		bool begun = q(r, r->db->drv->begin_write, 0, NULL, NULL) == 0;
		if (begun && set_wait(r, r->db->drv->lock_wait_local, NULL) == 0 &&
		    q(r, sql, np, p, &b) == 0 && (waiters = lock_waiters(r)) >= 0 &&
		    q(r, "COMMIT", 0, NULL, NULL) == 0) {
			double held = dbc_monotonic_ms() - t0;
			*filled = cli_cell(&b, 0, 0) ? atol(cli_cell(&b, 0, 0)) : 0;
			snprintf(next, 32, "%s", cli_cell(&b, 0, 1) ? cli_cell(&b, 0, 1) : "0");
			snprintf(end, 32, "%s", cli_cell(&b, 0, 2) ? cli_cell(&b, 0, 2) : "0");
			cli_rows_free(&b);
			/* under DBCARE_TEST_ONLINE_KILL_AT the plan's size stays: a
			 * pace that follows timing would move the kill points */
			if (np == 3 && r->kill_at == 0) {
				dbc_throttle_batch m = {held, k - 1, waiters};
				r->pct_min = r->pct < r->pct_min ? r->pct : r->pct_min;
				r->pct_max = r->pct > r->pct_max ? r->pct : r->pct_max;
				int was = r->pct;
				r->pct = dbc_throttle_next(&r->pace, &m);
				r->batches++;
				say_pace(r, &m, was);
			}
			if (r->busy_ms == 0)
				r->window_from = t0;
			r->busy_ms += held;
			/* under DBCARE_TEST_ONLINE_KILL_AT no rest either: a kill
			 * test runs the backfill once a kill point, and a rest
			 * moves none of them */
			if (r->kill_at == 0)
				pause_ms(dbc_throttle_yield_ms(held));
			r->window_to = dbc_monotonic_ms();
			return 0;
		}
		cli_rows_free(&b);
		bool retry = lock_not_granted(r);
		cli_error saved = r->db->error;
		memset(&r->db->error, 0, sizeof r->db->error);
		if (begun)
			cli_rollback(r->db);
		r->db->error = saved;
		if (!retry || k >= r->tries)
			return -1;
		backoff(r, k + 1);
	}
}

/* A "batches" step: passes over the table, each from page 0 to the
 * table's size in pages when the pass began, one range a transaction, so
 * each pass reads each row once. Rows inserted meanwhile get the column's
 * default; a row updated while still unfilled may move behind the cursor
 * (or past the end), still unfilled: the next pass fills it. Passes go on
 * until one fills no row. */
static int run_batches(online_run *r, const char *sql, long *rows)
{
	for (long pass_filled = 1; pass_filled > 0;) {
		char page[32] = "0", next[32], end[32], pct[16];
		const char *p[3] = {page, NULL, pct};
		pass_filled = 0;
		for (;;) {
			long n = 0;
			snprintf(pct, sizeof pct, "%d", r->pct);
			if (run_range(r, sql, 3, p, &n, next, end) != 0)
				return -1;
			pass_filled += n;
			if (atoll(next) >= atoll(end))
				break;
			memcpy(page, next, sizeof page);
			p[1] = end;
		}
		*rows += pass_filled;
	}
	return 0;
}

/* A "probe" step: the statement, a transaction each time, until it fills
 * no row (a snapshot in which no row is unfilled: rows written since get
 * the column's default). */
static int run_probe(online_run *r, const char *sql, long *rows)
{
	for (long filled = 1; filled > 0;) {
		char next[32], end[32];
		if (run_range(r, sql, 0, NULL, &filled, next, end) != 0)
			return -1;
		*rows += filled;
	}
	return 0;
}

/* The statement step `step` of the version was recorded done with, or
 * NULL. */
static const char *done_statement(const online_run *r, const char *step)
{
	for (int k = 0; step && k < r->done->nrows; k++)
		if (cli_cell(r->done, k, 0) && strcmp(cli_cell(r->done, k, 0), step) == 0)
			return cli_cell(r->done, k, 1);
	return NULL;
}

/* 1 when every step of the unit [from, to) was recorded done by an earlier
 * run, 0 when none was, -1 (an error said) when a recorded step's
 * statement is not the plan's: the plan changed under a half-done run. */
static int unit_done(const online_run *r, int from, int to)
{
	int n = 0;
	for (int i = from; i < to; i++) {
		const char *was = done_statement(r, cell(r, i, r->c_step));
		if (was && (!cell(r, i, r->c_sql) || strcmp(was, cell(r, i, r->c_sql)) != 0)) {
			cli_errorf("migration %s: step %s was done as \"%s\", the plan now says \"%s\"",
			           r->version, cell(r, i, r->c_step), was,
			           cell(r, i, r->c_sql) ? cell(r, i, r->c_sql) : "");
			fprintf(stderr, "HINT: Restore the migration file the stopped run used, or undo the "
			                "steps done with dbcare rollback.\n");
			return -1;
		}
		n += was != NULL;
	}
	return n == to - from ? 1 : 0;
}

/* The unit's steps recorded done: inside its transaction, or right after
 * it when it runs outside one (a kill in between runs it again: every
 * such step can run twice -- a leftover index dropped first, a backfill
 * that fills only NULLs, a VALIDATE of the constraint not yet valid). */
static int record_unit(online_run *r, int from, int to)
{
	for (int i = from; i < to; i++) {
		const char *p[3] = {r->version, cell(r, i, r->c_step), cell(r, i, r->c_sql)};
		if (q(r, "SELECT dbmigrate_online_record($1, CAST($2 AS integer), $3)", 3, p, NULL) != 0)
			return -1;
	}
	return 0;
}

/* The unit's steps [from, to) once: its "transaction" steps in one
 * transaction, recorded done first in it (before a step takes its table's
 * lock: the lock is held for the steps alone, not for the records too),
 * the others at top level, then recorded done. */
static const char *exclusive_table(const online_run *r, int from, int to);

static int run_unit_once(online_run *r, int from, int to, long *rows)
{
	bool tx = mode_is(r, from, "transaction");
	bool ax = tx && exclusive_table(r, from, to) != NULL;
	double t0 = dbc_monotonic_ms();
	if (tx && (q(r, r->db->drv->begin_write, 0, NULL, NULL) != 0 ||
	           set_wait(r, r->db->drv->lock_wait_local, NULL) != 0))
		return -1;
	int rc = tx ? record_unit(r, from, to) : 0;
	for (int i = from; rc == 0 && i < to; i++) {
		const char *sql = cell(r, i, r->c_sql);
		if (mode_is(r, i, "generated"))
			rc = run_generated(r, sql);
		else if (mode_is(r, i, "batches"))
			rc = run_batches(r, sql, rows);
		else if (mode_is(r, i, "probe"))
			rc = run_probe(r, sql, rows);
		else
			rc = tx ? q(r, sql, 0, NULL, NULL) : run_outside(r, sql);
	}
	if (!tx && rc == 0)
		rc = record_unit(r, from, to);
	if (tx && rc == 0)
		rc = q(r, "COMMIT", 0, NULL, NULL);
	if (ax && rc == 0) {
		double held = dbc_monotonic_ms() - t0;
		r->ax_units++;
		if (held > r->ax_max_ms) {
			r->ax_max_ms = held;
			r->ax_max_purpose = cell(r, from, r->c_purpose);
		}
	}
	if (tx && rc != 0) {
		cli_error saved = r->db->error;
		memset(&r->db->error, 0, sizeof r->db->error);
		cli_rollback(r->db);
		r->db->error = saved;
	}
	return rc;
}

/* Whether some step of the unit takes the exclusive lock on its table. */
static const char *exclusive_table(const online_run *r, int from, int to)
{
	const char *ax = r->db->drv->exclusive_lock;
	for (int i = from; ax && i < to; i++) {
		const char *l = cell(r, i, r->c_lock), *t = cell(r, i, r->c_rel);
		if (l && t && strcmp(l, ax) == 0)
			return t;
	}
	return NULL;
}

/* The step of the unit whose lock its table's holders are asked about: the
 * exclusive one if the unit has one, else its first step taking a lock on
 * a table; -1: none. */
static int locking_step(const online_run *r, int from, int to)
{
	const char *ax = r->db->drv->exclusive_lock;
	int first = -1;
	for (int i = from; i < to; i++) {
		const char *l = cell(r, i, r->c_lock);
		if (!l || !cell(r, i, r->c_rel))
			continue;
		if (ax && strcmp(l, ax) == 0)
			return i;
		if (first < 0)
			first = i;
	}
	return first;
}

/* Before a lock that keeps the table's writers out: the sessions holding a
 * lock it conflicts with, named (waiting for it in the lock queue would
 * queue every writer behind it); 0 when there are none, 1 when there are
 * (and --blockers abort gives up), -1 on an error. */
static int name_blockers(online_run *r, const char *table, const char *lock, bool *refuse)
{
	cli_rows h = {0};
	const char *p[2] = {table, lock};
	*refuse = false;
	if (!r->db->drv->lock_holders || q(r, r->db->drv->lock_holders, 2, p, &h) != 0)
		return r->db->drv->lock_holders ? -1 : 0;
	for (int k = 0; k < h.nrows; k++)
		fprintf(stderr,
		        "dbcare: session %s (%s, %s s in its transaction: %s) holds a lock on %s that "
		        "the next step's %s lock waits for\n",
		        cli_cell(&h, k, 0), cli_cell(&h, k, 1) ? cli_cell(&h, k, 1) : "?",
		        cli_cell(&h, k, 2) ? cli_cell(&h, k, 2) : "?",
		        cli_cell(&h, k, 3) ? cli_cell(&h, k, 3) : "", table, lock);
	int n = h.nrows;
	cli_rows_free(&h);
	*refuse = n > 0 && r->o->blockers && strcmp(r->o->blockers, "abort") == 0;
	return n > 0;
}

/* One unit, tried again from its first step while its lock is not granted
 * in time, at most --lock-retries times. */
static int run_unit(online_run *r, int from, int to, long *rows)
{
	int step = locking_step(r, from, to);
	const char *table = step >= 0 ? cell(r, step, r->c_rel) : NULL;
	const char *lock = step >= 0 ? cell(r, step, r->c_lock) : NULL;
	for (int k = 1;; k++) {
		bool refuse = false;
		int held = table ? name_blockers(r, table, lock, &refuse) : 0;
		if (held < 0)
			return -1;
		if (refuse) {
			cli_errorf("migrate --online gives up: sessions hold %s (named above), and "
			           "--blockers is abort",
			           table);
			fprintf(stderr, "HINT: End those sessions, or run again with --blockers wait.\n");
			return -1;
		}
		if (held == 0 || k == r->tries) {
			r->db->error_kept = true;
			int rc = run_unit_once(r, from, to, rows);
			r->db->error_kept = false;
			if (rc == 0)
				return 0;
			if (!lock_not_granted(r) || k >= r->tries) {
				cli_print_db_error(&r->o->out, r->db);
				fprintf(stderr, "CONTEXT: migrate --online, step: %s\n",
				        cell(r, from, r->c_purpose) ? cell(r, from, r->c_purpose) : "");
				if (lock_not_granted(r))
					fprintf(stderr,
					        "HINT: The lock was not granted in %d tries of %d ms; "
					        "run again later, or with a larger --lock-retries.\n",
					        r->tries, r->timeout_ms);
				return -1;
			}
			cli_error_clear(r->db);
		}
		backoff(r, k);
	}
}

/* The longest --online waits for a lock: --lock-timeout, 2 s unless given. */
int cli_online_wait_ms(const cli_opts *o)
{
	return o->lock_timeout_s > 0 ? (int)(o->lock_timeout_s * 1000) : 2000;
}

/* The lock wait --online sets in the transaction just begun (SET LOCAL:
 * it ends with it), so the lint of the plan read in it sees the timeout
 * and gives no lock-timeout notice. */
int cli_online_tx_wait(cli_db *db, cli_opts *o)
{
	char sql[96];
	snprintf(sql, sizeof sql, db->drv->lock_wait_local, cli_online_wait_ms(o));
	return cli_q(db, o, sql, 0, NULL, NULL);
}

/* Where the engine's waits are the connection's (the driver's
 * lock_wait_found), the wait as found, in *found; -1: nothing to put
 * back. */
int cli_online_waits_found(cli_db *db, cli_opts *o, long *found)
{
	cli_rows r = {0};
	*found = -1;
	if (!db->drv->lock_wait_found)
		return 0;
	if (cli_q(db, o, db->drv->lock_wait_found, 0, NULL, &r) != 0)
		return -1;
	if (cli_cell(&r, 0, 0))
		*found = atol(cli_cell(&r, 0, 0));
	cli_rows_free(&r);
	return 0;
}

/* The wait cli_online_waits_found found put back (run on every path: the
 * errors before it are said already). */
int cli_online_waits_restore(cli_db *db, cli_opts *o, long found)
{
	if (found < 0)
		return 0;
	char sql[96];
	snprintf(sql, sizeof sql, db->drv->lock_wait_session, (int)found);
	return cli_q(db, o, sql, 0, NULL, NULL);
}

/* A run over plan (dbmigrate_online_plan's rows) of version, with the
 * steps an earlier run recorded done, and the session's lock waits. */
static online_run run_of(cli_db *db, cli_opts *o, const cli_rows *plan, const char *version,
                         const cli_rows *done, long kill_at)
{
	/* under DBCARE_TEST_ONLINE_KILL_AT the plan's own size, never paced */
	int pct = kill_at ? DBC_THROTTLE_PLAN_PCT : DBC_THROTTLE_START_PCT;
	return (online_run){db,
	                    o,
	                    plan,
	                    cli_col(plan, "unit"),
	                    cli_col(plan, "mode"),
	                    cli_col(plan, "lock"),
	                    cli_col(plan, "relation"),
	                    cli_col(plan, "statement"),
	                    cli_col(plan, "purpose"),
	                    cli_col(plan, "step"),
	                    cli_online_wait_ms(o),
	                    o->lock_retries > 0 ? o->lock_retries : 20,
	                    (unsigned)time(NULL) ^ (unsigned)getpid(),
	                    version,
	                    done,
	                    kill_at,
	                    0,
	                    dbc_throttle_start(),
	                    pct,
	                    pct,
	                    pct,
	                    0,
	                    0,
	                    o->max_replica_lag > 0 ? o->max_replica_lag : DBC_THROTTLE_MAX_LAG_BYTES,
	                    -1,
	                    false,
	                    false,
	                    0,
	                    0,
	                    0,
	                    0,
	                    0,
	                    NULL,
	                    -1,
	                    0,
	                    0,
	                    0,
	                    0,
	                    false,
	                    false,
	                    -1,
	                    0};
}

int cli_run_online(cli_db *db, cli_opts *o, const char *version, bool *ran)
{
	cli_rows plan = {0}, r0 = {0}, done = {0};
	const char *p[3] = {"versioned", version, NULL};
	*ran = false;
	if (!db->drv->lock_wait_local) {
		cli_errorf("%s has no online migration: it runs migrations as written", db->label);
		return -1;
	}
	if (cli_q(db, o,
	          "SELECT step, unit, mode, lock, relation, statement, purpose "
	          "FROM dbmigrate_online_plan($1) ORDER BY step",
	          1, &p[1], &plan) != 0 ||
	    cli_q(db, o, db->drv->online_done_steps, 1, &p[1], &done) != 0 ||
	    cli_q(db, o,
	          "SELECT checksum FROM dbmigrate_status() WHERE kind = 'versioned' AND version = $1",
	          1, &p[1], &r0) != 0) {
		cli_rows_free(&plan);
		cli_rows_free(&done);
		return -1;
	}
	char *checksum = cli_cell(&r0, 0, 0) ? strdup(cli_cell(&r0, 0, 0)) : NULL;
	cli_rows_free(&r0);
	p[2] = checksum;
	/* "online": takes over the unfinished event of a run that was killed */
	const char *begin[3] = {"online", version, checksum};
	int rc = cli_q(db, o, "SELECT dbmigrate_step_begin($1, $2, $3)", 3, begin, &r0);
	free(checksum);
	const char *go = rc == 0 ? cli_cell(&r0, 0, 0) : NULL;
	bool due = go && (strcmp(go, "t") == 0 || strcmp(go, "true") == 0 || strcmp(go, "1") == 0);
	cli_rows_free(&r0);
	const char *kill_at = getenv("DBCARE_TEST_ONLINE_KILL_AT");
	online_run r = run_of(db, o, &plan, version, &done, kill_at ? atol(kill_at) : 0);
	if (due && done.nrows)
		cli_note(&o->out, "migration %s: resumed, %d step(s) done by a run that stopped", version,
		         done.nrows);
	long rows = 0;
	for (int i = 0; rc == 0 && due && i < plan.nrows;) {
		int j = i + 1;
		const char *u = cell(&r, i, r.c_unit);
		while (j < plan.nrows && u && cell(&r, j, r.c_unit) &&
		       strcmp(cell(&r, j, r.c_unit), u) == 0)
			j++;
		int skip = unit_done(&r, i, j);
		rc = skip < 0 ? -1 : skip ? 0 : run_unit(&r, i, j, &rows);
		i = j;
	}
	/* recorded applied (its step records go with it) */
	if (rc == 0 && due && q(&r, "SELECT dbmigrate_step_end($1, $2)", 2, p, NULL) != 0) {
		cli_print_db_error(&o->out, db);
		rc = -1;
	}
	cli_rows_free(&done);
	if (rc == 0 && due && rows)
		cli_note(&o->out,
		         "migration %s: %ld row(s) filled in batches (%ld; their size %d%% to %d%% of "
		         "the plan's, %.0f ms waited for replicas, %.0f ms for WAL pacing)",
		         version, rows, r.batches, r.pct_min, r.pct_max, r.lag_waited_ms, r.wal_waited_ms);
	if (rc == 0 && due && r.busy_ms > 0 && r.window_to > r.window_from)
		cli_note(&o->out,
		         "migration %s: the batches ran %.0f ms of the backfill's %.0f ms (%.0f%%)",
		         version, r.busy_ms, r.window_to - r.window_from,
		         100 * r.busy_ms / (r.window_to - r.window_from));
	if (rc == 0 && due && r.ax_units)
		cli_note(&o->out,
		         "migration %s: %d transaction(s) took the %s lock, the longest %.1f ms from "
		         "its BEGIN to its COMMIT, the lock held for part of it (%s)",
		         version, r.ax_units, db->drv->exclusive_lock, r.ax_max_ms,
		         r.ax_max_purpose ? r.ax_max_purpose : "");
	cli_rows_free(&plan);
	/* tests only: how many statements a whole run sends (its kill points) */
	if (r.kill_at > 0 && rc == 0)
		fprintf(stderr, "dbcare: test: %ld statement(s) sent\n", r.sent);
	*ran = rc == 0 && due;
	return rc;
}

/* One undo statement at top level, tried again while its lock is not
 * granted in time. */
static int undo_one(online_run *r, const char *sql)
{
	for (int k = 1;; k++) {
		if (run_outside(r, sql) == 0)
			return 0;
		if (!lock_not_granted(r) || k >= r->tries) {
			cli_print_db_error(&r->o->out, r->db);
			fprintf(stderr, "CONTEXT: rollback of a half-done online migration: %s\n", sql);
			return -1;
		}
		cli_error_clear(r->db);
		backoff(r, k);
	}
}

/* The half-done online run of `version` undone: the undo of every step of
 * the units recorded done and of the unit after them (it may have run part
 * way, or whole but not recorded: every undo is IF EXISTS), newest first;
 * then its step records and its unfinished history event removed. */
static int undo_version(cli_db *db, cli_opts *o, const char *version)
{
	cli_rows plan = {0}, done = {0}, st = {0};
	const char *p[1] = {version};
	int rc = cli_q(db, o,
	               "SELECT state FROM dbmigrate_status() WHERE kind = 'versioned' "
	               "AND version = $1",
	               1, p, &st);
	if (rc == 0 && cli_cell(&st, 0, 0) && strcmp(cli_cell(&st, 0, 0), "running") == 0) {
		cli_errorf("migration %s runs now in another session: wait for it to end", version);
		rc = -1;
	}
	if (rc == 0)
		rc = cli_q(db, o,
		           "SELECT step, unit, mode, lock, relation, statement, purpose, undo "
		           "FROM dbmigrate_online_plan($1) ORDER BY step",
		           1, p, &plan);
	if (rc == 0)
		rc = cli_q(db, o, db->drv->online_done_steps, 1, p, &done);
	online_run r = run_of(db, o, &plan, version, &done, 0);
	int c_undo = cli_col(&plan, "undo"), last = 0; /* the steps [0, last) to undo */
	for (int i = 0; rc == 0 && i < plan.nrows;) {
		int j = i + 1;
		const char *u = cell(&r, i, r.c_unit);
		while (j < plan.nrows && u && cell(&r, j, r.c_unit) &&
		       strcmp(cell(&r, j, r.c_unit), u) == 0)
			j++;
		int d = unit_done(&r, i, j);
		if (d < 0)
			rc = -1;
		last = j;
		if (d != 1)
			break;
		for (int k = i; rc == 0 && k < j; k++)
			if (!cli_cell(&plan, k, c_undo)) {
				cli_errorf("migration %s: step %s (%s) cannot be undone", version,
				           cell(&r, k, r.c_step), cell(&r, k, r.c_purpose));
				fprintf(stderr, "HINT: Finish it with dbcare migrate --online instead.\n");
				rc = -1;
			}
		i = j;
	}
	for (int k = last - 1; rc == 0 && k >= 0; k--) {
		const char *undo = cli_cell(&plan, k, c_undo);
		if (!undo || !undo[0])
			continue;
		if (!mode_is(&r, k, "generated")) {
			rc = undo_one(&r, undo);
			continue;
		}
		/* a generated step's undo is a query whose rows are statements */
		cli_rows g = {0};
		rc = q(&r, undo, 0, NULL, &g);
		if (rc != 0)
			cli_print_db_error(&o->out, db);
		for (int s = 0; rc == 0 && s < g.nrows; s++)
			if (cli_cell(&g, s, 0))
				rc = undo_one(&r, cli_cell(&g, s, 0));
		cli_rows_free(&g);
	}
	if (rc == 0)
		rc = cli_q(db, o, "SELECT dbmigrate_online_forget($1)", 1, p, NULL);
	if (rc == 0)
		cli_note(&o->out, "migration %s: the half-done online run undone", version);
	cli_rows_free(&plan);
	cli_rows_free(&done);
	cli_rows_free(&st);
	return rc;
}

int cli_undo_online(cli_db *db, cli_opts *o, int *undone)
{
	cli_rows v = {0};
	long found = -1;
	*undone = 0;
	if (!db->drv->lock_wait_local)
		return 0; /* no online migration on this engine */
	if (cli_q(db, o, db->drv->online_half_done, 0, NULL, &v) != 0)
		return -1;
	int rc = v.nrows ? cli_online_waits_found(db, o, &found) : 0;
	for (int i = 0; rc == 0 && i < v.nrows; i++)
		if (cli_cell(&v, i, 0) && (rc = undo_version(db, o, cli_cell(&v, i, 0))) == 0)
			++*undone;
	if (v.nrows && cli_online_waits_restore(db, o, found) != 0)
		rc = -1;
	cli_rows_free(&v);
	return rc;
}
