/*
 * pitr_capture.c — the log's capture (pitr_capture.h states its
 * invariant), for the command and the module alike: a poll copies the
 * WAL's new commits into the log (taking the next reader first and
 * releasing the previous one after, unless lazy_readers keeps the one it
 * has); a base is a full copy taken at an exact place in the WAL (the
 * write lock held while that place is read); a checkpoint is run by the
 * capture itself, under the write lock, once every frame is in the log and
 * synced. Heap memory (malloc): the commits a poll holds outlive no poll
 * but belong to no SQL call.
 *
 * Built two ways (Makefile, PITR_SHARED): into the SQLite module, and with
 * DBC_PITR_LINKED into the command, which links libsqlite3 instead of the
 * extension routines (pitr_sqlite.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* asprintf, flock */
#endif
#include "pitr_capture.h"
#include "pitr_sqlite.h"

#include "base/file_sync.h"
#include "base/heap_grow.h"
#include "base/sha256.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/file.h>
#include <unistd.h>

/* Every file the capture opens in DIR is opened without following a
 * symlink (O_NOFOLLOW; SQLITE_OPEN_NOFOLLOW where this SQLite has it): a
 * link planted there is refused, never written through. */
#ifdef SQLITE_OPEN_NOFOLLOW
#define OPEN_NOFOLLOW SQLITE_OPEN_NOFOLLOW
#else
#define OPEN_NOFOLLOW 0
#endif

/* An idle capture still writes a heartbeat this often: the log reaches
 * to within it of now (a restore needs a record at or after its time). */
#define HEARTBEAT_MS 250

static int sql(pitr_capture *c, sqlite3 *db, const char *text)
{
	if (sqlite3_exec(db, text, NULL, NULL, NULL) == SQLITE_OK)
		return 0;
	pitr_say(c, PITR_SAY_ERROR, "log: %s: %s", text, sqlite3_errmsg(db));
	return -1;
}

static void end_read(sqlite3 *db)
{
	if (sqlite3_get_autocommit(db) == 0)
		sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
}

/* A read transaction whose snapshot is taken now; on failure none is left
 * open (the connection is as it was). */
static int begin_read(pitr_capture *c, sqlite3 *db)
{
	if (sql(c, db, "BEGIN; SELECT 1 FROM sqlite_schema LIMIT 1") == 0)
		return 0;
	end_read(db);
	return -1;
}

int64_t pitr_pragma_int(sqlite3 *db, const char *text)
{
	sqlite3_stmt *st;
	int64_t v = -1;
	if (sqlite3_prepare_v2(db, text, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int open_conn(pitr_capture *c, sqlite3 **db)
{
	if (sqlite3_open_v2(c->db_path, db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		pitr_say(c, PITR_SAY_ERROR, "log: cannot open %s: %s", c->db_path,
		         *db ? sqlite3_errmsg(*db) : "out of memory");
		return -1;
	}
	sqlite3_busy_timeout(*db, 10000);
	/* the module's capture keeps the WAL when its last connection closes
	 * (the next capture continues the epoch from it, no new base) */
	if (c->lazy_readers)
		sqlite3_db_config(*db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, (int *)NULL);
	/* the capture's connections never checkpoint on their own */
	return sql(c, *db, "PRAGMA wal_autocheckpoint = 0");
}

/* At most this many bytes of pages are copied by one poll (the rest by
 * the next; c->poll_bytes, when set, instead: a test's knob): a poll keeps
 * what it copied in memory until it knows its time. One transaction larger
 * than it is copied whole. The commits of a poll that stopped short are
 * marked partial: their time is not one the log covers. */
#define POLL_BYTES_MAX ((size_t)16 << 20)

/* One commit read from the WAL, written into the log once the poll's
 * time is known. */
typedef struct pending {
	uint32_t npages, db_pages;
	wal_pos end;
	uint32_t *pgno;
	unsigned char *data;
} pending;

typedef struct copy_arg {
	pitr_capture *c;
	int64_t now;
	/* each commit written as it is read, with the time now, taken before
	 * the read: only when every commit read was made before it (the scan
	 * stops at the frame a WAL hook counted) */
	bool direct;
	/* the poll holds the write lock (a checkpoint, a row count): no
	 * commit can be made between its read and its time */
	bool fenced;
	/* fenced: the write lock (c->wr) released as soon as the time is
	 * taken, before the commits are written and synced */
	bool release;
	int commits;
	pending *p;
	size_t n, cap, bytes;
	bool partial; /* stopped at POLL_BYTES_MAX: more is in the WAL */
	/* the poll's commits marked behind (pitr_log.h): it stopped short or
	 * failed, or began more than stall_ms after the last whole poll */
	bool behind;
	/* the module's poll in a WAL hook: the frame the connection's own
	 * commit ends at (the hook's count; 0: no such poll), the last frame
	 * the poll read, and whether a frame followed the own commit once the
	 * poll's time was taken (another connection wrote meanwhile) */
	uint32_t own_end, scan_end;
	bool after_own;
} copy_arg;

/* The command's poll reads the WAL before it takes its time: a commit
 * made in between (or since the poll before) is made before that time and
 * read only by the next poll. So, unless no commit could be made meanwhile
 * (the write lock held), the commits of its polls are marked seen late
 * (the behind bit, pitr_log.h): the log covers no moment between the last
 * poll that found the WAL unchanged and the next one (pitr_cover.c). The
 * module's polls run in the WAL hook of the commit they copy, made before
 * they began (commits of connections without the module are seen late
 * there, docs/backups.md). */
static bool seen_late(const copy_arg *a)
{
	return a->behind || a->partial || (!a->fenced && !a->direct && !a->c->lazy_readers);
}

/* Whether the module's capture (lazy_readers) copies w without knowing
 * when it was made: every commit but the one the connection whose WAL hook
 * runs the poll has just made (the last the hook counted), and that one
 * too when a frame of another connection followed it before the poll took
 * its time (a commit made meanwhile is not in the log at that time). Such
 * a commit was made by another connection (one without the module,
 * another process's) at some moment after the log's newest record was
 * read, or within its millisecond: it is marked seen late and stamped
 * with the newest record's time, so the stretch the log covers ends just
 * before that record (pitr_cover.c) and begins again only at a later
 * record whose time is exact. */
static bool unknown_moment(const copy_arg *a, const wal_commit *w)
{
	return a->c->lazy_readers && !(a->own_end && w->end.frame == a->own_end && !a->after_own);
}

/* A poll that read the WAL before it took its time (not direct): whether
 * something followed the own commit once that time was taken. */
static void look_after_own(copy_arg *a)
{
	if (!a->direct && a->own_end)
		a->after_own =
		    a->scan_end != a->own_end || wal_frame_after(a->c->wal_fd, &a->c->hdr, a->scan_end);
}

/* A commit read from the WAL into the log, stamped now (or, made at an
 * unknown moment, with the newest record's time: unknown_moment). */
static int append_commit(copy_arg *a, const wal_commit *w)
{
	pitr_capture *c = a->c;
	bool unknown = unknown_moment(a, w);
	int64_t newest = c->last_write_ms > c->recovered_ms ? c->last_write_ms : c->recovered_ms;
	pitr_rec r = {.type = PITR_REC_COMMIT,
	              .behind = seen_late(a) || unknown,
	              .time_ms = unknown && newest > 0 ? newest : a->now,
	              .epoch = c->epoch,
	              .seq = c->seq + 1,
	              .db_pages = w->db_pages,
	              .pos = w->end};
	if (pitr_seg_append(c, &r, w) != 0)
		return -1;
	c->seq++;
	c->db_pages = w->db_pages;
	c->pos = w->end;
	a->commits++;
	return 0;
}

static int on_commit(void *arg, const wal_commit *w)
{
	copy_arg *a = arg;
	if (!w->data) { /* more pages than one record holds (wal_scan kept none) */
		a->c->too_big = w->npages;
		return 3;
	}
	if (a->direct)
		return append_commit(a, w);
	if (!dbc_heap_reserve(&a->p, a->n + 1, &a->cap, sizeof *a->p, 16))
		return -1;
	size_t bytes = (size_t)w->npages * a->c->page_size;
	pending *e = &a->p[a->n];
	*e = (pending){w->npages, w->db_pages, w->end, malloc(w->npages * sizeof(uint32_t)),
	               malloc(bytes)};
	if (!e->pgno || !e->data) {
		free(e->pgno);
		free(e->data);
		return -1;
	}
	memcpy(e->pgno, w->pgno, w->npages * sizeof(uint32_t));
	memcpy(e->data, w->data, bytes);
	a->n++;
	a->bytes += bytes;
	if (a->bytes < (a->c->poll_bytes ? a->c->poll_bytes : POLL_BYTES_MAX))
		return 0;
	a->partial = true;
	return 2;
}

/* The commits read, written with the poll's time: taken after the WAL was
 * read, so every commit is stamped at or after the moment it was made,
 * and a commit made after a time T never carries a time at or before T. */
static int write_pending(copy_arg *a)
{
	int rc = 0;
	for (size_t i = 0; i < a->n; i++) {
		pending *e = &a->p[i];
		wal_commit w = {e->npages, e->pgno, e->data, e->db_pages, e->end};
		if (rc == 0)
			rc = append_commit(a, &w);
		free(e->pgno);
		free(e->data);
	}
	free(a->p);
	a->p = NULL;
	a->n = a->cap = 0;
	return rc;
}

static int count_only(void *arg, const wal_commit *w)
{
	*(uint32_t *)arg = w->db_pages;
	return 0;
}

/* Reads the commits of the WAL after c->pos into a: 0, 1 when the log
 * cannot continue (a WAL generation went by unseen), -1 on error. */
static int copy_new(pitr_capture *c, copy_arg *a)
{
	/* a reader held since the header was read (lazy_readers, not weak)
	 * kept the WAL from starting again: the header and pos are still there */
	bool kept = c->lazy_readers && !c->weak_reader && c->held >= 0 && c->hdr_kept;
	wal_header h = c->hdr;
	int r = kept ? 1 : wal_read_header(c->wal_fd, &h);
	if (r < 0) {
		pitr_say(c, PITR_SAY_ERROR, "log: cannot read %s-wal: %s", c->db_path, strerror(errno));
		return -1;
	}
	if (r == 0) /* no WAL yet, or its header being written: nothing committed in it */
		return 0;
	if (h.page_size != c->page_size) {
		pitr_say(c, PITR_SAY_ERROR, "log: the WAL's page size (%u) is not the base's (%u)",
		         h.page_size, c->page_size);
		return -1;
	}
	wal_pos from;
	if (c->have_pos && c->pos.salt1 == h.start.salt1 && c->pos.salt2 == h.start.salt2)
		from = c->pos;
	else if (!c->have_pos || c->held >= 0 || h.start.salt1 == c->pos.salt1 + 1)
		/* another generation, read from its start. With a reader held
		 * since pos (its snapshot at or before pos), SQLite started it
		 * only once every frame of the last one was checkpointed, and a
		 * checkpoint never passes that snapshot: the last one ended at
		 * pos, all in the log, and any generation between was empty
		 * (a TRUNCATE of an empty WAL). Its salts say nothing: the
		 * connection that writes a generation's first frame draws both
		 * anew unless it restarted a WAL itself (another connection's
		 * TRUNCATE), so salt1 + 1 is only the restarter's own. */
		from = h.start;
	else
		return 1;
	if (!kept && !wal_has(c->wal_fd, &h, &from))
		return 1;
	c->hdr = h;
	c->hdr_kept = c->lazy_readers;
	c->pos = from;
	c->have_pos = true;
	wal_pos end;
	/* the WAL hook's count is of the generation the kept reader holds */
	uint32_t upto = kept ? c->wal_frames : 0;
	a->direct = upto > 0;
	a->own_end = c->wal_frames;
	if (a->direct) {
		a->now = pitr_now_ms();
		/* looked at once the time is taken: a commit made before it
		 * after the connection's own is in the WAL by then */
		a->after_own = wal_frame_after(c->wal_fd, &h, upto);
	}
	r = wal_scan_kept(c->wal_fd, &h, &from, upto,
	                  pitr_commit_max_pages(c->record_bytes, c->page_size), &c->scan_bufs,
	                  on_commit, a, &end);
	a->scan_end = end.frame;
	/* 3: a commit larger than a record: a new base holds it */
	return r == 0 || r == 2 ? 0 : r == 3 ? 1 : -1;
}

/* A heartbeat at the capture's place (c->seq, c->pos, c->db_pages),
 * stamped when: every commit made before then is in the log. Appended to
 * the open segment (not synced). */
int pitr_capture_heartbeat(pitr_capture *c, int64_t when)
{
	pitr_rec h = {.type = PITR_REC_HEARTBEAT,
	              .time_ms = when,
	              .epoch = c->epoch,
	              .seq = c->seq,
	              .db_pages = c->db_pages,
	              .pos = c->pos};
	return pitr_seg_append(c, &h, NULL);
}

/* Before the commits of a poll that fell behind: a heartbeat at the
 * moment the last whole poll began (just before: its time is rounded up),
 * when no record says that yet. That poll read the WAL to its end and may
 * have left no record (it found nothing new): the log covers the time up
 * to it, and from it to the next whole poll none. */
static int whole_until(pitr_capture *c)
{
	if (c->read_ms - 1 <= c->last_write_ms)
		return 0;
	return pitr_capture_heartbeat(c, c->read_ms - 1);
}

/* The time a poll that found nothing new vouches for: every commit made
 * before it is in the log. Its own time when it held the write lock;
 * else just before it began (pitr_now_ms rounds up): a commit made after
 * that may have come after its read; never before the newest record. */
static int64_t unchanged_until(const pitr_capture *c, const copy_arg *a, int64_t began)
{
	int64_t t = a->fenced ? a->now : began - 1;
	int64_t newest = c->last_write_ms > c->recovered_ms ? c->last_write_ms : c->recovered_ms;
	return t > newest ? t : newest;
}

/* Returns once the clock has passed t, a time rounded up (pitr_now_ms),
 * or after about 2 ms (a clock set back): a poll holding the write lock
 * lets it go only then, so a commit made after is made after t. */
static void wait_past(int64_t t)
{
	for (int i = 0; i < 20; i++) {
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		if ((int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000 >= t)
			return;
		nanosleep(&(struct timespec){0, 100000}, NULL);
	}
}

/* The next reader taken, the WAL copied to its end and synced, then the
 * previous reader released (kept instead when the poll copied only part:
 * the next reader's snapshot may be past the last frame copied). 0, or -1
 * (1: a new base is needed) with the previous reader still held. */
static int advance(pitr_capture *c, copy_arg *a)
{
	int next = c->held < 0 ? 0 : 1 - c->held;
	int64_t began = pitr_now_ms();
	a->behind = c->stall_ms > 0 && c->read_ms > 0 && began - c->read_ms > c->stall_ms;
	c->hdr_kept = false; /* read again under the next reader */
	if (begin_read(c, c->rd[next]) != 0)
		return -1;
	int rc = copy_new(c, a);
	if (c->scan_pause_ms > 0)
		nanosleep(&(struct timespec){c->scan_pause_ms / 1000, c->scan_pause_ms % 1000 * 1000000L},
		          NULL);
	a->now = pitr_now_ms();
	look_after_own(a);
	if (a->fenced)
		wait_past(a->now);
	if (a->release)
		end_read(c->wr);
	/* what was read before a failure is whole, but not all there was */
	a->behind = a->behind || a->partial || rc != 0;
	if (seen_late(a) && a->n > 0 && whole_until(c) != 0)
		rc = -1;
	int wrote = write_pending(a);
	if (rc == 0)
		rc = wrote;
	if (rc == 0 && !a->commits && (c->saw_commits || a->now - c->last_write_ms >= HEARTBEAT_MS)) {
		rc = pitr_capture_heartbeat(c, unchanged_until(c, a, began));
	}
	if (rc == 0)
		rc = pitr_seg_sync(c); /* before the previous reader goes */
	/* a partial poll left commits made before its time in the WAL: the
	 * capture has not seen the database at that time, and its progress
	 * (the moment the log reaches) stays until a poll reads all */
	if (rc != 0 || a->partial) {
		end_read(c->rd[next]);
		return rc;
	}
	if (c->held >= 0)
		end_read(c->rd[c->held]);
	c->held = next;
	c->read_ms = began;
	c->saw_commits = a->commits > 0;
	if (a->fenced || (!a->behind && a->commits == 0))
		c->vouched_ms = a->fenced ? a->now : began;
	/* its time is no moment the log covers when it fell behind or read
	 * commits seen late (the next poll that finds nothing new vouches) */
	if (!a->behind && (a->commits == 0 || !seen_late(a)))
		pitr_progress(c, c->last_write_ms);
	return 0;
}

/* The write lock taken on c->wr if no writer holds it within wait_ms
 * (the caller, a poll, tries again at the next one). */
static bool write_lock_within(pitr_capture *c, int wait_ms)
{
	sqlite3_busy_timeout(c->wr, wait_ms);
	int began = sqlite3_exec(c->wr, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	sqlite3_busy_timeout(c->wr, 10000);
	return began == SQLITE_OK;
}

/* The write lock if no writer holds it now: never waits. */
static bool write_lock_now(pitr_capture *c)
{
	return write_lock_within(c, 0);
}

/* A busy database (commits at every poll, none finds the WAL unchanged)
 * gets a moment the log vouches for at least every vouch_ms: the WAL read
 * again to its end under the write lock, taken only if no writer holds it
 * now (busy: the next poll tries again) and released as soon as the poll's
 * time is taken (writers wait for that read only, a few commits long). */
static int vouch_busy(pitr_capture *c)
{
	if (c->vouch_ms <= 0 || pitr_now_ms() - c->vouched_ms <= c->vouch_ms || !write_lock_now(c))
		return 0;
	copy_arg a = {.c = c, .fenced = true, .release = true};
	int rc = advance(c, &a);
	end_read(c->wr); /* when advance failed before its read */
	return rc;
}

/* Under the write lock (the caller's): every frame of the WAL copied into
 * the log, then the readers let go, the WAL checkpointed when
 * checkpoint_too, and one reader taken again. No writer runs meanwhile, so
 * that reader sits at the last frame copied and every later frame is
 * written after it began (protected, pitr_capture.h); it may sit on a
 * fully checkpointed WAL, so the next poll moves it on (weak_reader). A
 * backlog of more than a poll's share is copied in turns; a checkpoint
 * leaves it to the next polls instead (writers wait for one share at
 * most), and neither checkpoints nor moves the reader. 0, 1 (a new base is
 * needed) or -1. */
static int copy_fenced(pitr_capture *c, bool checkpoint_too)
{
	copy_arg a;
	int rc;
	do {
		a = (copy_arg){.c = c, .fenced = true};
		rc = advance(c, &a);
	} while (rc == 0 && a.partial && !checkpoint_too);
	if (rc != 0 || a.partial)
		return rc;
	end_read(c->rd[c->held]);
	c->held = -1;
	if (checkpoint_too)
		sqlite3_wal_checkpoint_v2(c->rd[0], "main", SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	rc = begin_read(c, c->rd[0]);
	c->held = rc == 0 ? 0 : -1;
	c->weak_reader = true;
	return rc;
}

/* The WAL checkpointed by the capture: under the write lock (no commit
 * can come), every frame copied, the readers released, a passive
 * checkpoint, a new reader, the lock released. Busy (for ckpt_wait_ms):
 * tried again at the next poll. */
static int checkpoint(pitr_capture *c)
{
	if (!write_lock_within(c, c->ckpt_wait_ms))
		return 0;
	int rc = copy_fenced(c, true);
	end_read(c->wr);
	return rc;
}

/* "table<TAB>rows<LF>" for every table of db's snapshot, by name; a table
 * that cannot be counted here (a virtual table of a module this process
 * lacks) or whose name would break the format is left out. */
static char *count_rows(sqlite3 *db)
{
	sqlite3_stmt *st, *cnt;
	dbc_heap_text out = {0};
	if (!dbc_heap_text_append(&out, "", 0) ||
	    sqlite3_prepare_v2(db,
	                       "SELECT name FROM main.sqlite_schema WHERE type = 'table' AND name"
	                       " NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
	                       -1, &st, NULL) != SQLITE_OK) {
		free(out.data);
		return NULL;
	}
	while (!out.oom && sqlite3_step(st) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		char *q = name && !strpbrk(name, "\t\n")
		              ? sqlite3_mprintf("SELECT count(*) FROM main.\"%w\"", name)
		              : NULL;
		if (q && sqlite3_prepare_v2(db, q, -1, &cnt, NULL) == SQLITE_OK) {
			if (sqlite3_step(cnt) == SQLITE_ROW) {
				char *line = NULL;
				int n =
				    asprintf(&line, "%s\t%lld\n", name, (long long)sqlite3_column_int64(cnt, 0));
				if (n < 0)
					out.oom = true;
				else
					dbc_heap_text_append(&out, line, (size_t)n);
				free(line);
			}
			sqlite3_finalize(cnt);
		}
		sqlite3_free(q);
	}
	sqlite3_finalize(st);
	if (out.oom) {
		free(out.data);
		return NULL;
	}
	return out.data;
}

/* The row counts at the segment's end, at the log's exact place: under
 * the write lock a new reader is taken (its snapshot: the last commit
 * copied), the lock released, and the tables counted in that snapshot
 * while writers go on. Busy: no counts this time. */
static int record_rows(pitr_capture *c)
{
	if (!write_lock_now(c))
		return 0;
	copy_arg a = {.c = c, .fenced = true};
	int rc = advance(c, &a);
	end_read(c->wr);
	/* the reader held is at the log's place only when the copy was whole */
	char *rows = rc == 0 && !a.partial ? count_rows(c->rd[c->held]) : NULL;
	if (rows) {
		pitr_rec r = {.type = PITR_REC_ROWS,
		              .time_ms = a.now,
		              .epoch = c->epoch,
		              .seq = c->seq,
		              .db_pages = c->db_pages,
		              .pos = c->pos,
		              .rows = rows};
		rc = pitr_seg_append(c, &r, NULL);
		free(rows);
	}
	return rc;
}

static int rotate_if_due(pitr_capture *c)
{
	if (c->seg_fd < 0)
		return 0;
	if (c->seg_len < c->seg_bytes && pitr_now_ms() - c->seg_first_ms < c->seg_interval_ms)
		return 0;
	/* the module's capture counts no rows: counting every table would
	 * hold up the application's commit that closes the segment */
	int rc = c->lazy_readers ? 0 : record_rows(c);
	pitr_seg_close(c);
	return rc;
}

/* The base: a full copy of rd[held]'s snapshot into DIR/name, synced;
 * its SHA-256 in sha. */
static int write_base(pitr_capture *c, const char *name, char sha[65])
{
	char *tmp = NULL, *path = NULL;
	sqlite3 *dst = NULL;
	if (asprintf(&tmp, "%s/%s.tmp", c->dir, name) < 0 || asprintf(&path, "%s/%s", c->dir, name) < 0)
		return -1;
	/* a new file, never a symlink's target (one planted in DIR is removed,
	 * not followed), the owner's alone like every file of the log (SQLite
	 * would make it 0644: the database's rows readable by all) */
	unlink(tmp);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || close(fd) != 0) {
		pitr_say(c, PITR_SAY_ERROR, "log: cannot create the base %s: %s", tmp, strerror(errno));
		free(tmp);
		free(path);
		return -1;
	}
	int rc = sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | OPEN_NOFOLLOW,
	                         NULL);
	sqlite3_backup *b =
	    rc == SQLITE_OK ? sqlite3_backup_init(dst, "main", c->rd[c->held], "main") : NULL;
	if (b) {
		rc = sqlite3_backup_step(b, -1);
		rc = sqlite3_backup_finish(b) == SQLITE_OK && rc == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
	} else {
		rc = SQLITE_ERROR;
	}
	if (rc != SQLITE_OK)
		pitr_say(c, PITR_SAY_ERROR, "log: cannot write the base %s: %s", tmp,
		         dst ? sqlite3_errmsg(dst) : "out of memory");
	sqlite3_close_v2(dst);
	int out = rc == SQLITE_OK ? 0 : -1;
	if (out == 0 && c->seal)
		/* sealed under its name (read back first); the plain copy goes */
		out = c->seal(c->seal_arg, tmp, path, sha) == 0 &&
		              dbc_sync_path(c->dir, O_RDONLY | O_DIRECTORY) == 0
		          ? 0
		          : -1;
	else if (out == 0 &&
	         (dbc_sync_path(tmp, O_RDONLY) != 0 ||
	          dbc_path_sha256_errno(c->host, tmp, O_NOFOLLOW, NULL, NULL, sha) != 0 ||
	          rename(tmp, path) != 0 || dbc_sync_path(c->dir, O_RDONLY | O_DIRECTORY) != 0)) {
		pitr_say(c, PITR_SAY_ERROR, "log: cannot publish the base %s: %s", path, strerror(errno));
		out = -1;
	}
	unlink(tmp); /* renamed already, or sealed, or failed */
	free(tmp);
	free(path);
	return out;
}

/* The exact place a base is taken at: under the write lock, a new reader
 * (its snapshot: every commit so far) and the WAL's last commit. */
/* The write lock a base is taken under. The command (a process of its
 * own) waits as long as writers hold it, each wait the busy timeout long,
 * saying so; the module, inside an application's call (its load, or the
 * WAL hook of a commit that has happened), tries once and waits at most
 * MODULE_BASE_WAIT_MS: a writer holding the lock longer would hold the
 * application's call up with it (the capture starts at a later commit). */
#define MODULE_BASE_WAIT_MS 250

static int base_lock(pitr_capture *c)
{
	for (;;) {
		if (c->lazy_readers)
			sqlite3_busy_timeout(c->wr, MODULE_BASE_WAIT_MS);
		int rc = sqlite3_exec(c->wr, "BEGIN IMMEDIATE", NULL, NULL, NULL);
		sqlite3_busy_timeout(c->wr, 10000);
		if (rc == SQLITE_OK)
			return 0;
		if ((rc & 0xff) != SQLITE_BUSY || c->lazy_readers)
			break;
		pitr_say(c, PITR_SAY_NOTE,
		         "log: writers hold the write lock: still waiting to take a base");
	}
	pitr_say(c, PITR_SAY_ERROR, "log: BEGIN IMMEDIATE: %s", sqlite3_errmsg(c->wr));
	return -1;
}

static int base_place(pitr_capture *c, int64_t *when)
{
	if (base_lock(c) != 0)
		return -1;
	if (c->held >= 0)
		end_read(c->rd[c->held]);
	c->held = -1;
	int rc = begin_read(c, c->rd[0]);
	c->held = rc == 0 ? 0 : -1;
	c->weak_reader = true;
	/* after the newest record: base names sort as the log's order */
	*when = pitr_seg_stamp(c, true);
	wal_header h;
	int hr = rc == 0 ? wal_read_header(c->wal_fd, &h) : -1;
	c->have_pos = hr > 0;
	memset(&c->pos, 0, sizeof c->pos);
	uint32_t pages = 0;
	if (hr > 0)
		rc = wal_scan(c->wal_fd, &h, &h.start, 0, 1, count_only, &pages, &c->pos);
	else if (hr < 0)
		rc = -1;
	c->page_size = (uint32_t)pitr_pragma_int(c->rd[0], "PRAGMA main.page_size");
	c->db_pages = (uint32_t)pitr_pragma_int(c->rd[0], "PRAGMA main.page_count");
	end_read(c->wr);
	return rc;
}

static int take_base(pitr_capture *c)
{
	int64_t when;
	char name[64], sha[65];
	if (c->base_stop) /* this base holds whatever one being copied would */
		c->base_stop(c);
	pitr_seg_close(c);
	if (base_place(c, &when) != 0)
		return -1;
	pitr_base_file_name(when, name);
	if (write_base(c, name, sha) != 0)
		return -1;
	c->read_ms = 0; /* the time the base was copied in is no poll's */
	if (pitr_capture_base_record(c, when, name, sha, c->page_size) != 0 || pitr_seg_sync(c) != 0)
		return -1;
	/* no progress written at the base's time: commits made while it was
	 * copied are read only by the next poll, which restores from its time
	 * on (pitr_log.h) */
	c->saw_commits = true;
	c->base_taken_ms = when;
	c->base_log_bytes = 0;
	pitr_say(c, PITR_SAY_NOTE, "log: base %s (epoch %u)", name, c->epoch);
	return 0;
}

/* A new epoch begins with the base named name (its SHA-256 sha, of pages
 * of page_size) at the capture's place (c->seq, c->pos, c->db_pages), taken
 * at when: its record appended to the open segment (not synced). */
int pitr_capture_base_record(pitr_capture *c, int64_t when, const char *name, const char *sha,
                             uint32_t page_size)
{
	c->epoch++;
	snprintf(c->base_name, sizeof c->base_name, "%s", name);
	pitr_rec r = {.type = PITR_REC_BASE,
	              .time_ms = when,
	              .epoch = c->epoch,
	              .seq = c->seq,
	              .db_pages = c->db_pages,
	              .pos = c->pos,
	              .page_size = page_size,
	              .base_name = c->base_name};
	memcpy(r.base_sha, sha, 65);
	return pitr_seg_append(c, &r, NULL);
}

/* The log synced when sync_ms has gone by since the last sync (0: now). */
static int sync_due(pitr_capture *c)
{
	if (!c->seg_dirty || (c->sync_ms > 0 && pitr_now_ms() - c->synced_ms < c->sync_ms))
		return 0;
	return pitr_seg_sync(c);
}

/* lazy_readers: the new commits copied while the reader held stays, at or
 * before the last frame copied (the invariant holds); a transaction
 * larger than a poll's share is copied in turns. 0, 1 (a new base is
 * needed) or -1. */
static int copy_kept(pitr_capture *c)
{
	copy_arg a = {.partial = true};
	int rc = 0;
	while (rc == 0 && a.partial) {
		a = (copy_arg){.c = c};
		rc = copy_new(c, &a);
		if (!a.direct) {
			a.now = pitr_now_ms();
			look_after_own(&a);
		}
		a.behind = rc != 0;
		int wrote = write_pending(&a);
		if (rc == 0)
			rc = wrote;
	}
	if (rc == 0)
		rc = sync_due(c);
	/* log.progress only once the records it names are synced: after a
	 * crash of the machine it is never ahead of the log on disk (readers
	 * take a log that ends before it for one missing its end) */
	if (rc == 0 && !c->seg_dirty)
		pitr_progress(c, c->last_write_ms);
	return rc;
}

int pitr_capture_poll(pitr_capture *c)
{
	copy_arg a = {.c = c};
	int rc;
	if (c->lazy_readers && c->held >= 0 && !c->weak_reader) {
		rc = copy_kept(c);
	} else {
		rc = advance(c, &a);
		/* taken after commits it did not hold: at or after a frame no
		 * checkpoint could pass (the module's reader, pitr_capture.h) */
		if (rc == 0 && a.commits > 0)
			c->weak_reader = false;
		/* a partial poll left more in the WAL: not read under the lock */
		if (rc == 0 && a.commits > 0 && seen_late(&a) && !a.partial)
			rc = vouch_busy(c);
	}
	if (rc == 1 && c->too_big) {
		pitr_say(c, PITR_SAY_NOTE,
		         "log: a commit of %u pages is larger than one log record holds (2 GB): a new "
		         "base holds it instead",
		         c->too_big);
		c->too_big = 0;
		return take_base(c);
	}
	if (rc == 1) {
		pitr_say(c, PITR_SAY_NOTE, "log: a WAL generation went by unseen: a new base");
		return take_base(c);
	}
	if (rc == 0)
		rc = rotate_if_due(c);
	if (rc == 0 && c->base_poll)
		rc = c->base_poll(c);
	if (rc == 1) {
		pitr_say(c, PITR_SAY_NOTE, "log: a WAL generation went by unseen: a new base");
		return take_base(c);
	}
	if (rc != 0)
		return rc;
	/* once per place: an idle WAL is not checkpointed again and again;
	 * none while a periodic base is copied (its reader holds the frames
	 * after its place: a checkpoint would take the write lock for little) */
	if (!c->next && c->pos.frame >= c->ckpt_frames &&
	    (c->pos.frame != c->ckpt_pos.frame || c->pos.salt1 != c->ckpt_pos.salt1)) {
		c->ckpt_pos = c->pos;
		return checkpoint(c);
	}
	return 0;
}

static int open_all(pitr_capture *c)
{
	for (int i = 0; i < 2; i++)
		if (open_conn(c, &c->rd[i]) != 0)
			return -1;
	if (open_conn(c, &c->wr) != 0)
		return -1;
	sqlite3_stmt *st;
	bool wal = false;
	if (sqlite3_prepare_v2(c->wr, "PRAGMA main.journal_mode", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		wal = strcmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
	sqlite3_finalize(st);
	if (!wal) {
		pitr_say(c, PITR_SAY_ERROR,
		         "log: %s is not in WAL mode (PRAGMA journal_mode = wal): only a WAL can be "
		         "captured",
		         c->db_path);
		return -1;
	}
	/* the -wal exists while a connection has the database open */
	if (begin_read(c, c->rd[0]) != 0)
		return -1;
	c->held = 0;
	c->weak_reader = true;
	char *wal_file = NULL;
	if (asprintf(&wal_file, "%s-wal", c->db_path) < 0)
		return -1;
	c->wal_fd = open(wal_file, O_RDONLY | O_CLOEXEC);
	if (c->wal_fd < 0)
		pitr_say(c, PITR_SAY_ERROR, "log: cannot open %s: %s", wal_file, strerror(errno));
	free(wal_file);
	return c->wal_fd < 0 ? -1 : 0;
}

/* One capture per log directory: an exclusive lock on DIR/log.lock, held
 * until the capture stops or its process ends (a kill releases it); then
 * the base a killed capture was writing is removed. 1: another capture
 * holds it. */
static int lock_dir(pitr_capture *c)
{
	char *lock = NULL;
	if (asprintf(&lock, "%s/log.lock", c->dir) < 0)
		return -1;
	int fd = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	free(lock);
	if (fd < 0) {
		pitr_say(c, PITR_SAY_ERROR, "log: cannot open %s/log.lock: %s", c->dir, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		close(fd);
		return 1;
	}
	c->lock_fd = fd;
	DIR *d = opendir(c->dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (strncmp(e->d_name, "base-", 5) == 0 && n > 7 &&
		    strcmp(e->d_name + n - 7, ".db.tmp") == 0)
			unlinkat(dirfd(d), e->d_name, 0);
	}
	if (d)
		closedir(d);
	return 0;
}

/* A base published by a capture killed before it appended the base's
 * record is named by no record: the log never used it. Base names are
 * their times, so such a base sorts after the last recorded one (or is the
 * only kind there is, in a log with no record); it goes, and a base the
 * log names is never touched. */
static void drop_unrecorded_bases(pitr_capture *c)
{
	DIR *d = opendir(c->dir);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (strncmp(e->d_name, "base-", 5) == 0 && n > 8 && strcmp(e->d_name + n - 3, ".db") == 0 &&
		    strcmp(e->d_name, c->base_name) > 0 && unlinkat(dirfd(d), e->d_name, 0) == 0)
			pitr_say(c, PITR_SAY_NOTE,
			         "log: removed %s, a base no record names (its capture was killed)", e->d_name);
	}
	if (d)
		closedir(d);
}

/* The epoch continued from c->pos, when the WAL still holds it: 0, 1 (it
 * does not: a new base) or -1. All under the write lock: the reader
 * open_all took may sit on a WAL that connections without a capture
 * checkpointed whole while none ran, where it protects no frame, and a
 * writer could then start the WAL again over the commits after pos before
 * a poll read them, or after one did, leaving the reader's WAL header
 * stale (later polls would find nothing, and say nothing). Under the lock
 * no writer can: the WAL is checked, the commits made while no capture ran
 * are copied (the records after the resume record, pitr_log.h) and the
 * reader is taken again at the last of them (copy_fenced). Writers wait
 * for that copy. */
static int resume_epoch(pitr_capture *c)
{
	if (base_lock(c) != 0)
		return -1;
	wal_header h;
	if (wal_read_header(c->wal_fd, &h) <= 0 || h.page_size != c->page_size ||
	    !wal_has(c->wal_fd, &h, &c->pos)) {
		end_read(c->wr);
		return 1;
	}
	pitr_say(c, PITR_SAY_NOTE, "log: continuing epoch %u after commit %llu", c->epoch,
	         (unsigned long long)c->seq);
	/* the stretch while no capture ran: its commits come next, stamped
	 * when this capture sees them */
	pitr_rec s = {.type = PITR_REC_RESUME,
	              .time_ms = c->recovered_ms,
	              .epoch = c->epoch,
	              .seq = c->seq,
	              .db_pages = c->db_pages,
	              .pos = c->pos};
	int rc = pitr_seg_append(c, &s, NULL) != 0 || pitr_seg_sync(c) != 0 ? -1 : 0;
	c->saw_commits = c->started = rc == 0;
	if (rc == 0)
		rc = copy_fenced(c, false);
	end_read(c->wr);
	return rc;
}

int pitr_capture_start(pitr_capture *c)
{
	c->held = -1;
	c->wal_fd = c->seg_fd = c->progress_fd = c->lock_fd = -1;
	char why[1024];
	if (pitr_dir_trusted(c->dir, why, sizeof why) != 0) {
		pitr_say(c, PITR_SAY_ERROR, "log: %s", why);
		return -1;
	}
	int locked = lock_dir(c);
	if (locked != 0)
		return locked;
	if (pitr_identity_check(c) != 0)
		return -1;
	if (pitr_seg_recover(c) != 0)
		return -1;
	drop_unrecorded_bases(c);
	if (open_all(c) != 0)
		return -1;
	char *progress = NULL;
	if (asprintf(&progress, "%s/log.progress", c->dir) >= 0)
		c->progress_fd = open(progress, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	free(progress);
	bool zero = c->pos.salt1 == 0 && c->pos.salt2 == 0 && c->pos.frame == 0;
	if (c->have_pos && !zero) {
		int resumed = resume_epoch(c);
		if (resumed <= 0)
			return resumed;
	}
	c->started = take_base(c) == 0;
	return c->started ? 0 : -1;
}

/* A stop's reads without the write lock (a writer holds it): at most
 * this many, while each finds commits. */
#define STOP_READS 3

/* The last copy at a stop: every commit of the WAL into the log, and the
 * log covering a moment after the last of them (with no writer about, a
 * stop leaves no commit outside its stretches: restore --to-time latest
 * has them all). One read without the write lock marks its commits seen
 * late, and a stop that came while a poll slept between its read and its
 * time (a capture descheduled there) would find the commits made
 * meanwhile and end the log on them: the stretch would end at the poll
 * before. So the WAL is read under the write lock when no writer holds it
 * now (pitr_capture_fence: writers wait for that copy only); else again
 * without it while a read finds commits (the next that finds none
 * vouches for them), STOP_READS reads at most. */
static void copy_at_stop(pitr_capture *c)
{
	int fenced = pitr_capture_fence(c);
	if (fenced == 0)
		pitr_capture_unfence(c);
	if (fenced != 1)
		return;
	copy_arg a = {.commits = 1};
	for (int i = 0; i < STOP_READS && (a.commits > 0 || a.partial); i++) {
		a = (copy_arg){.c = c};
		if (advance(c, &a) != 0)
			return;
	}
}

void pitr_capture_stop(pitr_capture *c)
{
	c->saw_commits = true; /* a last heartbeat: how far the log reaches */
	c->progress_ms = 0;
	if (c->base_stop)
		c->base_stop(c);
	if (c->started && c->held >= 0)
		copy_at_stop(c);
	pitr_seg_close(c);
	for (int i = 0; i < 2; i++)
		sqlite3_close_v2(c->rd[i]);
	sqlite3_close_v2(c->wr);
	if (c->wal_fd >= 0)
		close(c->wal_fd);
	if (c->progress_fd >= 0)
		close(c->progress_fd);
	if (c->lock_fd >= 0)
		close(c->lock_fd);
	wal_bufs_free(&c->scan_bufs);
	free(c->rec_buf.p);
	c->rec_buf = (pitr_buf){0};
}

void pitr_base_file_name(int64_t when, char name[64])
{
	char stamp[32];
	pitr_time_text(when, stamp);
	snprintf(name, 64, "base-%.10sT%.2s%.2s%.2s%.3sZ.db", stamp, stamp + 11, stamp + 14, stamp + 17,
	         stamp + 20);
}

int pitr_capture_open_conn(pitr_capture *c, sqlite3 **db)
{
	return open_conn(c, db);
}

int pitr_capture_begin_read(pitr_capture *c, sqlite3 *db)
{
	return begin_read(c, db);
}

int pitr_capture_fence(pitr_capture *c)
{
	if (!write_lock_now(c))
		return 1;
	copy_arg a = {.partial = true};
	int rc = 0;
	/* the log's last record at the lock's time: a heartbeat when the WAL
	 * holds nothing new (the stretch reaches the fence) */
	c->saw_commits = true;
	while (rc == 0 && a.partial) {
		a = (copy_arg){.c = c, .fenced = true};
		rc = advance(c, &a);
	}
	if (rc != 0)
		end_read(c->wr);
	return rc == 0 ? 0 : -1;
}

void pitr_capture_unfence(pitr_capture *c)
{
	end_read(c->wr);
}

int pitr_capture_reemit(pitr_capture *c, int64_t now)
{
	copy_arg a = {.partial = true};
	int rc = 0;
	while (rc == 0 && a.partial) {
		a = (copy_arg){.c = c, .fenced = true, .now = now};
		c->hdr_kept = false; /* the header read again: pos moved back */
		rc = copy_new(c, &a);
		/* under the write lock every commit was made before now: none is
		 * seen late, however many turns the copy takes */
		bool more = a.partial;
		a.partial = false;
		int wrote = write_pending(&a);
		if (rc == 0)
			rc = wrote;
		a.partial = more;
	}
	return rc;
}
