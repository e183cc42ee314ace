/*
 * pitr_capture.h — the SQLite point-in-time log's capture, one
 * implementation for its two drivers: the command (`dbcare log`, which
 * polls) and the module (an application connection with backup.log.dir
 * set, whose WAL hook copies each commit: pitr_module.c). The log's files
 * and records: pitr_log.h.
 *
 * The capture's invariant: every frame of the WAL that it has not yet
 * copied into the log is protected by a read transaction it holds, taken
 * at or before the last frame it copied. SQLite never checkpoints a frame
 * beyond the snapshot of a reader, and never resets the WAL while a reader
 * uses it, so no connection (with the module or not) can move a frame out
 * of reach before it is in the log. The capture holds two such readers in
 * turn: the next is taken, the WAL read to its end and copied, and only
 * then is the previous released. The command moves its reader on at every
 * poll; the module (lazy_readers) keeps one reader while it copies commit
 * after commit (the reader stays at or before the last frame copied, so
 * the invariant holds) and moves it on only at its own checkpoint, and
 * once right after a base, a checkpoint or a resumed epoch, when the
 * reader it took may sit on a fully checkpointed WAL and so protect no
 * frame written after it. Each of those takes its reader under the write
 * lock, after copying every frame: a reader taken while a writer may run
 * could sit on a WAL checkpointed whole that still holds frames not copied,
 * which a writer may then overwrite by starting the WAL again.
 * Each capture owns checkpointing: its connections never checkpoint on
 * their own, and it checkpoints only frames already in the log.
 *
 * One capture per log directory: an exclusive flock on DIR/log.lock (per
 * open file, so two connections of one process exclude each other too),
 * held while the capture runs.
 */
#ifndef SQLDBC_PITR_CAPTURE_H
#define SQLDBC_PITR_CAPTURE_H

#include "pitr_log.h"

#include <stdbool.h>
#include <sys/types.h>

struct sqlite3;

/* What the capture says: PITR_SAY_ERROR (it failed) or PITR_SAY_NOTE. */
enum { PITR_SAY_ERROR, PITR_SAY_NOTE };

typedef struct pitr_capture {
	const char *dir, *db_path;
	const char *identity; /* dbbackup_identity() of the database; NULL: none yet */
	int64_t seg_interval_ms, seg_bytes;
	uint32_t ckpt_frames; /* checkpoint once the WAL holds this many frames */
	size_t poll_bytes;    /* the most a poll copies (0: 16 MB; smaller: tests only) */
	/* how long a checkpoint waits for the write lock (0: it tries once, the
	 * module's capture, inside an application's commit) */
	int ckpt_wait_ms;
	/* a poll that begins more than stall_ms after the last whole poll
	 * began marks its commits behind (pitr_log.h; 0: never, the module's
	 * capture, which copies at its connection's commits) */
	int64_t stall_ms;
	int64_t read_ms; /* when the last whole poll began (0: none since the base) */
	/* a poll that copied commits seen late when the last poll that could
	 * vouch (the WAL unchanged, or the write lock held) began more than
	 * vouch_ms ago reads the WAL again under the write lock, if free (0:
	 * never, the module's capture): a busy database still gets a moment
	 * the log vouches for at least that often */
	int64_t vouch_ms;
	int64_t vouched_ms; /* when the last poll that could vouch began */
	/* tests only (0: none): a pause after a poll read the WAL, before it
	 * takes its time, the window a commit can slip into unseen */
	int scan_pause_ms;
	/* the most bytes of one commit record (0: the format's 2 GB; smaller:
	 * tests only); a larger commit is taken as a new base (too_big: its
	 * pages, until that base is taken) */
	size_t record_bytes;
	uint32_t too_big;
	/* the module's way (pitr_capture.h, above): one reader kept while
	 * commits are copied, the log synced at most every sync_ms (0: after
	 * every poll, the command's way) and before every checkpoint */
	bool lazy_readers;
	int64_t sync_ms;
	/* the WAL's frame count its hook gave for this poll (0: unknown): the
	 * module's poll reads the new frames up to it in one call */
	uint32_t wal_frames;
	const dbc_host *host; /* memory for the files' SHA-256 */
	/* messages; the command prints them, the module logs them */
	void (*say)(void *arg, int level, const char *msg);
	void *say_arg;
	/* closed segments and bases sealed: seal writes plain as path (a new
	 * name) with the SHA-256 of what it wrote; NULL: kept plain. open_seg
	 * opens a sealed segment for reading (*scratch: what to release after,
	 * with release_seg); NULL: a sealed segment cannot be read. */
	int (*seal)(void *arg, const char *plain, const char *path, char sha[65]);
	FILE *(*open_seg)(void *arg, const char *path, char **scratch);
	void (*release_seg)(void *arg, char *scratch);
	void *seal_arg;
	/* the state */
	wal_pos ckpt_pos;      /* where the last checkpoint was tried */
	struct sqlite3 *rd[2]; /* the readers held in turn */
	int held;              /* which of rd holds the protecting snapshot; -1: none */
	bool weak_reader;      /* lazy_readers: move the reader on at the next poll */
	wal_header hdr;        /* lazy_readers: the WAL's header ... */
	bool hdr_kept;         /* ... read under the reader held */
	struct sqlite3 *wr;    /* takes the write lock for a base or a checkpoint */
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
	bool seg_dirty; /* written since its last sync */
	bool dir_dirty; /* a segment created since the directory's last sync */
	int64_t synced_ms;
	char base_name[256]; /* the epoch's base file (in dir) */
	int64_t last_write_ms;
	bool time_held;       /* the clock is behind the newest record's time (pitr_seg_append) */
	int64_t recovered_ms; /* the newest record's time when the capture started */
	bool saw_commits;     /* the last poll copied commits */
	int progress_fd, lock_fd;
	int64_t progress_ms; /* the time log.progress was last written with */
	wal_bufs scan_bufs;  /* the WAL scan's buffers, kept from poll to poll */
	pitr_buf rec_buf;    /* the records' buffer, kept from record to record */
	bool started;        /* the log continues or has its base: a last heartbeat at the stop */
	/* periodic bases (pitr_next_base.c): a new base once the log written
	 * since the last one exceeds base_bytes (0: the database's size, at
	 * least 64 MB) or base_interval_ms went by (0: a day); either < 0:
	 * never by that measure. base_step_ms: the most a poll spends copying
	 * it (0: 20 ms). */
	int64_t base_interval_ms, base_bytes;
	int base_step_ms;
	int64_t base_log_bytes;      /* log bytes written since the last base */
	int64_t base_taken_ms;       /* the last base's time (0: from base_name) */
	int64_t base_retry_ms;       /* a failed periodic base: not again before */
	struct pitr_next_base *next; /* the base being copied (NULL: none) */
	/* the periodic bases' steps, set by the driver (pitr_next_base_poll
	 * and _stop; NULL: no periodic base): a hook, as they call the
	 * capture's own steps */
	int (*base_poll)(struct pitr_capture *c);
	void (*base_stop)(struct pitr_capture *c);
} pitr_capture;

/* A message through c->say (printf-style). */
void pitr_say(const pitr_capture *c, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Segments (pitr_segment.c). */
int pitr_seg_append(pitr_capture *c, const pitr_rec *r, const wal_commit *commit);
/* Now, or the log's newest record's time when the clock is behind it (+1
 * ms with after: a base, whose file name must sort after the records'). */
int64_t pitr_seg_stamp(const pitr_capture *c, bool after);
int pitr_seg_close(pitr_capture *c);
int pitr_seg_sync(pitr_capture *c);
/* Closes the open segments a killed capture left, their last whole record
 * kept (a torn one cut off); fills c with where the log stands: epoch, seq,
 * WAL position, base, page size (have_pos false when the log is empty). */
int pitr_seg_recover(pitr_capture *c);
/* "DIR/log.progress": the time, epoch and seq of the newest record. */
void pitr_progress(pitr_capture *c, int64_t time_ms);

/* The log belongs to the database (pitr_identity.c): DIR/log.identity
 * written by the first capture, and a capture of another database (or a
 * copy at another path) refused: 0, or -1 after saying why. */
int pitr_identity_check(pitr_capture *c);

/* The capture (pitr_capture.c). start: -1 after saying why, and 1 when
 * another capture holds the directory (c->lock_fd stays -1); either way
 * pitr_capture_stop releases what was taken. poll: copies what the WAL
 * holds after the last frame copied, closes a segment that is due,
 * checkpoints once the WAL is long; 0 or -1 (the frames not copied stay
 * protected: the next poll tries again). */
int pitr_capture_start(pitr_capture *c);
int pitr_capture_poll(pitr_capture *c);
void pitr_capture_stop(pitr_capture *c);

/* For pitr_next_base.c, the periodic base (pitr_capture.c). fence: the
 * write lock taken if free (1: busy, nothing done) and every commit of the
 * WAL copied into the log under it (a heartbeat when none), the lock kept
 * (0) or released on failure (-1); unfence releases it. reemit: under the
 * fence, the commits of the WAL after c->pos written into the log stamped
 * now (0; 1: a WAL generation went by unseen; -1). */
int pitr_capture_fence(pitr_capture *c);
void pitr_capture_unfence(pitr_capture *c);
int pitr_capture_reemit(pitr_capture *c, int64_t now);
/* A connection of the capture's kind (never checkpoints) and a read
 * transaction on it (its snapshot taken now). 0 or -1 after saying why. */
int pitr_capture_open_conn(pitr_capture *c, struct sqlite3 **db);
int pitr_capture_begin_read(pitr_capture *c, struct sqlite3 *db);
/* A heartbeat at the capture's place stamped when (pitr_capture.c). */
int pitr_capture_heartbeat(pitr_capture *c, int64_t when);
/* A new epoch's base record at the capture's place (pitr_capture.c). */
int pitr_capture_base_record(pitr_capture *c, int64_t when, const char *name, const char *sha,
                             uint32_t page_size);
/* The integer a PRAGMA such as "PRAGMA main.page_count" answers on db
 * (-1: none). */
int64_t pitr_pragma_int(struct sqlite3 *db, const char *text);
/* The name of the base taken at when: base-YYYY-MM-DDTHHMMSSmmmZ.db. */
void pitr_base_file_name(int64_t when, char name[64]);

/* Periodic bases (pitr_next_base.c): poll starts one when due, copies a
 * step of it, publishes it when whole (0; 1: the log needs a full new
 * base; -1); stop abandons one being copied (its temporary file goes). */
int pitr_next_base_poll(pitr_capture *c);
void pitr_next_base_stop(pitr_capture *c);

#endif
