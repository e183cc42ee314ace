/*
 * test_migrate_throttle.c — core/migrate/migrate_throttle.c, the pace of
 * `dbcare migrate --online`'s backfill: the first batch is small; a batch
 * over the time target makes the next smaller in proportion (a quarter at
 * most at once); one well under it grows the next by a bounded step, and
 * one near it keeps it, so the size settles under the target; a batch that
 * waited for a lock or kept a session waiting halves the next and caps the
 * growth under the size that caused it for a while; never under the floor
 * nor over the ceiling. A batch waits only for a known lag over the limit;
 * the replicas' positions are read again at most once a LAG_READ_MS.
 * WAL pacing: the distance to the WAL that makes the server ask for a
 * checkpoint, as PostgreSQL computes it from max_wal_size and
 * checkpoint_completion_target, of which the backfill leaves the WAL
 * under WAL_SHARE_PCT per cent, with room for as much WAL again as since
 * the last reading; read before every batch when near it.
 */
#include "migrate/migrate.h"
#include "unit.h"

static dbc_throttle_batch batch(double ms, int retries, int waiters)
{
	return (dbc_throttle_batch){ms, retries, waiters};
}

static dbc_throttle at(int pct)
{
	dbc_throttle t = dbc_throttle_start();
	t.pct = pct;
	return t;
}

static void test_start(void)
{
	dbc_throttle t = dbc_throttle_start();
	CHECK(t.pct == DBC_THROTTLE_START_PCT, "the first batch at START");
	CHECK(DBC_THROTTLE_START_PCT <= DBC_THROTTLE_PLAN_PCT / 4,
	      "the first batch a quarter of the plan's at most (the plan's 32 pages ran 412 ms)");
	CHECK(DBC_THROTTLE_START_PCT * 32 / 100 >= 1, "the first batch at least one page");
	CHECK(DBC_THROTTLE_TARGET_MS <= 50, "a batch aims at a short hold of its locks");
}

static void test_shrink(void)
{
	dbc_throttle t = at(100);
	dbc_throttle_batch twice = batch(DBC_THROTTLE_TARGET_MS * 2, 0, 0);
	CHECK(dbc_throttle_next(&t, &twice) == 50, "twice the target: half the size");
	t = at(100);
	dbc_throttle_batch slow = batch(DBC_THROTTLE_TARGET_MS * 20, 0, 0);
	CHECK(dbc_throttle_next(&t, &slow) == 25, "twenty times the target: a quarter at once");
	t = at(100);
	dbc_throttle_batch over = batch(DBC_THROTTLE_TARGET_MS + 1, 0, 0);
	CHECK(dbc_throttle_next(&t, &over) < 100, "just over the target: smaller");
	t = at(100);
	dbc_throttle_batch retried = batch(1, 1, 0);
	CHECK(dbc_throttle_next(&t, &retried) == 50, "a lock retried, however fast: halved");
	t = at(100);
	dbc_throttle_batch blocking = batch(1, 0, 2);
	CHECK(dbc_throttle_next(&t, &blocking) == 50, "sessions kept waiting: halved");
	t = at(100);
	dbc_throttle_batch slow_blocking = batch(DBC_THROTTLE_TARGET_MS * 4, 0, 1);
	CHECK(dbc_throttle_next(&t, &slow_blocking) == 25,
	      "kept a session waiting and ran four times the target: the smaller of both");
	t = dbc_throttle_start();
	for (int i = 0; i < 20; i++)
		dbc_throttle_next(&t, &slow);
	CHECK(t.pct == DBC_THROTTLE_MIN_PCT, "cut again and again: the floor, not under");
	CHECK(DBC_THROTTLE_MIN_PCT * 32 / 100 >= 1, "the floor is at least one page of 32");
}

static void test_grow(void)
{
	dbc_throttle_batch fast = batch(1, 0, 0);
	dbc_throttle t = at(40);
	CHECK(dbc_throttle_next(&t, &fast) == 40 + 40 * DBC_THROTTLE_GROW_MAX_PCT / 100,
	      "far under the target: grown by the bounded step");
	t = at(DBC_THROTTLE_MIN_PCT);
	CHECK(dbc_throttle_next(&t, &fast) == DBC_THROTTLE_MIN_PCT + 1, "at the floor: grown by one");
	dbc_throttle_batch near = batch(DBC_THROTTLE_TARGET_MS * 0.9, 0, 0);
	t = at(40);
	CHECK(dbc_throttle_next(&t, &near) == 40, "near the target: the same");
	dbc_throttle_batch under = batch(DBC_THROTTLE_TARGET_MS * 0.7, 0, 0);
	t = at(70);
	int next = dbc_throttle_next(&t, &under);
	CHECK(next > 70 && next <= 80, "a little under: grown only toward the target");
	t = at(DBC_THROTTLE_MAX_PCT);
	CHECK(dbc_throttle_next(&t, &fast) == DBC_THROTTLE_MAX_PCT, "at the ceiling: not over");
	t = at(10000);
	dbc_throttle_batch twice = batch(DBC_THROTTLE_TARGET_MS * 2, 0, 0);
	CHECK(dbc_throttle_next(&t, &twice) == DBC_THROTTLE_MAX_PCT / 2,
	      "a size over the ceiling: clamped, then cut");
	t = at(0);
	CHECK(dbc_throttle_next(&t, &near) == DBC_THROTTLE_MIN_PCT,
	      "a size under the floor: the floor");
	/* a batch's time in proportion to its size, 1 ms a per cent: from the
	 * start the size settles under the target and stays there */
	t = dbc_throttle_start();
	for (int i = 0; i < 100; i++) {
		dbc_throttle_batch b = batch(t.pct * 1.0, 0, 0);
		dbc_throttle_next(&t, &b);
	}
	CHECK(t.pct <= DBC_THROTTLE_TARGET_MS && t.pct >= DBC_THROTTLE_TARGET_MS / 2,
	      "time in proportion to size: settled under the target");
}

static void test_after_a_wait(void)
{
	dbc_throttle_batch fast = batch(1, 0, 0), blocking = batch(1, 0, 1);
	dbc_throttle t = at(80);
	CHECK(dbc_throttle_next(&t, &blocking) == 40, "kept a session waiting at 80: 40");
	int most = 0;
	for (int i = 0; i < DBC_THROTTLE_HOLD; i++) {
		int next = dbc_throttle_next(&t, &fast);
		most = next > most ? next : most;
	}
	CHECK(most > 40, "grown again after the wait");
	CHECK(most <= 80 * DBC_THROTTLE_CEILING_PCT / 100,
	      "for HOLD batches, not back to the size that kept a session waiting");
	for (int i = 0; i < 10; i++)
		dbc_throttle_next(&t, &fast);
	CHECK(t.pct > 80 * DBC_THROTTLE_CEILING_PCT / 100, "past HOLD batches free of waits: grows on");
	/* each new wait starts the hold again, from the new size */
	t = at(80);
	dbc_throttle_next(&t, &blocking);
	for (int i = 0; i < DBC_THROTTLE_HOLD - 1; i++)
		dbc_throttle_next(&t, &fast);
	dbc_throttle_batch retried = batch(1, 2, 0);
	int was = t.pct;
	CHECK(dbc_throttle_next(&t, &retried) == was / 2, "a lock retried within the hold: halved");
	for (int i = 0; i < DBC_THROTTLE_HOLD; i++)
		dbc_throttle_next(&t, &fast);
	CHECK(t.pct <= was * DBC_THROTTLE_CEILING_PCT / 100, "held under the new wait's size");
}

static void test_waits(void)
{
	CHECK(!dbc_throttle_waits(-1, 0), "no replica (or no known lag): never waits");
	CHECK(!dbc_throttle_waits(DBC_THROTTLE_MAX_LAG_BYTES, DBC_THROTTLE_MAX_LAG_BYTES),
	      "at the limit: goes on");
	CHECK(dbc_throttle_waits(DBC_THROTTLE_MAX_LAG_BYTES + 1, DBC_THROTTLE_MAX_LAG_BYTES),
	      "over the limit: waits");
	CHECK(!dbc_throttle_waits(0, 1), "caught up: goes on");
}

static void test_lag_due(void)
{
	const double read_at = 5000;
	CHECK(dbc_throttle_lag_due(-1, 0), "never read: read before the first batch");
	CHECK(!dbc_throttle_lag_due(read_at, read_at + DBC_THROTTLE_LAG_READ_MS - 1),
	      "read less than LAG_READ_MS ago: not again");
	CHECK(dbc_throttle_lag_due(read_at, read_at + DBC_THROTTLE_LAG_READ_MS),
	      "read LAG_READ_MS ago: read again");
}

static void test_yield(void)
{
	const double held = DBC_THROTTLE_TARGET_MS / 2;
	CHECK(DBC_THROTTLE_DUTY_PCT > 0 && DBC_THROTTLE_DUTY_PCT <= 25,
	      "the batches run at most a quarter of the time");
	double rest = dbc_throttle_yield_ms(held);
	CHECK(held / (held + rest) <= DBC_THROTTLE_DUTY_PCT / 100.0 + 1e-9 &&
	          held / (held + rest) >= DBC_THROTTLE_DUTY_PCT / 100.0 - 1e-9,
	      "a rest that leaves the batches DUTY per cent of the time");
	CHECK(dbc_throttle_yield_ms(DBC_THROTTLE_TARGET_MS) == DBC_THROTTLE_REST_MAX_MS,
	      "a batch at the target: the longest rest");
	CHECK(dbc_throttle_yield_ms(DBC_THROTTLE_TARGET_MS * 5) == DBC_THROTTLE_REST_MAX_MS,
	      "a long batch: no longer a rest than one at the target");
	CHECK(dbc_throttle_yield_ms(-1) == 0, "a clock gone back: no pause");
}

static void test_wal(void)
{
	const int64_t seg = 16 * 1048576LL;
	/* the stock settings: max_wal_size 1 GB, a 0.9 target */
	dbc_wal_state w = {0, 0, seg, 1024, 0.9};
	CHECK(dbc_throttle_wal_trigger(&w) == 33 * seg, "1 GB / 1.9: a checkpoint after 33 segments");
	w.redo_offset = seg / 2;
	CHECK(dbc_throttle_wal_trigger(&w) == 33 * seg - seg / 2,
	      "counted from the redo point's segment's start");
	w.max_wal_mb = 32;
	w.redo_offset = 0;
	CHECK(dbc_throttle_wal_trigger(&w) == seg, "a tiny max_wal_size: one segment, never none");
	int64_t most = 33 * seg * DBC_THROTTLE_WAL_SHARE_PCT / 100;
	w = (dbc_wal_state){most - 1, 0, seg, 1024, 0.9};
	CHECK(dbc_throttle_wal_room(&w) == 1, "under the share: goes on");
	w.written = most + 1;
	CHECK(dbc_throttle_wal_room(&w) < 0, "over the share: waits");
	CHECK(DBC_THROTTLE_WAL_SHARE_PCT < 100, "a margin left for the clients' WAL");
	w.written = most - seg;
	CHECK(!dbc_throttle_wal_waits(&w, seg), "room for as much again: goes on");
	CHECK(dbc_throttle_wal_waits(&w, seg + 1), "less room than the last step wrote: waits");
	CHECK(!dbc_throttle_wal_waits(&w, -1), "the redo point moved (a step unknown): the room alone");
	w.written = most + 1;
	CHECK(dbc_throttle_wal_waits(&w, 0), "over the share: waits");
	CHECK(dbc_throttle_wal_due(-1, 0, 0, seg), "never read: read before the first batch");
	CHECK(!dbc_throttle_wal_due(5000, 5500, 2 * seg, seg), "room and read lately: not again");
	CHECK(dbc_throttle_wal_due(5000, 5000 + DBC_THROTTLE_WAL_READ_MS, 2 * seg, seg),
	      "read WAL_READ_MS ago: read again");
	CHECK(dbc_throttle_wal_due(5000, 5001, seg - 1, seg), "under a segment of room: every batch");
}

int main(void)
{
	test_start();
	test_shrink();
	test_grow();
	test_after_a_wait();
	test_waits();
	test_lag_due();
	test_yield();
	test_wal();
	return unit_done();
}
