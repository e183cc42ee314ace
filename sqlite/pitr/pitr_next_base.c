/*
 * pitr_next_base.c — the periodic base of a running capture (the command's
 * and the module's alike: pitr_capture_poll calls it), so that retention
 * (`dbcare log prune`) has older bases to let go of and a restore replays
 * the log from a recent base only.
 *
 * Without a gap: the base is the snapshot of a read transaction of its own
 * connection, begun under the write lock right after every commit of the
 * WAL was copied into the log (its place: the epoch's commit seq, the WAL
 * position pos). The copy goes on a step at a time at each poll (at most
 * base_step_ms a poll; writers never wait for it: a read transaction only)
 * while the log goes on as before in the same epoch, so a restore to any
 * moment until the new base is published starts from the old base. Whole,
 * the copy is read back (quick_check, its page count) and its SHA-256
 * taken (sealed, if the log is), still under a temporary name
 * (base-*.db.tmp: a killed capture's is removed by the next one). Then,
 * under the write lock again: every commit copied into the old epoch (its
 * last record at that moment), the base renamed to its name (its time:
 * after every record), the new epoch begun with its 'B' record at the
 * base's place, and the commits made since that place (still in the WAL:
 * the base's reader keeps them from any checkpoint) written again into
 * the new epoch, stamped with the base's time. So the old epoch covers up
 * to the lock, the new one from the base's time on. A base published but
 * killed before its record is removed at the next start (no record names
 * it: pitr_capture.c).
 *
 * Built two ways (Makefile, PITR_SHARED): into the SQLite module, and with
 * DBC_PITR_LINKED into the command, which links libsqlite3 instead of the
 * extension routines (pitr_sqlite.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* asprintf */
#endif
#include "pitr_capture.h"
#include "pitr_sqlite.h"

#include "base/file_sync.h"
#include "base/sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BASE_STEP_MS     20
#define BASE_BYTES_MIN   ((int64_t)64 << 20)
#define BASE_INTERVAL_MS ((int64_t)24 * 3600 * 1000)
#define BASE_RETRY_MS    60000 /* after a copy that failed */
#define BASE_PROGRESS_MS 10000 /* a note on a long copy this often */
#define BASE_STEP_PAGES  256

typedef struct pitr_next_base {
	sqlite3 *src, *dst;   /* the base's snapshot; the copy */
	sqlite3_backup *copy; /* NULL once whole */
	char *tmp, *ready;    /* the copy; what is published (the sealed copy, or tmp) */
	char sha[65];
	bool have_pos;
	wal_pos pos;
	uint64_t seq;
	uint32_t db_pages, page_size;
	int64_t said_ms;
} pitr_next_base;

static void drop(pitr_capture *c)
{
	pitr_next_base *n = c->next;
	if (!n)
		return;
	if (n->copy)
		sqlite3_backup_finish(n->copy);
	sqlite3_close_v2(n->dst);
	sqlite3_close_v2(n->src); /* its read transaction ends: the WAL may be checkpointed */
	if (n->tmp)
		unlink(n->tmp);
	if (n->ready && n->ready != n->tmp)
		unlink(n->ready);
	if (n->ready != n->tmp)
		free(n->ready);
	free(n->tmp);
	free(n);
	c->next = NULL;
}

static int fail(pitr_capture *c, const char *what, const char *why)
{
	pitr_say(c, PITR_SAY_ERROR, "log: the periodic base was not taken: %s: %s (tried again later)",
	         what, why);
	c->base_retry_ms = pitr_now_ms() + BASE_RETRY_MS; /* not at every poll */
	drop(c);
	return 0; /* the log goes on from the last base */
}

static bool due(const pitr_capture *c)
{
	int64_t now = pitr_now_ms(), taken = c->base_taken_ms;
	if (now < c->base_retry_ms || !c->started)
		return false;
	if (!taken && strncmp(c->base_name, "base-", 5) == 0) {
		/* the base of a resumed epoch: its time from its name */
		char t[32];
		snprintf(t, sizeof t, "%.10s %.2s:%.2s:%.2s.%.3s", c->base_name + 5, c->base_name + 16,
		         c->base_name + 18, c->base_name + 20, c->base_name + 22);
		if (pitr_time_parse(t, &taken) != 0)
			taken = 0;
	}
	int64_t interval = c->base_interval_ms ? c->base_interval_ms : BASE_INTERVAL_MS;
	if (interval > 0 && taken > 0 && now - taken >= interval)
		return true;
	int64_t size = (int64_t)c->db_pages * c->page_size;
	int64_t bytes = c->base_bytes ? c->base_bytes : size > BASE_BYTES_MIN ? size : BASE_BYTES_MIN;
	return bytes > 0 && c->base_log_bytes > bytes;
}

/* The copy's file: new, the owner's alone, never a symlink's target. */
static int create_copy(pitr_capture *c, pitr_next_base *n)
{
	if (asprintf(&n->tmp, "%s/base-next.db.tmp", c->dir) < 0) {
		n->tmp = NULL;
		return -1;
	}
	unlink(n->tmp);
	int fd = open(n->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || close(fd) != 0)
		return -1;
	if (sqlite3_open_v2(n->tmp, &n->dst, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		return -1;
	/* read back and synced whole at the end: no journal needed meanwhile */
	sqlite3_exec(n->dst, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF", NULL, NULL, NULL);
	n->copy = sqlite3_backup_init(n->dst, "main", n->src, "main");
	return n->copy ? 0 : -1;
}

/* The base's place: under the write lock, every commit in the log, then
 * the base's reader (its snapshot: exactly the log's last commit). */
static int begin_base(pitr_capture *c)
{
	pitr_next_base *n = calloc(1, sizeof *n);
	if (!n)
		return -1;
	c->next = n;
	if (pitr_capture_open_conn(c, &n->src) != 0)
		return fail(c, "its connection", "cannot open");
	int fenced = pitr_capture_fence(c);
	if (fenced != 0) { /* busy: the next poll tries again */
		drop(c);
		return fenced < 0 ? -1 : 0;
	}
	int rc = pitr_capture_begin_read(c, n->src);
	n->have_pos = c->have_pos;
	n->pos = c->pos;
	n->seq = c->seq;
	pitr_capture_unfence(c);
	if (rc != 0)
		return fail(c, "its read transaction", sqlite3_errmsg(n->src));
	n->page_size = (uint32_t)pitr_pragma_int(n->src, "PRAGMA main.page_size");
	n->db_pages = (uint32_t)pitr_pragma_int(n->src, "PRAGMA main.page_count");
	if (create_copy(c, n) != 0)
		return fail(c, "its copy", n->dst ? sqlite3_errmsg(n->dst) : strerror(errno));
	n->said_ms = pitr_now_ms();
	pitr_say(c, PITR_SAY_NOTE, "log: a periodic base: copying %u pages after commit %llu",
	         n->db_pages, (unsigned long long)n->seq);
	return 0;
}

/* The whole copy read back (quick_check, its size) and its SHA-256 taken
 * (sealed when the log is), under its temporary name still. */
static int verify_copy(pitr_capture *c, pitr_next_base *n)
{
	int64_t pages = pitr_pragma_int(n->dst, "PRAGMA main.page_count");
	sqlite3_stmt *st;
	bool ok = false;
	if (sqlite3_prepare_v2(n->dst, "PRAGMA main.quick_check", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		ok = strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0;
	sqlite3_finalize(st);
	sqlite3_close_v2(n->dst);
	n->dst = NULL;
	if (!ok || pages != n->db_pages)
		return fail(c, n->tmp, "the copy does not read back whole");
	if (dbc_sync_path(n->tmp, O_RDONLY) != 0)
		return fail(c, n->tmp, strerror(errno));
	if (!c->seal) {
		n->ready = n->tmp;
		return dbc_path_sha256_errno(c->host, n->tmp, O_NOFOLLOW, NULL, NULL, n->sha) == 0
		           ? 0
		           : fail(c, n->tmp, "its SHA-256");
	}
	if (asprintf(&n->ready, "%s/base-next-sealed.db.tmp", c->dir) < 0) {
		n->ready = NULL;
		return -1;
	}
	unlink(n->ready);
	if (c->seal(c->seal_arg, n->tmp, n->ready, n->sha) != 0)
		return fail(c, n->ready, "cannot seal it");
	unlink(n->tmp); /* the sealed copy is what is published */
	return 0;
}

/* A step of the copy, at most base_step_ms; the copy verified once whole. */
static int copy_step(pitr_capture *c, pitr_next_base *n)
{
	int64_t began = pitr_now_ms(), budget = c->base_step_ms > 0 ? c->base_step_ms : BASE_STEP_MS;
	int rc = SQLITE_OK;
	while (rc == SQLITE_OK && pitr_now_ms() - began < budget)
		rc = sqlite3_backup_step(n->copy, BASE_STEP_PAGES);
	if (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
		if (pitr_now_ms() - n->said_ms >= BASE_PROGRESS_MS) {
			n->said_ms = pitr_now_ms();
			pitr_say(c, PITR_SAY_NOTE, "log: a periodic base: %d of %d pages copied",
			         sqlite3_backup_pagecount(n->copy) - sqlite3_backup_remaining(n->copy),
			         sqlite3_backup_pagecount(n->copy));
		}
		return 0;
	}
	int done = sqlite3_backup_finish(n->copy);
	n->copy = NULL;
	if (rc != SQLITE_DONE || done != SQLITE_OK)
		return fail(c, n->tmp, sqlite3_errmsg(n->dst));
	return verify_copy(c, n);
}

/* Under the write lock: the old epoch brought to now, the base renamed
 * to its name, its record, the commits since its place again. */
static int publish(pitr_capture *c, pitr_next_base *n)
{
	/* a base opens a segment of its own: the open one closed (sealed)
	 * before the lock, so that under it only the fence's records are */
	pitr_seg_close(c);
	int fenced = pitr_capture_fence(c);
	if (fenced != 0)
		return fenced < 0 ? -1 : 0; /* busy: the next poll */
	pitr_seg_close(c);
	/* right after the fence's record (the clock is past it): no commit
	 * can come between them, so no moment goes uncovered */
	int64_t newest = c->last_write_ms > c->recovered_ms ? c->last_write_ms : c->recovered_ms;
	int64_t when = newest + 1;
	char name[64], *path = NULL;
	pitr_base_file_name(when, name);
	int rc = asprintf(&path, "%s/%s", c->dir, name) < 0 ? -1 : 0;
	if (rc == 0 &&
	    (rename(n->ready, path) != 0 || dbc_sync_path(c->dir, O_RDONLY | O_DIRECTORY) != 0)) {
		pitr_say(c, PITR_SAY_ERROR, "log: cannot publish the base %s: %s", path, strerror(errno));
		rc = -1;
	}
	free(path);
	if (rc != 0) {
		pitr_capture_unfence(c);
		return fail(c, name, "not published");
	}
	c->seq = n->seq;
	c->pos = n->pos;
	c->have_pos = n->have_pos;
	c->db_pages = n->db_pages;
	rc = pitr_capture_base_record(c, when, name, n->sha, n->page_size);
	uint64_t seq = c->seq;
	if (rc == 0)
		rc = pitr_capture_reemit(c, when);
	if (rc == 0 && c->seq == seq) /* nothing since its place: its moment is covered */
		rc = pitr_capture_heartbeat(c, when);
	if (rc == 0)
		rc = pitr_seg_sync(c);
	pitr_capture_unfence(c);
	if (rc == 0) {
		pitr_progress(c, c->last_write_ms);
		pitr_say(c, PITR_SAY_NOTE, "log: base %s (epoch %u, after commit %llu)", name, c->epoch,
		         (unsigned long long)n->seq);
	} else {
		/* the new epoch did not begin whole: a full new base (the poll's
		 * 1) begins another, and a restore never reads this one past its
		 * base (nothing it covers) */
		rc = 1;
	}
	if (n->ready == n->tmp)
		n->ready = NULL;
	free(n->tmp);
	n->tmp = NULL;
	drop(c);
	c->base_taken_ms = when;
	c->base_log_bytes = 0;
	c->saw_commits = true;
	return rc;
}

int pitr_next_base_poll(pitr_capture *c)
{
	if (!c->next)
		return due(c) ? begin_base(c) : 0;
	if (c->next->copy)
		return copy_step(c, c->next);
	return publish(c, c->next);
}

void pitr_next_base_stop(pitr_capture *c)
{
	drop(c);
}
