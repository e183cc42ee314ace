/*
 * pitr_end.c — the log's readable end against log.progress (pitr_end.h),
 * one rule for the command's status, restore and drill and the module's
 * health check and metrics.
 *
 * Built three ways (Makefile): into the SQLite module; with
 * DBC_PITR_LINKED into the command (PITR_SHARED); into the fuzz targets
 * (FUZZ_OBJS). It calls no SQLite routine, so nothing in it differs.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* asprintf */
#endif
#include "pitr_end.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pitr_end_note_mark(pitr_end *e, const pitr_end_mark *m)
{
	if (!e->have_end || m->epoch > e->epoch || (m->epoch == e->epoch && m->seq >= e->seq)) {
		e->have_end = true;
		e->epoch = m->epoch;
		e->seq = m->seq;
		e->time_ms = m->time_ms;
	}
}

void pitr_end_note(pitr_end *e, const pitr_rec *r)
{
	pitr_end_mark m = {r->time_ms, r->epoch, r->seq};
	pitr_end_note_mark(e, &m);
}

void pitr_end_begin(const char *dir, pitr_end *e)
{
	*e = (pitr_end){0};
	char *path = NULL, line[96] = "";
	if (asprintf(&path, "%s/log.progress", dir) < 0)
		return;
	FILE *f = pitr_file_fopen(path);
	free(path);
	if (!f)
		return;
	bool got = fgets(line, sizeof line, f) != NULL;
	fclose(f);
	long long ms;
	unsigned epoch;
	unsigned long long seq;
	/* "time epoch seq" (pitr_progress, pitr_segment.c) */
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

bool pitr_end_failure(const char *dir, int64_t *ms, char *why, size_t len)
{
	char *path = NULL, line[1024] = "";
	if (asprintf(&path, "%s/log.progress", dir) < 0)
		return false;
	FILE *f = pitr_file_fopen(path);
	free(path);
	if (!f)
		return false;
	long long progress = 0, failed = 0;
	int at = 0;
	bool got = fscanf(f, "%lld", &progress) >= 0 && fseek(f, PITR_PROGRESS_LINE, SEEK_SET) == 0 &&
	           fgets(line, sizeof line, f) && sscanf(line, "failed %lld %n", &failed, &at) == 1 &&
	           at > 0;
	fclose(f);
	if (!got || failed <= 0 || progress > failed)
		return false; /* none, or a commit recorded since: the capture went on */
	line[strcspn(line, "\n")] = '\0';
	snprintf(why, len, "%s", line + at);
	*ms = failed;
	return true;
}
