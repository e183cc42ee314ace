/*
 * pitr_prune.c — `dbcare log prune DIR --keep N | --keep-for SPAN
 * [--apply]`: the retention of a point-in-time log. The newest N bases are
 * kept, or those a restore to any moment of the last SPAN starts from (the
 * newest at or before its beginning and every later one), and with the
 * oldest of them (its time t0) everything a restore to t0 or later reads: a
 * restore starts at a base at or before its time and reads only records
 * at or after that base. So the older bases go, and the closed segments
 * whose last record (their log-<n>.json) is older than t0, with their
 * records. The segment being written is never touched, and a base no
 * record names yet is not one of the N (bases_recorded). A dry run (no
 * --apply) lists what would go.
 */
#include "pitr.h"

#include "base/heap_grow.h"

#include <dirent.h>
#include <stdint.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The base files of dir, oldest first (their names sort by time). */
static char **base_files(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	char **list = NULL;
	size_t cap = 0;
	struct dirent *e;
	*n = 0;
	while (d && (e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (strncmp(e->d_name, "base-", 5) != 0 || len < 8 ||
		    strcmp(e->d_name + len - 3, ".db") != 0)
			continue;
		if (!dbc_heap_reserve(&list, *n + 1, &cap, sizeof *list, 16))
			break;
		list[(*n)++] = strdup(e->d_name);
	}
	if (d)
		closedir(d);
	if (list)
		qsort(list, *n, sizeof *list, by_name);
	return list;
}

/* The time of a base from its name: base-YYYY-MM-DDTHHMMSSmmmZ.db. */
static int base_time(const char *name, int64_t *ms)
{
	char t[32];
	if (strlen(name) < 28)
		return -1;
	snprintf(t, sizeof t, "%.10s %.2s:%.2s:%.2s.%.3s", name + 5, name + 16, name + 18, name + 20,
	         name + 22);
	return pitr_time_parse(t, ms);
}

/* The last record time a closed segment's record (log-<n>.json, read as
 * JSON by the walk's own reader) gives; -1: none, or a record that cannot
 * be read (said), whose segment is then kept. */
static int64_t segment_last(const char *seg)
{
	json_t *doc = NULL;
	int64_t ms = -1;
	int got = pitr_segment_record(seg, &doc);
	if (got < 0)
		cli_errorf("the log segment %s is kept: its record cannot be read", seg);
	if (got <= 0)
		return -1;
	const char *t = json_string_value(json_object_get(doc, "last_commit"));
	if (!t || pitr_time_parse(t, &ms) != 0)
		ms = -1;
	json_decref(doc);
	return ms;
}

static int drop(cli_opts *o, const char *path, bool apply, int *count)
{
	(*count)++;
	if (!apply) {
		printf("would delete %s\n", path);
		return 0;
	}
	if (unlink(path) != 0 && errno != ENOENT) {
		cli_errorf("cannot delete %s: %s", path, strerror(errno));
		return -1;
	}
	cli_note(&o->out, "deleted %s", path);
	return 0;
}

/* The closed segments wholly older than t0, with their records. */
static int drop_segments(cli_opts *o, const char *dir, int64_t t0, int *count)
{
	char **segs = pitr_segments(dir);
	int rc = segs ? 0 : -1;
	for (size_t i = 0; rc == 0 && segs[i]; i++) {
		int64_t last = pitr_segment_open(segs[i]) ? -1 : segment_last(segs[i]);
		if (last < 0 || last >= t0)
			continue;
		char *json = NULL;
		if (asprintf(&json, "%.*s.json", (int)(strlen(segs[i]) - 7), segs[i]) < 0)
			rc = -1;
		else
			rc = drop(o, segs[i], o->apply, count) ? -1 : drop(o, json, o->apply, count);
		free(json);
	}
	pitr_free_list(segs);
	return rc;
}

/* How many of the bases (oldest first) a restore can start from. A base
 * newer than the one the newest closed segment's record names has its 'B'
 * record only in the segment being written: without such a segment (a log
 * shipped to a bucket, whose open segment stays on the host; a capture
 * killed as it named the base) nothing records it yet, and it is no base
 * to keep instead of an older one. */
static size_t bases_recorded(const char *dir, char **bases, size_t n)
{
	char **segs = pitr_segments(dir);
	const char *last = NULL;
	bool writing = false; /* a segment being written: it records every newer base */
	for (size_t i = 0; segs && segs[i]; i++) {
		if (!pitr_segment_open(segs[i]))
			last = segs[i];
		else if (!pitr_segment_superseded(segs[i]))
			writing = true;
	}
	if (writing)
		last = NULL;
	json_t *doc = NULL;
	const char *named = last && pitr_segment_record(last, &doc) > 0
	                        ? json_string_value(json_object_get(doc, "base"))
	                        : NULL;
	size_t usable = n;
	while (named && usable > 0 && strcmp(bases[usable - 1], named) > 0)
		usable--;
	json_decref(doc);
	pitr_free_list(segs);
	return usable;
}

/* Where what is kept begins (*t0: the oldest kept base's time): the
 * newest --keep bases, and the newest base at or before now - --keep-for
 * with every one after it (a restore to a moment of that span starts at
 * it); both given: what either keeps. 0 when something older goes, 1 when
 * everything is kept. */
static int kept_from(const cli_opts *o, char **bases, size_t n, int64_t *t0)
{
	int64_t by_count = INT64_MAX, by_age = INT64_MAX, t;
	bool count_keeps_all = o->keep >= 1 && (size_t)o->keep >= n, age_keeps_all = o->keep_for_s > 0;
	if (o->keep >= 1 && !count_keeps_all && base_time(bases[n - (size_t)o->keep], &by_count) != 0)
		return 1;
	if (o->keep_for_s > 0) {
		int64_t cutoff = pitr_now_ms() - (int64_t)(o->keep_for_s * 1000);
		for (size_t i = n; i-- > 0;)
			if (base_time(bases[i], &t) == 0 && t <= cutoff) {
				by_age = t;
				age_keeps_all = false;
				break;
			}
	}
	if (count_keeps_all || age_keeps_all)
		return 1;
	*t0 = by_count < by_age ? by_count : by_age;
	return 0;
}

int cli_pitr_prune(cli_opts *o, const char *dir)
{
	if (o->keep < 1 && o->keep_for_s <= 0) {
		cli_errorf("log prune needs --keep N (the newest N bases and what restores from them) or "
		           "--keep-for SPAN (what restores any moment of the last SPAN, such as 7d)");
		return CLI_USAGE;
	}
	char why[1024];
	if (pitr_dir_trusted(dir, why, sizeof why) != 0) {
		cli_errorf("%s", why);
		return CLI_ERROR;
	}
	size_t n;
	char **bases = base_files(dir, &n);
	int count = 0, rc = 0;
	int64_t t0, t;
	size_t usable = n > 0 ? bases_recorded(dir, bases, n) : 0;
	if (usable > 0 && kept_from(o, bases, usable, &t0) == 0) {
		for (size_t i = 0; rc == 0 && i < n; i++) {
			char *path = NULL;
			if (base_time(bases[i], &t) != 0 || t >= t0)
				continue;
			rc = asprintf(&path, "%s/%s", dir, bases[i]) < 0 ? -1 : drop(o, path, o->apply, &count);
			free(path);
		}
		if (rc == 0)
			rc = drop_segments(o, dir, t0, &count);
	}
	for (size_t i = 0; i < n; i++)
		free(bases[i]);
	free(bases);
	if (rc == 0 && !o->apply)
		printf("%d files would be deleted (a dry run: --apply deletes them)\n", count);
	else if (rc == 0)
		printf("%d files deleted\n", count);
	return rc == 0 ? CLI_OK : CLI_ERROR;
}
