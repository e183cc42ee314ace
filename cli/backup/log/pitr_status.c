/*
 * pitr_status.c — `dbcare log status DIR`: the stretches of time the log
 * can restore to (pitr_cover.c: per epoch, from the first whole poll after
 * its base to the last moment the capture saw, split where it caught up on
 * a backlog or resumed the epoch after commits it did not see as they were
 * made), the last restorable moment and how far behind now it is,
 * whether a capture holds the directory, and the log's size. Read from the
 * files alone, the records' headers only (no commit's pages, no check:
 * the drill and a restore check what they read).
 */
#include "pitr.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct status {
	pitr_cover cover;
	uint64_t records;
	pitr_end end; /* the log's readable end against log.progress */
} status;

static int status_record(void *arg, const pitr_rec *r)
{
	status *st = arg;
	st->records++;
	pitr_end_note(&st->end, r);
	return pitr_cover_add(&st->cover, r);
}

/* Whether a capture holds DIR/log.lock now. */
static bool capturing(const char *dir)
{
	char *lock = NULL;
	if (asprintf(&lock, "%s/log.lock", dir) < 0)
		return false;
	int fd = pitr_file_open(lock, NULL);
	free(lock);
	if (fd < 0)
		return false;
	bool held = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
	close(fd);
	return held;
}

static int64_t log_bytes(const char *dir)
{
	char **segs = pitr_segments(dir);
	int64_t total = 0;
	struct stat sb;
	for (size_t i = 0; segs && segs[i]; i++)
		if (stat(segs[i], &sb) == 0)
			total += sb.st_size;
	pitr_free_list(segs);
	return total;
}

/* What log.progress records and whether the log reaches it (JSON: the
 * end of the status object). */
static void print_progress_json(const pitr_end *e)
{
	char t[32];
	fputs(",\"capture_progress\":", stdout);
	if (e->progress_known) {
		pitr_time_text(e->progress.time_ms, t);
		printf("{\"time\":\"%s\",\"epoch\":%u,\"seq\":%llu}", t, e->progress.epoch,
		       (unsigned long long)e->progress.seq);
	} else {
		fputs("null", stdout);
	}
	printf(",\"end_missing\":%s}\n", pitr_end_short(e) ? "true" : "false");
}

static void print_progress_text(const pitr_end *e)
{
	char why[512];
	if (!e->progress_known) {
		printf("no log.progress (written by a capture of an older dbcare, or lost): whether "
		       "segment files at the log's end are missing cannot be told\n");
	} else if (pitr_end_short(e)) {
		pitr_end_gap_text(e, why, sizeof why);
		printf("GAP at the end: %s\n", why);
	}
}

/* The capture's last failure, while it has recorded no commit since
 * (log.progress: pitr_end_failure). */
static void print_failure_text(const char *dir)
{
	int64_t ms;
	char why[512], t[32];
	if (!pitr_end_failure(dir, &ms, why, sizeof why))
		return;
	pitr_time_text(ms, t);
	printf("CAPTURE FAILED at %s UTC, no commit recorded since: %s\n", t, why);
}

static void print_failure_json(const char *dir)
{
	int64_t ms;
	char why[512], t[32];
	fputs(",\"capture_failed\":", stdout);
	if (!pitr_end_failure(dir, &ms, why, sizeof why)) {
		fputs("null", stdout);
		return;
	}
	pitr_time_text(ms, t);
	printf("{\"time\":\"%s\",\"error\":", t);
	cli_json_string(stdout, why);
	fputc('}', stdout);
}

static void print_status(cli_opts *o, const char *dir, const status *st, bool live, int64_t bytes)
{
	char a[32], b[32];
	const pitr_stretch *s = st->cover.s;
	size_t n = st->cover.n;
	int64_t last = n ? s[n - 1].to : 0, lag = n ? pitr_now_ms() - last : -1;
	if (o->out.format == CLI_FMT_JSON) {
		fputs("{\"log\":", stdout);
		cli_json_string(stdout, dir);
		printf(",\"capturing\":%s,\"bytes\":%lld,\"records\":%llu,\"stretches\":[",
		       live ? "true" : "false", (long long)bytes, (unsigned long long)st->records);
		for (size_t i = 0; i < n; i++) {
			pitr_time_text(s[i].from, a);
			pitr_time_text(s[i].to, b);
			printf("%s{\"epoch\":%u,\"from\":\"%s\",\"to\":\"%s\",\"commits\":%llu}", i ? "," : "",
			       s[i].epoch, a, b, (unsigned long long)s[i].commits);
		}
		pitr_time_text(last, a);
		printf("],\"last_restorable\":%s%s%s,\"lag_ms\":%lld", n ? "\"" : "", n ? a : "null",
		       n ? "\"" : "", (long long)lag);
		print_failure_json(dir);
		print_progress_json(&st->end);
		return;
	}
	printf("log %s: %s, %lld bytes\n", dir, live ? "a capture is running" : "no capture running",
	       (long long)bytes);
	print_failure_text(dir);
	for (size_t i = 0; i < n; i++) {
		pitr_time_text(s[i].from, a);
		pitr_time_text(s[i].to, b);
		printf("  restorable from %s to %s UTC (epoch %u, %llu commits)\n", a, b, s[i].epoch,
		       (unsigned long long)s[i].commits);
	}
	if (n) {
		pitr_time_text(last, a);
		printf("last restorable moment: %s UTC (%lld ms ago)\n", a, (long long)lag);
	} else {
		printf("nothing restorable yet\n");
	}
	print_progress_text(&st->end);
}

/* Whether dir is a log at all: a capture writes log.identity before
 * anything else (an older one: segments). 0, or -1 after saying why. */
static int is_log(const char *dir)
{
	char *id = NULL;
	if (asprintf(&id, "%s/log.identity", dir) < 0)
		return -1;
	bool there = access(id, F_OK) == 0 || errno != ENOENT;
	free(id);
	char **segs = there ? NULL : pitr_segments(dir);
	if (!there && !segs) {
		cli_errorf("cannot read the log directory %s: %s", dir, strerror(errno));
		return -1;
	}
	there = there || segs[0];
	pitr_free_list(segs);
	if (!there)
		cli_errorf("%s is not a point-in-time log: it holds no log.identity and no log "
		           "segment (`dbcare log %s --db sqlite:FILE`, or backup.log.dir, starts one)",
		           dir, dir);
	return there ? 0 : -1;
}

int cli_pitr_status(cli_opts *o, const char *dir)
{
	if (is_log(dir) != 0)
		return CLI_ERROR;
	status st = {0};
	pitr_end_begin(dir, &st.end); /* before the segments: never ahead of them */
	int rc = pitr_each_header(dir, status_record, &st);
	if (rc == 0)
		print_status(o, dir, &st, capturing(dir), log_bytes(dir));
	if (rc == 0 && pitr_end_short(&st.end)) {
		cli_errorf("the log in %s is missing its end (see above): restore --to-time latest "
		           "refuses it",
		           dir);
		rc = -1;
	}
	pitr_cover_free(&st.cover);
	return rc == 0 ? CLI_OK : CLI_ERROR;
}
