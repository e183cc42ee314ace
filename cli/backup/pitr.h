/*
 * pitr.h — SQLite point-in-time recovery in the command: the capture
 * (`dbcare log`, pitr_capture.c, its segments pitr_segment.c) and the
 * restore (`dbcare restore --to-time`, pitr_restore.c). The log's files
 * and records: pitr_log.h.
 *
 * The capture's invariant: every frame of the WAL that it has not yet
 * copied into the log is protected by a read transaction it holds, taken
 * at or before the last frame it copied. SQLite never checkpoints a frame
 * beyond the snapshot of a reader, and never resets the WAL while a reader
 * uses it, so no connection (with the module or not) can move a frame out
 * of reach before it is in the log. The capture holds two such readers in
 * turn: the next is taken, the WAL read to its end and copied, and only
 * then is the previous released.
 */
#ifndef DBCARE_PITR_H
#define DBCARE_PITR_H

#include "cli/cli.h"
#include "pitr_log.h"

#include <sqlite3.h>

typedef struct pitr_capture {
	const char *dir, *db_path;
	int poll_ms;
	int64_t seg_interval_ms, seg_bytes;
	uint32_t ckpt_frames; /* checkpoint once the WAL holds this many frames */
	wal_pos ckpt_pos;     /* where the last checkpoint was tried */
	sqlite3 *rd[2];       /* the readers held in turn */
	int held;             /* which of rd holds the protecting snapshot; -1: none */
	sqlite3 *wr;          /* takes the write lock for a base or a checkpoint */
	int wal_fd;
	bool have_pos; /* pos is a place in a WAL generation (else: no WAL yet) */
	wal_pos pos;   /* the last frame copied */
	uint32_t page_size, db_pages;
	uint32_t epoch;
	uint64_t seq;
	/* the open segment (fd -1: none) */
	int seg_fd;
	off_t seg_len;
	uint64_t seg_seq;
	int64_t seg_first_ms, seg_last_ms;
	char base_name[256]; /* the epoch's base file (in dir) */
	int64_t last_write_ms;
	int64_t recovered_ms; /* the newest record's time when the capture started */
	bool saw_commits;     /* the last poll copied commits */
	int progress_fd, lock_fd;
	bool started; /* the log continues or has its base: a last heartbeat at the stop */
	/* closed segments and bases sealed (--compress zstd, --encrypt-key-file) */
	bool seal_zstd, seal_encrypt;
	cli_out *out; /* notes */
} pitr_capture;

/* Segments (pitr_segment.c). */
int pitr_seg_append(pitr_capture *c, const pitr_rec *r, const wal_commit *commit);
int pitr_seg_close(pitr_capture *c);
int pitr_seg_sync(pitr_capture *c);
/* Closes the open segments a killed capture left, their last whole record
 * kept (a torn one cut off); fills c with where the log stands: epoch, seq,
 * WAL position, base, page size (have_pos false when the log is empty). */
int pitr_seg_recover(pitr_capture *c);
/* "DIR/log.progress": the time, epoch and seq of the newest record. */
void pitr_progress(pitr_capture *c, int64_t time_ms);

/* The capture (pitr_capture.c). */
int pitr_capture_start(pitr_capture *c);
int pitr_capture_poll(pitr_capture *c);
void pitr_capture_stop(pitr_capture *c);

/* Every record of every segment of dir, in order, to fn (nonzero stops);
 * with check, each closed segment against its log-<n>.json first. A damaged
 * closed segment is an error; an open one ends at its last whole record. */
typedef int (*pitr_rec_fn)(void *arg, const pitr_rec *r);
int pitr_each_record(const char *dir, pitr_rec_fn fn, void *arg, bool check);

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
void pitr_remove_image(const char *image);

/* Where the restore point label (dbbackup_mark) is in the log of dir: the
 * commit that wrote its row (*epoch, *seq). 0, or -1 after saying why
 * (no such mark in the log, or made before the log's bases). */
int pitr_mark_find(cli_opts *o, const char *dir, const char *label, const char *beside,
                   uint32_t *epoch, uint64_t *seq);

#endif
