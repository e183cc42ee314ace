/*
 * migrate_throttle.c — the backfill's pace under `dbcare migrate --online`
 * (migrate_throttle.h): each batch's size steered toward a short time
 * target from the last batch's measured time (a batch's time is how long
 * a client writing one of its rows may wait), halved on a wait with a cap
 * on regrowth for a while after it; a pause while a replica lags (their
 * positions read at most once a second); and a
 * rest after each batch three times as long as it ran, up to three times
 * the target (the batches run at most a quarter of the time: the server
 * and the lock free for the clients the rest); a pause while the WAL since
 * the last checkpoint nears what would make the server start the next.
 */
#include "migrate/migrate_throttle.h"

static int clamp(int pct, int lo, int hi)
{
	return pct < lo ? lo : pct > hi ? hi : pct;
}

dbc_throttle dbc_throttle_start(void)
{
	return (dbc_throttle){DBC_THROTTLE_START_PCT, DBC_THROTTLE_MAX_PCT, 0};
}

/* The size the last batch's time asks for: in proportion to the target
 * when over it (never under a quarter), grown by a bounded step when well
 * under it, else the same. */
static int steered(int pct, double ms)
{
	const double target = DBC_THROTTLE_TARGET_MS;
	if (ms > target) {
		double want = pct * target / ms;
		return want < pct / 4.0 ? pct / 4 : (int)want;
	}
	if (ms * 100 >= target * DBC_THROTTLE_GROW_BELOW)
		return pct;
	double room = ms > 0 ? target * DBC_THROTTLE_GROW_BELOW / 100 / ms : 1e9;
	double step = pct * (room - 1);
	double most = pct * DBC_THROTTLE_GROW_MAX_PCT / 100.0;
	int grown = pct + (int)(step < most ? step : most);
	return grown > pct ? grown : pct + 1;
}

int dbc_throttle_next(dbc_throttle *t, const dbc_throttle_batch *b)
{
	int was = clamp(t->pct, DBC_THROTTLE_MIN_PCT, DBC_THROTTLE_MAX_PCT);
	int want = steered(was, b->ms);
	if (b->lock_retries > 0 || b->waiters > 0) {
		t->ceiling =
		    clamp(was * DBC_THROTTLE_CEILING_PCT / 100, DBC_THROTTLE_MIN_PCT, DBC_THROTTLE_MAX_PCT);
		t->hold = DBC_THROTTLE_HOLD;
		if (want > was / 2)
			want = was / 2;
	}
	/* the HOLD batches after a wait are each sized under its ceiling */
	int hi = t->hold > 0 ? t->ceiling : DBC_THROTTLE_MAX_PCT;
	if (t->hold > 0 && b->lock_retries == 0 && b->waiters == 0)
		t->hold--;
	/* over the ceiling already (a size given from outside): no growth */
	if (want > was && was >= hi)
		want = was;
	else if (want > was && want > hi)
		want = hi;
	t->pct = clamp(want, DBC_THROTTLE_MIN_PCT, DBC_THROTTLE_MAX_PCT);
	return t->pct;
}

bool dbc_throttle_waits(int64_t worst_lag_bytes, int64_t max_lag_bytes)
{
	return worst_lag_bytes >= 0 && worst_lag_bytes > max_lag_bytes;
}

bool dbc_throttle_lag_due(double last_read_ms, double now_ms)
{
	return last_read_ms < 0 || now_ms - last_read_ms >= DBC_THROTTLE_LAG_READ_MS;
}

double dbc_throttle_yield_ms(double held_ms)
{
	if (!(held_ms > 0))
		return 0;
	double rest = held_ms * (100 - DBC_THROTTLE_DUTY_PCT) / DBC_THROTTLE_DUTY_PCT;
	return rest > DBC_THROTTLE_REST_MAX_MS ? DBC_THROTTLE_REST_MAX_MS : rest;
}

int64_t dbc_throttle_wal_trigger(const dbc_wal_state *w)
{
	double segs = w->segment > 0 ? w->max_wal_mb * 1048576.0 / (double)w->segment : 0;
	int64_t n = (int64_t)(segs / (1.0 + w->completion_target));
	if (n < 1)
		n = 1;
	return n * w->segment - w->redo_offset;
}

int64_t dbc_throttle_wal_room(const dbc_wal_state *w)
{
	return dbc_throttle_wal_trigger(w) * DBC_THROTTLE_WAL_SHARE_PCT / 100 - w->written;
}

bool dbc_throttle_wal_waits(const dbc_wal_state *w, int64_t step)
{
	return dbc_throttle_wal_room(w) < (step > 0 ? step : 0);
}

bool dbc_throttle_wal_due(double last_read_ms, double now_ms, int64_t room, int64_t segment)
{
	return last_read_ms < 0 || now_ms - last_read_ms >= DBC_THROTTLE_WAL_READ_MS || room < segment;
}
