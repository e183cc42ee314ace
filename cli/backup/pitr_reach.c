/*
 * pitr_reach.c — the newest moment a point-in-time log restores to: the
 * end of its newest stretch (pitr_cover.c; what log status lists last),
 * read by restore --to-time latest and the log drill (backup drill --log); and
 * the log's readable end against what its capture recorded in
 * log.progress, shared with log status.
 *
 * log.progress is written after the record it names is in the segment
 * (and synced: pitr_capture.c), so a whole log ends at or after it; one
 * read before the segments can only be behind what they hold, even while
 * a capture writes on. A log that ends before it lost segment files at
 * its end (a partial copy, a lost volume): its newest readable moment is
 * not the newest moment the capture saw, and `latest` is refused.
 */
#include "pitr.h"

#include <stdlib.h>
#include <string.h>

typedef struct reach {
	pitr_cover cover;
	pitr_end *end;
} reach;

void pitr_end_note(pitr_end *e, const pitr_rec *r)
{
	if (!e->have_end || r->epoch > e->epoch || (r->epoch == e->epoch && r->seq >= e->seq)) {
		e->have_end = true;
		e->epoch = r->epoch;
		e->seq = r->seq;
		e->time_ms = r->time_ms;
	}
}

static int reach_record(void *arg, const pitr_rec *r)
{
	reach *a = arg;
	pitr_end_note(a->end, r);
	return pitr_cover_add(&a->cover, r);
}

void pitr_end_begin(const char *dir, pitr_end *e)
{
	*e = (pitr_end){0};
	char *path = NULL, line[96] = "";
	if (asprintf(&path, "%s/log.progress", dir) < 0)
		return;
	FILE *f = fopen(path, "re");
	free(path);
	if (!f)
		return;
	bool got = fgets(line, sizeof line, f) != NULL;
	fclose(f);
	long long ms;
	unsigned epoch;
	unsigned long long seq;
	/* "time epoch seq" (pitr_progress, sqlite/pitr_segment.c) */
	if (got && sscanf(line, "%lld %u %llu", &ms, &epoch, &seq) == 3 && ms > 0) {
		e->progress_known = true;
		e->progress = (pitr_end_mark){ms, epoch, seq};
	}
}

bool pitr_end_short(const pitr_end *e)
{
	if (!e->progress_known)
		return false;
	if (!e->have_end)
		return true;
	return e->progress.epoch > e->epoch ||
	       (e->progress.epoch == e->epoch && e->progress.seq > e->seq);
}

void pitr_end_gap_text(const pitr_end *e, char *buf, size_t len)
{
	char recorded[32], readable[32];
	pitr_time_text(e->progress.time_ms, recorded);
	if (!e->have_end) {
		snprintf(buf, len,
		         "its capture recorded commit %llu of epoch %u at %s UTC (log.progress), "
		         "but no segment of it can be read",
		         (unsigned long long)e->progress.seq, e->progress.epoch, recorded);
		return;
	}
	pitr_time_text(e->time_ms, readable);
	snprintf(buf, len,
	         "its capture recorded commit %llu of epoch %u at %s UTC (log.progress), but the "
	         "segments end at commit %llu of epoch %u at %s UTC: the segment files after it are "
	         "missing (a partial copy or sync, a lost volume)",
	         (unsigned long long)e->progress.seq, e->progress.epoch, recorded,
	         (unsigned long long)e->seq, e->epoch, readable);
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
		         "the log in %s has no log.progress (written by a capture of an older dbcare, or "
		         "lost): whether segment files at its end are missing cannot be told",
		         dir);
	return 0;
}
