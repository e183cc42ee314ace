/*
 * test_migrate_throttle.c — core/migrate/migrate_throttle.c, the pace of
 * `dbcare migrate --online`'s backfill: a batch that waited for a lock,
 * kept a session waiting or ran over the target halves the next, never
 * under the floor; one well under the target grows the next by a small
 * step, never over the ceiling; one in between keeps it; a size out of
 * bounds is brought back first. A batch waits only for a known lag over
 * the limit.
 */
#include "migrate/migrate.h"
#include "unit.h"

static dbc_throttle_batch batch(double ms, int retries, int waiters)
{
	return (dbc_throttle_batch){ms, retries, waiters};
}

static void test_shrink(void)
{
	dbc_throttle_batch slow = batch(DBC_THROTTLE_TARGET_MS + 1, 0, 0);
	CHECK(dbc_throttle_next_pct(100, &slow) == 50, "over the target: halved");
	dbc_throttle_batch retried = batch(1, 1, 0);
	CHECK(dbc_throttle_next_pct(100, &retried) == 50, "a lock retried, however fast: halved");
	dbc_throttle_batch blocking = batch(1, 0, 2);
	CHECK(dbc_throttle_next_pct(100, &blocking) == 50, "sessions kept waiting: halved");
	int pct = DBC_THROTTLE_START_PCT;
	for (int i = 0; i < 20; i++)
		pct = dbc_throttle_next_pct(pct, &slow);
	CHECK(pct == DBC_THROTTLE_MIN_PCT, "halved again and again: the floor, not under");
	CHECK(DBC_THROTTLE_MIN_PCT * 32 / 100 >= 1, "the floor is at least one page of 32");
}

static void test_grow(void)
{
	dbc_throttle_batch fast = batch(DBC_THROTTLE_TARGET_MS / 2, 0, 0);
	CHECK(dbc_throttle_next_pct(50, &fast) == 50 + DBC_THROTTLE_GROW_PCT,
	      "half the target, no wait: grown by one step");
	dbc_throttle_batch fair = batch(DBC_THROTTLE_TARGET_MS * 3 / 4, 0, 0);
	CHECK(dbc_throttle_next_pct(50, &fair) == 50, "between half and the target: the same");
	CHECK(dbc_throttle_next_pct(DBC_THROTTLE_MAX_PCT, &fast) == DBC_THROTTLE_MAX_PCT,
	      "at the ceiling: not over");
	/* back slowly: after a halving from the start, it takes steps */
	int pct = DBC_THROTTLE_START_PCT / 2, steps = 0;
	while (pct < DBC_THROTTLE_START_PCT && steps < 100) {
		pct = dbc_throttle_next_pct(pct, &fast);
		steps++;
	}
	CHECK(pct == DBC_THROTTLE_START_PCT && steps == 5, "50 back to 100 in five good batches");
	dbc_throttle_batch slow = batch(DBC_THROTTLE_TARGET_MS * 2, 0, 0);
	CHECK(dbc_throttle_next_pct(10000, &slow) == DBC_THROTTLE_MAX_PCT / 2,
	      "a size over the ceiling: clamped, then halved");
	CHECK(dbc_throttle_next_pct(0, &fair) == DBC_THROTTLE_MIN_PCT,
	      "a size under the floor: the floor");
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

static void test_yield(void)
{
	CHECK(dbc_throttle_yield_ms(30, true) == 0, "waiters seen (row locks): no pause");
	CHECK(dbc_throttle_yield_ms(30, false) == 30, "waiters unseen: free as long as held");
	CHECK(dbc_throttle_yield_ms(DBC_THROTTLE_TARGET_MS * 5, false) == DBC_THROTTLE_TARGET_MS,
	      "a long batch: at most the target");
	CHECK(dbc_throttle_yield_ms(-1, false) == 0, "a clock gone back: no pause");
}

int main(void)
{
	test_shrink();
	test_grow();
	test_waits();
	test_yield();
	return unit_done();
}
