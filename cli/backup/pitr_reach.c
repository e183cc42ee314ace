/*
 * pitr_reach.c — the newest moment a point-in-time log restores to: the
 * newest record of its newest stretch (what log status lists last), read
 * by restore --to-time latest and the log drill (backup drill --log).
 */
#include "pitr.h"

typedef struct reach {
	uint32_t epoch;
	bool have_base;
	int64_t last;
} reach;

static int reach_record(void *arg, const pitr_rec *r)
{
	reach *a = arg;
	if (r->type == PITR_REC_BASE) {
		a->epoch = r->epoch;
		a->have_base = true;
		a->last = r->time_ms;
	} else if (a->have_base && r->epoch == a->epoch && r->type != PITR_REC_RESUME &&
	           r->time_ms > a->last) {
		a->last = r->time_ms;
	}
	return 0;
}

int pitr_reach(const char *dir, int64_t *last)
{
	reach r = {0};
	if (pitr_each_record(dir, reach_record, &r, true) != 0)
		return -1;
	*last = r.have_base ? r.last : 0;
	return 0;
}
