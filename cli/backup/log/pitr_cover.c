/*
 * pitr_cover.c — which moments a point-in-time log restores exactly
 * (the rule: pitr.h, above pitr_cover), for log status, restore --to-time
 * (latest too) and the log's drill alike. A poll stamps its commits after
 * reading them, so a commit is never stamped before it was made; a commit
 * made between a poll's read and its time is read by the next poll only,
 * so the capture marks a poll's commits seen late (the behind bit) unless
 * it held the write lock, and a poll that found nothing new writes a
 * heartbeat just before it began: every commit made before then is in the
 * log. A moment is covered only between such records. A poll that
 * stopped short (a backlog of more than 16 MB, made since the last whole
 * poll, copied 16 MB at a time), a base (commits made while it was copied
 * are read only after it) and a capture that resumed after a stop all
 * leave commits made before their time unread: from the last whole poll
 * (the base) to the next whole poll, no moment is covered.
 */
#include "pitr.h"

#include "base/heap_grow.h"

#include <stdlib.h>

static int push(pitr_cover *cv, int64_t t, uint64_t commits)
{
	if (!dbc_heap_reserve(&cv->s, cv->n + 1, &cv->cap, sizeof *cv->s, 16))
		return -1;
	cv->s[cv->n++] = (pitr_stretch){cv->epoch, t, t, commits, cv->gap, cv->gap_from};
	cv->open = true;
	cv->pending = 0;
	return 0;
}

/* The open stretch ends at end (dropped when nothing of it is left): a
 * gap of kind gap begins after it. */
static void close_at(pitr_cover *cv, int64_t end, int gap, int64_t gap_from)
{
	pitr_stretch *last = &cv->s[cv->n - 1];
	last->to = end;
	if (last->to < last->from) {
		cv->pending += last->commits;
		gap = last->gap_before;
		gap_from = last->blind_from;
		cv->n--;
	}
	cv->open = false;
	cv->gap = gap;
	cv->gap_from = gap_from;
}

/* A record that saw the WAL whole (sees) or not, in the epoch fed. */
static int add_in_epoch(pitr_cover *cv, const pitr_rec *r, bool was_resumed)
{
	bool commit = r->type == PITR_REC_COMMIT, sees = !(commit && r->behind);
	pitr_stretch *last = cv->open ? &cv->s[cv->n - 1] : NULL;
	/* commits seen only when a capture resumed: made at some moment
	 * between the last one seen before and now */
	if (last && was_resumed && commit && r->time_ms > last->to) {
		close_at(cv, last->to, PITR_GAP_RESUME, last->to);
		last = NULL;
	}
	if (!sees) {
		/* a backlog beyond one poll's share was made after the last whole
		 * poll: the stretch ends at that poll's moment */
		if (last)
			close_at(cv, last->to < r->time_ms ? last->to : r->time_ms - 1, PITR_GAP_CATCHUP,
			         last->to);
		cv->pending++;
		return 0;
	}
	/* nothing committed since the base's place (taken under the write
	 * lock): the log covers the base's moment on */
	if (!last && cv->gap == PITR_GAP_BASE && !commit && !cv->pending)
		return push(cv, cv->gap_from, 0);
	if (!last)
		return push(cv, r->time_ms, cv->pending + commit);
	if (r->time_ms > last->to)
		last->to = r->time_ms;
	last->commits += commit;
	return 0;
}

int pitr_cover_add(pitr_cover *cv, const pitr_rec *r)
{
	if (r->type == PITR_REC_BASE) {
		cv->epoch = r->epoch;
		cv->in_epoch = true;
		cv->open = cv->resumed = false;
		cv->gap = PITR_GAP_BASE;
		cv->gap_from = r->time_ms;
		cv->pending = 0;
		return 0;
	}
	if (!cv->in_epoch || r->epoch != cv->epoch)
		return 0;
	bool was_resumed = cv->resumed;
	cv->resumed = r->type == PITR_REC_RESUME;
	if (cv->resumed) /* its time: the last moment seen before the stop */
		return 0;
	return add_in_epoch(cv, r, was_resumed);
}

void pitr_cover_free(pitr_cover *cv)
{
	free(cv->s);
	*cv = (pitr_cover){0};
}

const pitr_stretch *pitr_cover_find(const pitr_cover *cv, int64_t t, const pitr_stretch **before,
                                    const pitr_stretch **after)
{
	*before = *after = NULL;
	for (size_t i = 0; i < cv->n; i++) {
		const pitr_stretch *s = &cv->s[i];
		if (s->from <= t && t <= s->to)
			return s;
		if (s->to < t)
			*before = s;
		else if (!*after)
			*after = s;
	}
	return NULL;
}
