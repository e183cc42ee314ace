/*
 * pitr_end.h — whether a point-in-time log still reaches what its capture
 * recorded (docs/backups.md, "What the log holds"): the one rule that
 * `log status`, `restore --to-time latest`, the log's drill (the command)
 * and the health check point_in_time_log and its metrics (the module)
 * apply. Built into both (Makefile: PITR_SHARED).
 *
 * log.progress is written after the record it names is in its segment
 * (and synced: pitr_capture.c), so a whole log ends at or after it; read
 * before the segments it can only be behind what they hold, even while a
 * capture writes on. A log that ends before it lost segment files at its
 * end (a partial copy, a lost volume): its newest readable moment is not
 * the newest moment the capture saw.
 */
#ifndef DBCARE_PITR_END_H
#define DBCARE_PITR_END_H

#include "pitr_log.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct pitr_end_mark {
	int64_t time_ms;
	uint32_t epoch;
	uint64_t seq;
} pitr_end_mark;

/* The log's readable end (its newest record by epoch and seq) and what its
 * capture recorded in DIR/log.progress. */
typedef struct pitr_end {
	bool have_end, progress_known;
	uint32_t epoch;
	uint64_t seq;
	int64_t time_ms;
	pitr_end_mark progress;
} pitr_end;

/* Reads DIR/log.progress into e (before the segments are read: it is then
 * never ahead of them). */
void pitr_end_begin(const char *dir, pitr_end *e);
/* A record read from the log (any order): the end moves to it when it is
 * newer. */
void pitr_end_note(pitr_end *e, const pitr_rec *r);
/* The same from a closed segment's record (log-<seq>.json): its epoch,
 * last seq and last record's time. */
void pitr_end_note_mark(pitr_end *e, const pitr_end_mark *m);
/* The log ends before what its capture recorded: segment files at its end
 * are missing (false without log.progress: that cannot be told). */
bool pitr_end_short(const pitr_end *e);
/* log.progress's second line, "failed <time> <message>": the capture's
 * last error (pitr_say, pitr_segment.c), written in place (a full disk
 * still takes it: the file's first block is there). The failure holds
 * while no commit was recorded after it: true with its time and message
 * (into why); false when none, or the capture went on since. */
bool pitr_end_failure(const char *dir, int64_t *ms, char *why, size_t len);
/* Where that line begins: after the first, "%020lld %010u %020llu\n". */
#define PITR_PROGRESS_LINE 53

/* What is missing, in words, into buf. */
void pitr_end_gap_text(const pitr_end *e, char *buf, size_t len);

#endif
