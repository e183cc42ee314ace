/*
 * pitr.h — SQLite point-in-time recovery in the command: the capture
 * (`dbcare log`: the one capture of sqlite/pitr/pitr_capture.c, which the
 * module runs too, built into the command), and the restore (`dbcare
 * restore --to-time`, pitr_restore.c), status and prune, which read the
 * log's files through sqlite/pitr/pitr_log.c whoever captured them.
 */
#ifndef DBCARE_PITR_H
#define DBCARE_PITR_H

#include "cli/backup/common/stop_cleanup.h" /* a restore's target and image */
#include "cli/cli.h"
#include "sqlite/pitr/pitr.h"

#include <jansson.h>
#include <sqlite3.h>

/* The command's capture (cmd_log.c): c filled for `dbcare log` with the
 * command's messages and, with --compress or --encrypt-key-file, its
 * sealing (pitr_files.c). */
void cli_pitr_capture_init(pitr_capture *c, cli_opts *o);
/* The capture's errors are said once each until this (a poll succeeded). */
void cli_pitr_say_reset(void);

/* Opens a segment for reading: a sealed one through a scratch file that
 * *scratch names (release it with cli_scratch_release after fclose; NULL
 * for a plain one). NULL after printing why (a missing or wrong key). */
FILE *pitr_segment_fopen(const char *path, char **scratch);

/* The closed segment seg's record (log-<seq>.json) read as JSON into *doc
 * (json_decref it): 1; 0 when it has none yet (its capture is closing it);
 * -1 after saying why (missing, not JSON). The one reader of the records:
 * the walk checks a segment against it, prune reads its last_commit. */
int pitr_segment_record(const char *seg, json_t **doc);

/* The database a log belongs to (pitr_owner.c): DIR/log.identity, or
 * without it the first segment that names one. */
typedef struct pitr_owner {
	char *identity, *database; /* NULL: not known yet */
	bool from_file;
} pitr_owner;
/* 1 loaded, 0 no log.identity, -1 after saying why. */
int pitr_owner_load(const char *dir, pitr_owner *o);
void pitr_owner_free(pitr_owner *o);
/* The closed segment seg's record doc against the log's owner: 0, or -1
 * after saying why (a segment of another database). */
int pitr_owner_check(pitr_owner *o, const char *dir, const char *seg, json_t *doc);

/* Every record of every segment of dir, in order, to fn (nonzero stops);
 * with check, each closed segment against its log-<n>.json first. A damaged
 * closed segment is an error; an open one ends at its last whole record. */
typedef int (*pitr_rec_fn)(void *arg, const pitr_rec *r);
int pitr_each_record(const char *dir, pitr_rec_fn fn, void *arg, bool check);
/* The same, each record as its header alone (pitr_read_header: no page,
 * row count or base name read, no SHA-256 or CRC checked): what log
 * status and the newest restorable moment need, at the cost of the
 * headers (a sealed segment is still opened whole). Every closed segment
 * must have its record naming it (its SHA-256 is not checked). A segment
 * that ends inside a record is damage unless it is open, as for
 * pitr_each_record. */
int pitr_each_header(const char *dir, pitr_rec_fn fn, void *arg);
/* The same from segment `from` on (0: all; the segments before it are not
 * read, nor checked), fn told which segment it reads (seg); fn returns
 * PITR_WALK_STOP when it needs no more records: the walk ends there, 0.
 * page_size: of the commits' pages when the walk starts after their base
 * (0: the walk reads the base first). */
typedef struct pitr_walk {
	uint64_t from, seg;
	uint32_t page_size;
} pitr_walk;
#define PITR_WALK_STOP 1
int pitr_walk_records(const char *dir, pitr_walk *w, pitr_rec_fn fn, void *arg, bool check);

/* What the log covers (pitr_cover.c, the one home of the rule): the
 * stretches of time a restore gives exactly, fed the records in the log's
 * order. A moment T is covered when the newest record at or before T is
 * one the capture stamped after reading the WAL to its end (a commit of a
 * whole poll, a heartbeat, row counts) and a record of the same epoch is
 * at or after T. Not covered: a base's time and what follows until such a
 * record, when that record holds commits (those made while the base was
 * copied, read only after it; none: the base's time is covered), the
 * time after the last whole poll before the commits of a poll that fell
 * behind (pitr_log.h: it stopped short of the WAL's end, or began long
 * after the last whole poll) until the next whole poll (commits made
 * before them may have been unread), and the time between a resumed
 * capture's last moment seen and its first commit seen after it. */
enum { PITR_GAP_NONE, PITR_GAP_BASE, PITR_GAP_CATCHUP, PITR_GAP_RESUME };
typedef struct pitr_stretch {
	uint32_t epoch;
	int64_t from, to;
	uint64_t commits;
	int gap_before;     /* why the time before from is not covered (PITR_GAP_*) */
	int64_t blind_from; /* where that began: a base's time, the last whole
	                     * poll's, or the last moment seen before a stop */
} pitr_stretch;
typedef struct pitr_cover {
	pitr_stretch *s;
	size_t n, cap;
	uint32_t epoch;
	bool in_epoch; /* a base of epoch was fed */
	bool open;     /* s[n - 1] grows with each record that saw the WAL whole */
	bool resumed;  /* the last record fed was an 'S' */
	int gap;       /* not open: why (PITR_GAP_*), and since when */
	int64_t gap_from;
	uint64_t pending; /* commits since the last stretch closed */
} pitr_cover;
/* 0, or -1 (no memory). */
int pitr_cover_add(pitr_cover *cv, const pitr_rec *r);
void pitr_cover_free(pitr_cover *cv);
/* The stretch that holds t (NULL: t is not covered); *before and *after:
 * the nearest stretches before and after t (NULL: none). */
const pitr_stretch *pitr_cover_find(const pitr_cover *cv, int64_t t, const pitr_stretch **before,
                                    const pitr_stretch **after);

/* The newest moment the log of dir restores to (*last 0: none covered);
 * -1 after saying why it could not be read, or why it is not the newest
 * moment its capture saw (the log ends before log.progress: pitr_end). */
int pitr_reach(cli_opts *o, const char *dir, int64_t *last);

/* `dbcare log --copy-to DEST` (pitr_ship.c): the log's finished files
 * (log.identity, bases, closed segments after their records) uploaded to
 * DEST while the capture runs. open lists what DEST holds (NULL after
 * saying why); poll ships what it lacks, at most every 250 ms unless now
 * (0, or -1: said once, tried again at the next poll). */
typedef struct pitr_ship pitr_ship;
pitr_ship *pitr_ship_open(cli_opts *o, const char *dir, const char *dest);
int pitr_ship_poll(pitr_ship *sh, bool now);
uint64_t pitr_ship_count(const pitr_ship *sh);
const char *pitr_ship_label(const pitr_ship *sh);
void pitr_ship_close(pitr_ship *sh);

/* The same four with the log named by a store URL too (pitr_remote.c):
 * fetched into a private folder and read there; prune --apply deletes in
 * the store what it deleted in the copy. */
int cli_pitr_restore_at(cli_db *db, cli_opts *o, const char *where);
int cli_pitr_drill_at(cli_db *db, cli_opts *o, const char *where);
int cli_pitr_status_at(cli_opts *o, const char *where);
int cli_pitr_prune_at(cli_opts *o, const char *where);

/* The log's readable end against log.progress: sqlite/pitr/pitr_end.h. */

/* log status DIR: what the log can restore, how far behind it is. */
int cli_pitr_status(cli_opts *o, const char *dir);

/* log prune DIR --keep N | --keep-for SPAN [--apply]: the older bases and
 * segments go. */
int cli_pitr_prune(cli_opts *o, const char *dir);

/* restore --to-time T DIR (or --to-mark LABEL DIR) into db (a new, empty
 * SQLite database). */
int cli_pitr_restore(cli_db *db, cli_opts *o, const char *dir);

/* What pitr_image_at built: the base, the commits applied, the last
 * one's time (as the capture saw it), whether row counts were checked. */
typedef struct pitr_restored {
	char base[256];
	uint64_t commits;
	int64_t last_commit_ms;
	bool rows_checked;
} pitr_restored;
/* The log of dir at moment t as a checked image in a scratch file beside
 * `beside` (restore --to-time's steps, without the target); its path
 * (malloc'd; pitr_remove_image), or NULL after saying why. */
char *pitr_image_at(const char *dir, int64_t t, const char *beside, pitr_restored *out);

/* A restored SQLite database: backup.log.dir emptied in it (it would
 * capture into the production database's log), and said (restored_log_dir.c). */
void cli_restored_log_dir_clear(cli_db *db, cli_opts *o);

/* A restore's target file (its path as SQLite names it) outside any
 * point-in-time log directory: log_dir (the one restored from; NULL: none)
 * and any with a log.identity at or above the target's directory
 * (restore_target.c). 0, or -1 after saying why. */
int cli_restore_target_check(const char *target, const char *log_dir);

/* backup drill --log DIR (pitr_drill.c): the log restored to its last
 * restorable moment in scratch, checked; the recovery point measured. */
int cli_pitr_drill(cli_db *db, cli_opts *o, const char *dir);

/* The restore's steps (pitr_restore.c), shared with pitr_mark.c: the base
 * b copied to fd (its SHA-256 checked against its record); the commits of
 * epoch after seq `after` up to seq `upto` applied to the image at fd
 * (*db_pages: its size in pages, moved on); a scratch image removed with
 * the -wal and -shm opening it may leave. */
int pitr_copy_base(const char *dir, const pitr_rec *b, int fd);
int pitr_apply(const char *dir, int fd, uint32_t epoch, uint64_t after, uint64_t upto,
               uint32_t page_size, uint32_t *db_pages);
/* The same, the log read from segment `from` on (the base's: the
 * segments before it hold none of its epoch's commits), and only up to
 * the commit upto. */
int pitr_apply_from(const char *dir, uint64_t from, int fd, uint32_t epoch, uint64_t after,
                    uint64_t upto, uint32_t page_size, uint32_t *db_pages);
void pitr_remove_image(const char *image);
/* The commits of epoch after seq `after` applied to the image at fd in one
 * read of the log, then(arg, seq, db_pages) called after each: its nonzero
 * answer stops and is returned (0: the epoch's last commit was applied). */
typedef int (*pitr_applied_fn)(void *arg, uint64_t seq, uint32_t db_pages);
int pitr_apply_each(const char *dir, int fd, uint32_t epoch, uint64_t after, uint32_t page_size,
                    uint32_t db_pages, pitr_applied_fn then, void *arg);

/* Where the restore point label (dbbackup_mark) is in the log of dir: the
 * commit that wrote its row (*epoch, *seq). 0, or -1 after saying why
 * (no such mark in the log, or made before the log's bases). */
int pitr_mark_find(cli_opts *o, const char *dir, const char *label, const char *beside,
                   uint32_t *epoch, uint64_t *seq);

#endif
