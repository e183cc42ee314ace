/*
 * pitr_segment.c — the log's segments on disk (pitr_log.h): appended to
 * while open ("log-<seq>.dbclog.open"), closed by a sync, their record
 * "log-<seq>.json" (times, SHA-256, base) and a rename; a segment a killed
 * capture left open is cut after its last whole record (only a torn tail:
 * a damaged record with more after it stops the capture) and closed. Heap
 * memory (malloc): paths of the capture, which outlives any SQL call.
 *
 * Built two ways (Makefile, PITR_SHARED): into the SQLite module, and with
 * DBC_PITR_LINKED into the command, which links libsqlite3 instead of the
 * extension routines (pitr_sqlite.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* asprintf */
#endif
#include "pitr_capture.h"
#include "pitr_end.h"
#include "pitr_sqlite.h"

#include "base/file_sync.h"
#include "base/sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void pitr_say(const pitr_capture *c, int level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = sqlite3_vmprintf(fmt, ap);
	va_end(ap);
	if (msg && c->say)
		c->say(c->say_arg, level, msg);
	/* an error also goes where health and log status read it: written in
	 * place after log.progress's line (no new block: a full disk takes it) */
	char *line = msg && level == PITR_SAY_ERROR && c->progress_fd >= 0
	                 ? sqlite3_mprintf("failed %020lld %s\n", (long long)pitr_now_ms(), msg)
	                 : NULL;
	if (line) {
		size_t n = strlen(line) < 1000 ? strlen(line) : 1000;
		line[n - 1] = '\n';
		if (pwrite(c->progress_fd, line, n, PITR_PROGRESS_LINE) == (ssize_t)n &&
		    ftruncate(c->progress_fd, PITR_PROGRESS_LINE + (off_t)n) != 0)
			n = 0; /* a hint for onlookers only, as log.progress is */
	}
	sqlite3_free(line);
	sqlite3_free(msg);
}

#define PROGRESS_MS 10

static char *seg_path(const pitr_capture *c, uint64_t seq, const char *ext)
{
	char *p = NULL;
	if (asprintf(&p, "%s/log-%08llu%s", c->dir, (unsigned long long)seq, ext) < 0)
		return NULL;
	return p;
}

static int seg_open(pitr_capture *c)
{
	char *p = seg_path(c, c->seg_seq + 1, ".dbclog.open");
	if (!p)
		return -1;
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	free(p);
	if (fd < 0 || write(fd, PITR_SEG_MAGIC, 8) != 8) {
		pitr_say(c, PITR_SAY_ERROR, "cannot create a log segment in %s: %s", c->dir,
		         strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	c->seg_fd = fd;
	c->dir_dirty = true; /* its name is synced with its first records */
	c->seg_seq++;
	c->seg_len = 8;
	c->seg_first_ms = c->seg_last_ms = 0;
	return 0;
}

/* The newest record's time: written by this capture, or the log's newest
 * when it started. */
static int64_t newest_ms(const pitr_capture *c)
{
	return c->last_write_ms > c->recovered_ms ? c->last_write_ms : c->recovered_ms;
}

int64_t pitr_seg_stamp(const pitr_capture *c, bool after)
{
	int64_t now = pitr_now_ms(), newest = newest_ms(c) + (after ? 1 : 0);
	return now > newest ? now : newest;
}

int pitr_seg_append(pitr_capture *c, const pitr_rec *r, const wal_commit *commit)
{
	if (c->seg_fd < 0 && seg_open(c) != 0)
		return -1;
	/* The log's times never go back. A clock stepped back (an NTP
	 * correction) would stamp a later commit earlier, and a restore to a
	 * moment before the step would apply it. The first record the clock
	 * stamps before the newest one is stamped a millisecond after it, and
	 * the time stands still there until the clock passes it again: a
	 * restore to the newest time before the step is the state before it,
	 * and a moment between the step and the clock's return is not reached
	 * (refused) rather than guessed. */
	pitr_rec stamped = *r;
	int64_t newest = newest_ms(c);
	if (stamped.time_ms < newest) {
		stamped.time_ms = c->time_held ? newest : newest + 1;
		c->time_held = true;
	} else if (stamped.time_ms > newest)
		c->time_held = false;
	r = &stamped;
	off_t before = c->seg_len;
	if (pitr_write(c->seg_fd, &c->seg_len, r, commit, c->page_size, &c->rec_buf) != 0) {
		pitr_say(c, PITR_SAY_ERROR, "cannot write the log segment %llu: %s",
		         (unsigned long long)c->seg_seq, strerror(errno));
		/* what was written of the record goes: the segment ends whole */
		if (ftruncate(c->seg_fd, c->seg_len) != 0)
			pitr_say(c, PITR_SAY_ERROR, "cannot cut the log segment %llu back: %s",
			         (unsigned long long)c->seg_seq, strerror(errno));
		return -1;
	}
	c->seg_dirty = true;
	c->base_log_bytes += c->seg_len - before;
	if (!c->seg_first_ms)
		c->seg_first_ms = r->time_ms;
	c->seg_last_ms = r->time_ms;
	c->last_write_ms = r->time_ms;
	return 0;
}

int pitr_seg_sync(pitr_capture *c)
{
	if (c->seg_fd >= 0 && c->seg_dirty && fdatasync(c->seg_fd) != 0) {
		pitr_say(c, PITR_SAY_ERROR, "cannot sync the log segment: %s", strerror(errno));
		return -1;
	}
	/* a new segment's name too: log.progress, written after a sync, is
	 * never ahead of what a crash of the machine leaves */
	if (c->dir_dirty && dbc_sync_path(c->dir, O_RDONLY | O_DIRECTORY) != 0) {
		pitr_say(c, PITR_SAY_ERROR, "cannot sync the log directory %s: %s", c->dir,
		         strerror(errno));
		return -1;
	}
	c->dir_dirty = false;
	c->seg_dirty = false;
	c->synced_ms = pitr_now_ms();
	return 0;
}

/* Writes text as path whole or not at all: a temporary file beside it,
 * synced, renamed over it. */
static int replace_file(const char *path, const char *text)
{
	char *tmp = NULL;
	if (asprintf(&tmp, "%s.tmp", path) < 0)
		return -1;
	unlink(tmp); /* a new file, never a symlink's target */
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	size_t n = strlen(text);
	int rc = fd >= 0 && write(fd, text, n) == (ssize_t)n && fdatasync(fd) == 0 ? 0 : -1;
	if (fd >= 0)
		close(fd);
	if (rc == 0)
		rc = rename(tmp, path);
	if (rc != 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

/* log-<seq>.json: what the segment holds, written whole before the rename
 * that closes the segment. "identity" and "database" tie it to the log's
 * database (log.identity: pitr_identity.c): a reader refuses a segment
 * of another database copied into the directory (cli/backup/log/pitr_read.c). */
static int write_manifest(const pitr_capture *c, const char *file, const char *sha)
{
	char *json = seg_path(c, c->seg_seq, ".json"), first[32], last[32];
	char *db = realpath(c->db_path, NULL);
	const char *name = strrchr(file, '/');
	pitr_time_text(c->seg_first_ms, first);
	pitr_time_text(c->seg_last_ms, last);
	json_t *doc =
	    json && db
	        ? json_pack("{s:s,s:s,s:s,s:I,s:s,s:I,s:I,s:s,s:s,s:s}", "segment",
	                    name ? name + 1 : file, "first_commit", first, "last_commit", last, "bytes",
	                    (json_int_t)c->seg_len, "sha256", sha, "epoch", (json_int_t)c->epoch,
	                    "last_seq", (json_int_t)c->seq, "base", c->base_name, "identity",
	                    c->identity && c->identity[0] ? c->identity : "-", "database", db)
	        : NULL;
	char *text = doc ? json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	char *line = NULL;
	int rc = text && asprintf(&line, "%s\n", text) >= 0 ? replace_file(json, line) : -1;
	free(line);
	free(text);
	json_decref(doc);
	free(db);
	free(json);
	return rc;
}

/* The closed segment sealed from the open one (read back before it is
 * named); one a killed capture already named is kept as it is. */
static int seal_segment(const pitr_capture *c, const char *open_p, const char *closed, char sha[65])
{
	if (access(closed, F_OK) == 0)
		return dbc_path_sha256_errno(c->host, closed, O_NOFOLLOW, NULL, NULL, sha);
	return c->seal(c->seal_arg, open_p, closed, sha);
}

/* A plain segment closed: its SHA-256, its record, the rename. */
static int close_plain(const pitr_capture *c, const char *open_p, const char *closed)
{
	char sha[65];
	int rc = dbc_path_sha256_errno(c->host, open_p, O_NOFOLLOW, NULL, NULL, sha);
	if (rc == 0)
		rc = write_manifest(c, closed, sha);
	if (rc == 0 &&
	    (rename(open_p, closed) != 0 || dbc_sync_path(c->dir, O_RDONLY | O_DIRECTORY) != 0))
		rc = -1;
	return rc;
}

/* A sealed segment closed: sealed under its closed name, its record, the
 * open one removed. */
static int close_sealed(const pitr_capture *c, const char *open_p, const char *closed)
{
	char sha[65];
	int rc = seal_segment(c, open_p, closed, sha);
	if (rc == 0)
		rc = write_manifest(c, closed, sha);
	if (rc == 0 && (unlink(open_p) != 0 || dbc_sync_path(c->dir, O_RDONLY | O_DIRECTORY) != 0))
		rc = -1;
	return rc;
}

int pitr_seg_close(pitr_capture *c)
{
	if (c->seg_fd < 0)
		return 0;
	char *open_p = seg_path(c, c->seg_seq, ".dbclog.open"),
	     *closed = seg_path(c, c->seg_seq, ".dbclog");
	int rc = open_p && closed && fdatasync(c->seg_fd) == 0 ? 0 : -1;
	if (rc == 0)
		rc = c->seal ? close_sealed(c, open_p, closed) : close_plain(c, open_p, closed);
	if (rc != 0)
		pitr_say(c, PITR_SAY_ERROR, "cannot close the log segment %s: %s", open_p ? open_p : "",
		         strerror(errno));
	close(c->seg_fd);
	c->seg_fd = -1;
	free(open_p);
	free(closed);
	return rc;
}

/* A segment opened for reading: through c->open_seg (a sealed one), else
 * as it is (a sealed one then fails its magic). */
static FILE *open_segment(const pitr_capture *c, const char *path, char **scratch)
{
	*scratch = NULL;
	return c->open_seg ? c->open_seg(c->seal_arg, path, scratch) : pitr_file_fopen(path);
}

static void release_segment(const pitr_capture *c, char *scratch)
{
	if (c->release_seg)
		c->release_seg(c->seal_arg, scratch);
}

/* Whether the segment at path (open or closed) has its log-<seq>.json. */
static bool has_manifest(const pitr_capture *c, const char *path)
{
	char *json = seg_path(c, pitr_segment_seq(path), ".json");
	bool there = !json || access(json, F_OK) == 0 || errno != ENOENT;
	free(json);
	return there;
}

/* Reads the records of one segment into c's state; an open segment is cut
 * after its last whole record (a closed one must be whole). */
static int recover_one(pitr_capture *c, const char *path)
{
	char *scratch;
	if (pitr_segment_superseded(path) && has_manifest(c, path))
		return unlink(path) == 0 ? 1 : -1; /* killed after closing it: the closed one is whole */
	/* killed after sealing it, before its record: read and closed again
	 * (the sealed one kept, its record written: readers require it) */
	FILE *f = open_segment(c, path, &scratch);
	char magic[8];
	bool got_magic = f && fread(magic, 1, 8, f) == 8;
	if (!got_magic || !pitr_segment_magic(magic)) {
		if (f)
			fclose(f);
		release_segment(c, scratch);
		if (got_magic && pitr_segment_newer(magic)) {
			pitr_say(c, PITR_SAY_ERROR,
			         "%s was written by a newer dbcare (format %.8s): capture with that one", path,
			         magic);
			return -1;
		}
		if (pitr_segment_open(path) && unlink(path) == 0)
			return 1; /* killed before its magic: nothing in it */
		pitr_say(c, PITR_SAY_ERROR, "%s is not a dbcare log segment%s", path,
		         c->open_seg ? "" : " this capture can read (a sealed one: dbcare log reads it)");
		return -1;
	}
	pitr_rec r;
	off_t off = 8;
	int got;
	while ((got = pitr_read(f, c->page_size, &r, &off)) > 0) {
		if (r.type == PITR_REC_BASE) {
			c->page_size = r.page_size;
			snprintf(c->base_name, sizeof c->base_name, "%s", r.base_name);
		}
		c->epoch = r.epoch;
		c->seq = r.seq;
		c->pos = r.pos;
		c->db_pages = r.db_pages;
		c->have_pos = true;
		if (!c->seg_first_ms)
			c->seg_first_ms = r.time_ms;
		c->seg_last_ms = c->recovered_ms = r.time_ms;
		pitr_rec_free(&r);
	}
	fclose(f);
	release_segment(c, scratch);
	if (got == -2 || (got < 0 && !pitr_segment_open(path))) {
		/* only a tail the file ends inside is cut: records after damage
		 * are the log too */
		pitr_say(c, PITR_SAY_ERROR,
		         "the log segment %s is damaged at byte %lld (valid records may follow it): "
		         "not cutting it; move it aside to capture on",
		         path, (long long)off);
		return -1;
	}
	if (got < 0 && truncate(path, off) != 0)
		return -1;
	return 0;
}

int pitr_seg_recover(pitr_capture *c)
{
	char **segs = pitr_segments(c->dir);
	if (!segs) {
		pitr_say(c, PITR_SAY_ERROR, "cannot read the log directory %s: %s", c->dir,
		         strerror(errno));
		return -1;
	}
	int rc = 0;
	for (size_t i = 0; rc == 0 && segs[i]; i++) {
		c->seg_first_ms = 0;
		rc = recover_one(c, segs[i]);
		c->seg_seq = pitr_segment_seq(segs[i]);
		if (rc == 0 && pitr_segment_open(segs[i])) {
			c->seg_fd = open(segs[i], O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
			c->seg_len = c->seg_fd >= 0 ? lseek(c->seg_fd, 0, SEEK_END) : 0;
			if (!c->seg_first_ms)
				c->seg_first_ms = c->seg_last_ms = pitr_now_ms();
			rc = c->seg_fd >= 0 ? pitr_seg_close(c) : -1;
		}
		rc = rc > 0 ? 0 : rc;
	}
	pitr_free_list(segs);
	return rc;
}

void pitr_progress(pitr_capture *c, int64_t time_ms)
{
	/* the module's capture writes it at most every PROGRESS_MS: one more
	 * write at every commit would cost the committing writer */
	if (c->progress_fd < 0 || (c->lazy_readers && time_ms < c->progress_ms + PROGRESS_MS))
		return;
	c->progress_ms = time_ms;
	char line[96]; /* PITR_PROGRESS_LINE bytes */
	int n = snprintf(line, sizeof line, "%020lld %010u %020llu\n", (long long)time_ms, c->epoch,
	                 (unsigned long long)c->seq);
	if (pwrite(c->progress_fd, line, (size_t)n, 0) != n)
		return; /* a hint for onlookers only: the log is the record */
}
