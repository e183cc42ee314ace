/*
 * migrate_throttle.c — the backfill's pace under `dbcare migrate --online`
 * (migrate_throttle.h): multiplicative decrease on any sign of harm (a
 * lock not granted, a session kept waiting, a batch over its target),
 * additive increase when a batch ran well under it, so a backfill backs
 * off at once and comes back slowly; a pause while a replica lags; and,
 * where the lock's waiters cannot be seen, the lock left free after each
 * batch as long as the batch held it.
 */
#include "migrate/migrate_throttle.h"

int dbc_throttle_next_pct(int pct, const dbc_throttle_batch *b)
{
	if (pct < DBC_THROTTLE_MIN_PCT)
		pct = DBC_THROTTLE_MIN_PCT;
	if (pct > DBC_THROTTLE_MAX_PCT)
		pct = DBC_THROTTLE_MAX_PCT;
	if (b->lock_retries > 0 || b->waiters > 0 || b->ms > DBC_THROTTLE_TARGET_MS) {
		pct /= 2;
		return pct < DBC_THROTTLE_MIN_PCT ? DBC_THROTTLE_MIN_PCT : pct;
	}
	if (b->ms <= DBC_THROTTLE_TARGET_MS / 2) {
		pct += DBC_THROTTLE_GROW_PCT;
		return pct > DBC_THROTTLE_MAX_PCT ? DBC_THROTTLE_MAX_PCT : pct;
	}
	return pct;
}

bool dbc_throttle_waits(int64_t worst_lag_bytes, int64_t max_lag_bytes)
{
	return worst_lag_bytes >= 0 && worst_lag_bytes > max_lag_bytes;
}

double dbc_throttle_yield_ms(double held_ms, bool waiters_known)
{
	if (waiters_known || !(held_ms > 0))
		return 0;
	return held_ms > DBC_THROTTLE_TARGET_MS ? DBC_THROTTLE_TARGET_MS : held_ms;
}
