/*
 * pitr_reach.c — the newest moment a point-in-time log restores to: the
 * end of its newest stretch (pitr_cover.c; what log status lists last),
 * read by restore --to-time latest and the log drill (backup drill --log).
 */
#include "pitr.h"

static int reach_record(void *arg, const pitr_rec *r)
{
	return pitr_cover_add(arg, r);
}

int pitr_reach(const char *dir, int64_t *last)
{
	pitr_cover cv = {0};
	/* the headers: the restore that goes there checks what it reads */
	int rc = pitr_each_header(dir, reach_record, &cv);
	*last = rc == 0 && cv.n ? cv.s[cv.n - 1].to : 0;
	pitr_cover_free(&cv);
	return rc == 0 ? 0 : -1;
}
