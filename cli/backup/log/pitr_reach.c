/*
 * pitr_reach.c — the newest moment a point-in-time log restores to: the
 * end of its newest stretch (pitr_cover.c; what log status lists last),
 * read by restore --to-time latest and the log drill (backup drill --log).
 * A log that ends before what its capture recorded in log.progress
 * (sqlite/pitr/pitr_end.h, the rule shared with log status and health) lost
 * segment files at its end: `latest` is refused.
 */
#include "pitr.h"

#include <stdlib.h>
#include <string.h>

typedef struct reach {
	pitr_cover cover;
	pitr_end *end;
} reach;

static int reach_record(void *arg, const pitr_rec *r)
{
	reach *a = arg;
	pitr_end_note(a->end, r);
	return pitr_cover_add(&a->cover, r);
}

int pitr_reach(cli_opts *o, const char *dir, int64_t *last)
{
	pitr_end end;
	pitr_end_begin(dir, &end); /* before the segments: never ahead of them */
	reach r = {.end = &end};
	/* the headers: the restore that goes there checks what it reads */
	int rc = pitr_each_header(dir, reach_record, &r);
	*last = rc == 0 && r.cover.n ? r.cover.s[r.cover.n - 1].to : 0;
	pitr_cover_free(&r.cover);
	if (rc != 0)
		return -1;
	if (pitr_end_short(&end)) {
		char why[512], t[32];
		pitr_end_gap_text(&end, why, sizeof why);
		pitr_time_text(*last, t);
		if (*last)
			cli_errorf("the log in %s is missing its end: %s; its newest moment cannot be "
			           "restored. Find the missing files, or restore to the last readable "
			           "moment with --to-time '%s' (or any earlier)",
			           dir, why, t);
		else
			cli_errorf("the log in %s is missing its end: %s", dir, why);
		return -1;
	}
	if (!end.progress_known && *last)
		cli_note(&o->out,
		         "dbcare: the log in %s has no log.progress (written by a capture of an older "
		         "dbcare, or lost): whether segment files at its end are missing cannot be "
		         "told",
		         dir);
	return 0;
}
