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
 * dbmigrate_online_plan's "batches" steps take it as $3. It starts at
 * 100 and stays within [MIN, MAX]: never under one page, never eight
 * times the plan's. */
#define DBC_THROTTLE_START_PCT 100
#define DBC_THROTTLE_MIN_PCT   4
#define DBC_THROTTLE_MAX_PCT   800
/* What a batch grows by after one that went well: slow, additive, so a
 * batch halved four times takes about ten good batches to come back. */
#define DBC_THROTTLE_GROW_PCT 10
/* A batch longer than this holds its row locks too long: a writer of one
 * of its rows waits that long. Halved when over; grown only when under
 * half of it. */
#define DBC_THROTTLE_TARGET_MS 100.0
/* The replicas' lag a batch waits under, unless given (--max-replica-lag):
 * one WAL segment. */
#define DBC_THROTTLE_MAX_LAG_BYTES (16LL * 1024 * 1024)

/* What the command measured of one batch. */
typedef struct dbc_throttle_batch {
	double ms;        /* from its BEGIN to its COMMIT, the tries that failed left out */
	int lock_retries; /* tries rolled back because a row lock was not granted in time */
	int waiters;      /* sessions waiting for its locks just before its COMMIT */
} dbc_throttle_batch;

/* The size of the batch after b, which ran at pct: halved (never under
 * MIN) when it waited for a lock, kept anyone waiting or ran over the
 * target; grown by GROW (never over MAX) when it ran under half the target
 * with no wait; else the same. */
int dbc_throttle_next_pct(int pct, const dbc_throttle_batch *b);

/* Whether the next batch waits: the worst replica's lag, in bytes of WAL
 * (negative: no replica, or none whose lag is known), over max_lag_bytes. */
bool dbc_throttle_waits(int64_t worst_lag_bytes, int64_t max_lag_bytes);

/* How long the lock stays free after a batch that held it held_ms, before
 * the next batch asks for it again. Where the engine can say who waits for
 * the batch's locks (waiters_known: PostgreSQL's row locks, other rows'
 * writers never wait), no pause: the size rule above keeps them short.
 * Where it cannot (SQLite: one write lock for the whole database, its
 * waiters polling from their busy handlers, no queue), as long as the
 * batch held it, at most the target: the copy has at most half the lock's
 * time, and a writer polling at random times finds it free one poll in
 * two, so no writer starves behind a copy that would take the lock back
 * at once. */
double dbc_throttle_yield_ms(double held_ms, bool waiters_known);

#endif
