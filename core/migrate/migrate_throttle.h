/*
 * migrate_throttle.h — how `dbcare migrate --online` paces its backfill
 * (docs/migrations.md, "Throttled"): the size of the next batch from how
 * the last one went, and whether the next one waits for the replicas.
 * Pure rules, no database: the command measures (cli/cmd/migrate_online.c)
 * and asks here.
 */
#ifndef DBC_MIGRATE_THROTTLE_H
#define DBC_MIGRATE_THROTTLE_H

#include <stdbool.h>
#include <stdint.h>

/* A batch's size as a per cent of the plan's batch (32 pages of a
 * PostgreSQL backfill, 1000 rows of a SQLite copy): the statements of
 * dbmigrate_online_plan's "batches" steps take it as $3 (PLAN: the plan's
 * own size). A batch holds its rows' locks from its first write to its
 * COMMIT, and a client writing one of them waits that long, so the pace
 * starts small (START, about four pages) and stays within [MIN, MAX]:
 * never under one page, never eight times the plan's. */
#define DBC_THROTTLE_PLAN_PCT  100
#define DBC_THROTTLE_START_PCT 12
#define DBC_THROTTLE_MIN_PCT   4
#define DBC_THROTTLE_MAX_PCT   800
/* The time a batch aims at, BEGIN to COMMIT: a client kept waiting by it
 * waits about that long, short against a client's own latency. The next
 * size is steered toward it from the last batch's time: shrunk in
 * proportion when over (to a quarter at most at once), grown when under
 * GROW_BELOW per cent of it, by at most GROW_MAX_PCT per cent of the size
 * (and at least one), so growth stops short of the target instead of
 * overshooting it. */
#define DBC_THROTTLE_TARGET_MS    20.0
#define DBC_THROTTLE_GROW_BELOW   80
#define DBC_THROTTLE_GROW_MAX_PCT 25
/* A batch that kept a session waiting or waited for a lock halves the
 * next, and for the HOLD batches after it (each free of waits) the size
 * does not grow past CEILING_PCT per cent of the size that caused it: the
 * pace does not walk straight back into the same wait. */
#define DBC_THROTTLE_HOLD        32
#define DBC_THROTTLE_CEILING_PCT 75
/* The replicas' lag a batch waits under, unless given (--max-replica-lag):
 * one WAL segment. */
#define DBC_THROTTLE_MAX_LAG_BYTES (16LL * 1024 * 1024)
/* How often the replicas' positions are read while none lags too far: at
 * most once a LAG_READ_MS, not before every batch. The read is a query of
 * its own over the replication views, on the server the clients share; a
 * backfill of a million rows runs thousands of batches, and a read before
 * each was as many queries more. A second of batches writes little WAL
 * against the default limit (one segment); a limit set much lower may be
 * passed by up to a second of batches before the next read waits. */
#define DBC_THROTTLE_LAG_READ_MS 1000.0

/* What the command measured of one batch. */
typedef struct dbc_throttle_batch {
	double ms;        /* from its BEGIN to its COMMIT, the tries that failed left out */
	int lock_retries; /* tries rolled back because a row lock was not granted in time */
	int waiters;      /* sessions waiting for its locks just before its COMMIT */
} dbc_throttle_batch;

/* The pace of one backfill: the next batch's size, and the cap on its
 * growth left by the last wait. Invariant: MIN <= pct <= MAX, and while
 * hold > 0, pct <= ceiling. */
typedef struct dbc_throttle {
	int pct;     /* the next batch's size, a per cent of the plan's */
	int ceiling; /* no growth past it while hold > 0 */
	int hold;    /* batches free of waits left before the ceiling lifts */
} dbc_throttle;

/* A backfill's pace before its first batch: START, no ceiling. */
dbc_throttle dbc_throttle_start(void);

/* The size of the batch after b, which ran at t->pct (t updated): a wait
 * (a lock retried, a session kept waiting) halves it, at most as large as
 * the time steering gives, and sets the ceiling for HOLD batches; else
 * the time steers it toward TARGET_MS (see above), under the ceiling
 * while it holds. */
int dbc_throttle_next(dbc_throttle *t, const dbc_throttle_batch *b);

/* Whether the next batch waits: the worst replica's lag, in bytes of WAL
 * (negative: no replica, or none whose lag is known), over max_lag_bytes. */
bool dbc_throttle_waits(int64_t worst_lag_bytes, int64_t max_lag_bytes);

/* Whether the replicas' positions are read again before the next batch:
 * never read yet (last_read_ms < 0), or read LAG_READ_MS ago or more. */
bool dbc_throttle_lag_due(double last_read_ms, double now_ms);

/* The share of the backfill's window its batches may take, per cent (its
 * duty cycle): after a batch that ran held_ms the backfill rests
 * held_ms * (100 - DUTY) / DUTY, so the batches run at most DUTY per cent
 * of the time; a batch over the target rests as long as one at the target
 * would (REST_MAX_MS), not in proportion. A batch keeps a server process
 * busy (its rows read and written again, their WAL) and, on SQLite,
 * holds the database's one write lock:
 *   - PostgreSQL: on a server with few cores that process takes one from
 *     the clients while it runs (at a duty of one half, a 4-client
 *     pgbench on 2 cores saw its p99 latency at 2.3 times its baseline
 *     during an ALTER COLUMN TYPE); at a quarter the clients find that
 *     core free three times in four;
 *   - SQLite (its writers polling from their busy handlers, no queue): a
 *     writer polling at random times finds the lock free three polls in
 *     four, so no writer starves behind a copy that would take it back.
 * A backfill of a million rows at a quarter of the time still fills tens
 * of thousands of rows a second, far ahead of the writes it chases. */
#define DBC_THROTTLE_DUTY_PCT 25
#define DBC_THROTTLE_REST_MAX_MS                                                                   \
	(DBC_THROTTLE_TARGET_MS * (100 - DBC_THROTTLE_DUTY_PCT) / DBC_THROTTLE_DUTY_PCT)
double dbc_throttle_yield_ms(double held_ms);

/* WAL pacing (PostgreSQL): the backfill never makes the server start a
 * checkpoint before checkpoint_timeout would. The server asks for one
 * when its WAL reaches the end of the segment max_wal_size / (1 +
 * checkpoint_completion_target) segments (at least one) after the segment
 * of the last checkpoint's redo point; a checkpoint started by WAL comes
 * early, and after each one every page's first change writes a full image
 * of it, the clients' and the backfill's, so a backfill that forces them
 * multiplies its own WAL and the clients'. A batch waits while the WAL
 * written since the last checkpoint's redo point is over WAL_SHARE_PCT
 * per cent of that distance: the rest is the margin for the clients' WAL
 * and for what the batches write between two readings. The state is read
 * before a batch at most once a WAL_READ_MS while the room left at the
 * last reading was a segment or more, before every batch when less. The
 * redo point is the command's to find (cli/cmd/migrate_online.c): the
 * last completed checkpoint's, or, for one seen to begin since, a position
 * at or before its own; either errs on the side of waiting. */
#define DBC_THROTTLE_WAL_SHARE_PCT 75
#define DBC_THROTTLE_WAL_READ_MS   1000.0

/* What the command read of the server's WAL and its checkpoint settings. */
typedef struct dbc_wal_state {
	int64_t written;          /* bytes of WAL since the last checkpoint's redo point */
	int64_t redo_offset;      /* that redo point's offset in its segment */
	int64_t segment;          /* wal_segment_size, bytes */
	double max_wal_mb;        /* max_wal_size, MB */
	double completion_target; /* checkpoint_completion_target */
} dbc_wal_state;

/* The bytes of WAL after the redo point at which the server asks for a
 * checkpoint (see above). */
int64_t dbc_throttle_wal_trigger(const dbc_wal_state *w);

/* The WAL the backfill may still write before it waits, in bytes:
 * negative when it waits now (see above). */
int64_t dbc_throttle_wal_room(const dbc_wal_state *w);

/* Whether the next batch waits: the room left is under the WAL written
 * since the last reading (step, 0 when unknown), so that the next batches,
 * writing as much again, would pass the share; the margin of the share
 * alone may be smaller than a batch when the distance is short. */
bool dbc_throttle_wal_waits(const dbc_wal_state *w, int64_t step);

/* Whether the WAL state is read again before the next batch: never read
 * (last_read_ms < 0), read WAL_READ_MS ago or more, or less than a
 * segment of room left at the last reading. */
bool dbc_throttle_wal_due(double last_read_ms, double now_ms, int64_t room, int64_t segment);

#endif
