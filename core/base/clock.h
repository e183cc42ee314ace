/*
 * base/clock.h — the core's clocks: the wall clock for timestamps that are
 * stored or shown, the monotonic clock for durations (a wall clock that is
 * set back or forward during a run must never make a duration negative or
 * huge). Every part times its work with dbc_monotonic_ms
 * (test/script/core_clock.sh).
 */
#ifndef DBC_CLOCK_H
#define DBC_CLOCK_H

#include "base/dbc.h"

/* Now as ISO-8601 UTC with milliseconds, in the ctx's arena (NULL on out of
 * memory), and as seconds since the epoch. */
char *dbc_now_iso(dbc_ctx *ctx);
double dbc_now_epoch(void);
/* Milliseconds on the monotonic clock: only differences mean anything. */
double dbc_monotonic_ms(void);

#endif
