/*
 * pitr_health.c — the health check point_in_time_log and the log's
 * numbers of the metrics: what the files of backup.log.dir say about the
 * capture (docs/backups.md, "Back to any moment"). Read from the files
 * alone, cheaply (a quick check): log.progress gives the newest record's
 * time, the flock on log.lock whether a capture runs, the open segment's
 * first record its age, a base-*.db that anything is restorable at all.
 * The newest segment's headers (a closed sealed one: its record) give
 * where the log's files end: one that ends before log.progress lost
 * segment files, judged by the rule log status, restore --to-time latest
 * and the drill apply (pitr_end.h): critical, and its newest moment is
 * where the readable log ends, not what log.progress records.
 *
 * Idle is not stalled: the module's capture writes only at its
 * connection's commits (no thread of its own, so no heartbeat while the
 * application is idle), and an idle log's newest record ages though the
 * log misses nothing. So, while a capture holds the log, the log's place
 * (the WAL position of the newest record of its newest segment) is
 * compared with the database's WAL: when the WAL holds no commit after
 * it, the log holds every commit there is (the capture's reader keeps any
 * frame it has not copied in the WAL: pitr_capture.h) and its lag is 0;
 * a commit after it is what the log lacks, and the lag is the age of its
 * newest record. Without a capture no such proof exists (a checkpoint may
 * have taken frames away unseen): the lag is that age.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* realpath */
#endif
#include "sqlite/host/glue.h"
#include "sqlite/health/health_glue.h"
#include "pitr_end.h"

#include "settings/settings.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

typedef struct log_state {
	char *dir;       /* backup.log.dir; NULL: not set */
	bool remote;     /* dir is an object store's URL */
	bool capturing;  /* a capture holds log.lock */
	int64_t newest;  /* ms of the newest record (log.progress); -1: none */
	int64_t open_at; /* ms of the open segment's first record; -1: none */
	bool has_base;   /* a base-*.db exists: the log can restore something */
	bool current;    /* a capture runs and the WAL holds no commit after the log's place */
	pitr_end end;    /* the log's readable end against log.progress (pitr_end.h) */
	bool end_short;  /* ... which it does not reach: segment files at its end are lost */
	int dir_errno;   /* the directory cannot be opened (relative to the
	                  * reader's working directory, as the capture's is) */
	/* log.identity names another file than this database's (a copy of
	 * the database, which keeps backup.log.dir): that file's path */
	char other[4096];
	bool failed; /* the capture failed, nothing recorded since (pitr_end_failure) */
	int64_t failed_ms;
	char failed_why[512];
} log_state;

/* Whether DIR/log.identity names another file than db_file (a copy of
 * the database at another path: its log is the original's): its path into
 * other (a log without log.identity, or one of this file: false). */
static bool log_of_another_file(const char *dir, const char *db_file, char *other, size_t len)
{
	char path[4096], text[8193];
	if (!db_file || !db_file[0] ||
	    snprintf(path, sizeof path, "%s/log.identity", dir) >= (int)sizeof path)
		return false;
	int fd = pitr_file_open(path, NULL);
	ssize_t n = fd >= 0 ? read(fd, text, sizeof text - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return false; /* none (a log of an older dbcare), or unreadable */
	text[n] = '\0';
	char *at = strstr(text, "\npath ");
	char *mine = at ? realpath(db_file, NULL) : NULL;
	if (!mine)
		return false;
	at += 6;
	at[strcspn(at, "\n")] = '\0';
	bool other_file = strcmp(at, mine) != 0;
	if (other_file)
		snprintf(other, len, "%s", at);
	free(mine);
	return other_file;
}

/* Whether a capture holds DIR/log.lock. The probe takes a shared lock for
 * a moment: a capture starting in that instant finds the directory held
 * and says so (the module's takes over at its next commit). */
static bool capture_holds(const char *dir)
{
	char path[4096];
	if (snprintf(path, sizeof path, "%s/log.lock", dir) >= (int)sizeof path)
		return false;
	int fd = pitr_file_open(path, NULL);
	if (fd < 0)
		return false;
	bool held = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
	close(fd); /* releases the probe's lock, if it got one */
	return held;
}

/* The time of the first record of the open segment; -1 when there is
 * none or it has no whole first record yet. */
static int64_t open_segment_start(const char *dir)
{
	char **segs = pitr_segments(dir);
	const char *open_seg = NULL;
	for (int i = 0; segs && segs[i]; i++)
		if (pitr_segment_open(segs[i]) && !pitr_segment_superseded(segs[i]))
			open_seg = segs[i];
	int64_t t = -1;
	uint32_t type;
	if (open_seg && !pitr_segment_first(open_seg, &type, &t))
		t = -1;
	pitr_free_list(segs);
	return t;
}

/* A closed segment's record (log-<seq>.json) as the end it gives: its
 * epoch, last seq and last record's time (a sealed segment's headers
 * cannot be read without its key). */
static bool record_end(const char *seg, pitr_end_mark *m)
{
	char json[4096];
	size_t n = strlen(seg);
	if (n < 7 || snprintf(json, sizeof json, "%.*s.json", (int)(n - 7), seg) >= (int)sizeof json)
		return false;
	json_t *doc = pitr_file_json(json, NULL);
	json_t *epoch = json_object_get(doc, "epoch"), *seq = json_object_get(doc, "last_seq");
	const char *last = json_string_value(json_object_get(doc, "last_commit"));
	bool ok = json_is_integer(epoch) && json_is_integer(seq) && last &&
	          pitr_time_parse(last, &m->time_ms) == 0;
	if (ok) {
		m->epoch = (uint32_t)json_integer_value(epoch);
		m->seq = (uint64_t)json_integer_value(seq);
	}
	json_decref(doc);
	return ok;
}

/* The newest records of the plain segment at path to e, the place the last
 * one names into *pos: whether it has any (false too for a sealed one). */
static bool segment_end(const char *path, pitr_end *e, wal_pos *pos)
{
	FILE *f = pitr_file_fopen(path);
	unsigned char m[8];
	pitr_rec r;
	off_t off;
	bool found = false;
	if (!f)
		return false;
	if (fread(m, 1, 8, f) == 8 && pitr_segment_magic(m))
		while (pitr_read_header(f, &r, &off) > 0) {
			pitr_end_note(e, &r);
			*pos = r.pos;
			found = true;
		}
	fclose(f);
	return found;
}

/* The log's readable end into e (read after log.progress: pitr_end.h) and
 * the place it has reached (*have_place: the WAL position of its newest
 * segment's newest record; not known for a sealed one): the newest segment
 * that holds a record, its headers read (a closed sealed one: its record). */
static void log_end(const char *dir, pitr_end *e, wal_pos *place, bool *have_place)
{
	char **segs = pitr_segments(dir);
	int n = 0;
	while (segs && segs[n])
		n++;
	*have_place = false;
	bool found = false;
	for (int i = n - 1; i >= 0 && !found; i--) {
		pitr_end_mark m;
		if (pitr_segment_superseded(segs[i]))
			continue;
		found = *have_place = segment_end(segs[i], e, place);
		if (!found && !pitr_segment_open(segs[i]) && record_end(segs[i], &m)) {
			pitr_end_note_mark(e, &m);
			found = true;
		}
	}
	pitr_free_list(segs);
}

static int stop_at_commit(void *arg, const wal_commit *c)
{
	(void)arg, (void)c;
	return 1;
}

/* Whether the WAL of db_file holds a commit after pos: 1, 0 (none: the
 * log holds every commit), -1 when it cannot be told. */
static int wal_beyond(const char *db_file, const wal_pos *pos)
{
	char path[4096];
	if (snprintf(path, sizeof path, "%s-wal", db_file) >= (int)sizeof path)
		return -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1; /* no WAL: nothing committed in one */
	wal_header h;
	int r = wal_read_header(fd, &h), out = -1;
	if (r == 0) {
		out = 0; /* none yet, or being started again: no commit in it */
	} else if (r > 0) {
		bool same = h.start.salt1 == pos->salt1 && h.start.salt2 == pos->salt2;
		wal_pos end;
		/* in the log's generation: after its place; in a later one: from
		 * its start (every commit of it is one the log lacks) */
		int s = wal_scan(fd, &h, same ? pos : &h.start, 0, 1, stop_at_commit, NULL, &end);
		out = s == 1 ? 1 : s == 0 ? 0 : -1;
	}
	close(fd);
	return out;
}

static bool any_base(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool found = false;
	while (d && !found && (e = readdir(d))) {
		size_t n = strlen(e->d_name);
		found =
		    strncmp(e->d_name, "base-", 5) == 0 && n > 8 && strcmp(e->d_name + n - 3, ".db") == 0;
	}
	if (d)
		closedir(d);
	return found;
}

static int read_state(dbc_ctx *ctx, log_state *st)
{
	*st = (log_state){.newest = -1, .open_at = -1};
	char *v = NULL;
	if (dbc_setting_get(ctx, "backup.log.dir", &v) != DBC_OK)
		return DBC_ERROR;
	if (!v || !v[0])
		return DBC_OK;
	st->dir = v;
	if (v[0] != '/') {
		st->remote = true; /* a store's URL: no file here to read */
		return DBC_OK;
	}
	DIR *d = opendir(v);
	if (!d) {
		st->dir_errno = errno;
		return DBC_OK;
	}
	closedir(d);
	const char *file = sqlite3_db_filename(sqldbc_call_conn(ctx)->db, "main");
	if (log_of_another_file(v, file, st->other, sizeof st->other))
		return DBC_OK; /* nothing of that log is this database's */
	st->capturing = capture_holds(v);
	st->failed = pitr_end_failure(v, &st->failed_ms, st->failed_why, sizeof st->failed_why);
	wal_pos place;
	bool have_place = false;
	/* twice when short: a segment closed (renamed) between the listing and
	 * its read is found under its new name the second time */
	for (int pass = 0; pass < 2 && (pass == 0 || st->end_short); pass++) {
		pitr_end_begin(v, &st->end); /* before the segments: never ahead of them */
		log_end(v, &st->end, &place, &have_place);
		st->end_short = pitr_end_short(&st->end);
	}
	/* the newest moment: what log.progress records, or where the readable
	 * log ends when it does not reach that (or has no log.progress) */
	st->newest = st->end_short || !st->end.progress_known
	                 ? (st->end.have_end && st->end.time_ms > 0 ? st->end.time_ms : -1)
	                 : st->end.progress.time_ms;
	st->open_at = open_segment_start(v);
	st->has_base = any_base(v);
	st->current = st->capturing && !st->end_short && file && file[0] && have_place &&
	              wal_beyond(file, &place) == 0;
	return DBC_OK;
}

int sqldbc_pitr_health(dbc_ctx *ctx, const dbc_health_hooks *eng, dbc_health_mode mode,
                       dbc_health_fact *fact)
{
	(void)eng, (void)mode;
	log_state st;
	if (read_state(ctx, &st) != DBC_OK)
		return DBC_ERROR;
	if (!st.dir) {
		dbc_health_skip(ctx, fact, "backup.log.dir is not set: no point-in-time log to watch",
		                NULL);
		return DBC_OK;
	}
	if (st.remote) {
		dbc_health_skip(ctx, fact,
		                "backup.log.dir names an object store: dbcare log DIR ships the log "
		                "there, dbcare log status URL reads it",
		                NULL);
		return DBC_OK;
	}
	if (st.dir_errno) {
		fact->value_text = dbc_strdup(ctx, "none");
		fact->message =
		    dbc_printf(ctx, "cannot read the log directory %s: %s", st.dir, strerror(st.dir_errno));
		fact->min_status = DBC_CHECK_WARNING;
		return DBC_OK;
	}
	if (st.other[0]) {
		fact->value_text = dbc_strdup(ctx, "none");
		fact->message = dbc_printf(
		    ctx,
		    "backup.log.dir %s is the log of the database file %s (log.identity), not of this "
		    "one: nothing of this database is captured (a copy keeps the setting: give it a "
		    "log directory of its own, or empty backup.log.dir)",
		    st.dir, st.other);
		fact->min_status = DBC_CHECK_WARNING;
		return DBC_OK;
	}
	int64_t now = pitr_now_ms();
	char when[32] = "none yet", seg[64] = "no open segment";
	if (st.has_base && st.newest > 0) {
		pitr_time_text(st.newest, when);
		strcat(when, " UTC");
	}
	if (st.open_at > 0)
		snprintf(seg, sizeof seg, "open segment %.0f s old",
		         (double)(now > st.open_at ? now - st.open_at : 0) / 1000.0);
	const char *cap = st.capturing ? "a capture runs" : "no capture runs";
	if (st.failed) {
		char at[32];
		pitr_time_text(st.failed_ms, at);
		fact->value = dbc_round((double)(now > st.failed_ms ? now - st.failed_ms : 0) / 1000.0);
		fact->message = dbc_printf(ctx,
		                           "the capture into %s failed at %s UTC and has copied no "
		                           "commit since: %s; the commits since are only in the WAL "
		                           "(kept, not checkpointed); last restorable moment %s",
		                           st.dir, at, st.failed_why, when);
		fact->min_status = DBC_CHECK_CRITICAL;
		return DBC_OK;
	}
	if (st.end_short) {
		/* what log status, restore --to-time latest and the drill refuse */
		char why[512];
		pitr_end_gap_text(&st.end, why, sizeof why);
		if (st.newest > 0)
			fact->value = dbc_round((double)(now > st.newest ? now - st.newest : 0) / 1000.0);
		else
			fact->value_text = dbc_strdup(ctx, "none");
		fact->message = dbc_printf(ctx,
		                           "the log in %s is missing its end: %s; restore --to-time "
		                           "latest refuses it; last readable moment %s; %s",
		                           st.dir, why, when, cap);
		fact->min_status = DBC_CHECK_CRITICAL;
		return DBC_OK;
	}
	if (st.newest < 0) {
		fact->value_text = dbc_strdup(ctx, "none");
		fact->message = dbc_printf(ctx, "the log in %s has no record yet; %s", st.dir, cap);
		fact->min_status = DBC_CHECK_WARNING;
		return DBC_OK;
	}
	double age = (double)(now > st.newest ? now - st.newest : 0) / 1000.0;
	fact->value = st.current ? 0 : dbc_round(age);
	fact->message = dbc_printf(ctx, "log lag %.0f s; %s; %s; last restorable moment %s",
	                           fact->value, cap, seg, when);
	if (st.current && age >= 1)
		fact->message = dbc_printf(ctx,
		                           "%s; idle: the log holds every commit, none since its newest "
		                           "record %.0f s ago",
		                           fact->message, age);
	if (!st.capturing)
		fact->min_status = DBC_CHECK_WARNING;
	return DBC_OK;
}

int sqldbc_pitr_health_metrics(dbc_ctx *ctx, dbc_health_metrics *m)
{
	log_state st;
	if (read_state(ctx, &st) != DBC_OK)
		return DBC_ERROR;
	m->log_known = st.dir != NULL;
	if (!m->log_known)
		return DBC_OK;
	int64_t now = pitr_now_ms();
	m->log_capturing = st.capturing;
	m->log_end_missing = st.end_short;
	m->log_capture_failed = st.failed;
	m->log_lag_seconds = st.newest < 0 ? -1
	                     : st.current  ? 0
	                                   : (double)(now > st.newest ? now - st.newest : 0) / 1000.0;
	m->log_restorable_epoch = st.has_base && st.newest > 0 ? (double)st.newest / 1000.0 : -1;
	return DBC_OK;
}
