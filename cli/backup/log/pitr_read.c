/*
 * pitr_read.c — reading a point-in-time log (pitr_log.h): every record of
 * every segment, in order, each closed segment first checked against its
 * record (log-<seq>.json, which it must have unless its capture is closing
 * it); while a capture writes on, a segment closed meanwhile is read to
 * its end and segments opened meanwhile are read too.
 */
#include "pitr.h"
#include "cli/common/files.h"
#include "cli/backup/common/pg_backup.h"
#include "cli/backup/common/sealed.h"

#include "base/sha256.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Whether path exists (ENOENT: no; anything else counts as there). */
static bool exists(const char *path)
{
	return access(path, F_OK) == 0 || errno != ENOENT;
}

/* The closed segment seg's record, log-<seq>.json, into *doc: 1; 0 when
 * there is none and none is due: its capture is closing it (or was killed
 * while it did): the open twin is still there, and the capture writes the
 * record before it removes the twin (sqlite/pitr/pitr_segment.c); -1 after
 * saying why (a closed segment with no twin lost its record: deleted, or
 * not copied; a record that is no JSON). */
static int load_manifest(const char *seg, const char *json, json_t **doc)
{
	json_error_t err;
	char *twin = NULL;
	if (!(*doc = pitr_file_json(json, &err)) && !exists(json)) {
		if (asprintf(&twin, "%s.open", seg) < 0)
			return -1;
		bool closing = exists(twin);
		free(twin);
		if (closing)
			return 0;
		/* the record is written before the twin goes: looked for again */
		if (!(*doc = pitr_file_json(json, &err)) && !exists(json)) {
			cli_errorf("%s, the record of the closed log segment %s, is missing: the "
			           "segment's SHA-256 cannot be checked (put the record back from where "
			           "the log was copied from)",
			           json, seg);
			return -1;
		}
	}
	if (!*doc && errno != EINVAL)
		cli_errorf("cannot read %s, the record of the log segment %s: %s", json, seg, err.text);
	else if (!*doc)
		cli_errorf("the record %s of the log segment %s is not valid JSON: %s", json, seg,
		           err.text);
	return *doc ? 1 : -1;
}

/* log-<seq>.json of the segment seg (log-<seq>.dbclog); NULL: out of memory. */
static char *record_path(const char *seg)
{
	char *json = NULL;
	size_t n = strlen(seg);
	return asprintf(&json, "%.*s.json", (int)(n - 7), seg) < 0 ? NULL : json;
}

int pitr_segment_record(const char *seg, json_t **doc)
{
	char *json = record_path(seg);
	*doc = NULL;
	if (!json)
		return -1;
	int rc = load_manifest(seg, json, doc);
	free(json);
	return rc;
}

/* A closed segment against its log-<seq>.json (read as JSON): its name
 * must be the segment's, and with hash its SHA-256 too (without: the
 * record is there and names it, what a reader of headers alone can
 * afford). 0 when they match, or when its capture is still closing it
 * (load_manifest). Its database must be the log's (ow: pitr_owner.c),
 * checked first: a foreign segment is named as such, not as damage. */
static int check_manifest(pitr_owner *ow, const char *dir, const char *seg, bool hash)
{
	char *json = record_path(seg), sha[65];
	if (!json)
		return -1;
	json_t *doc;
	int rc = load_manifest(seg, json, &doc);
	if (rc <= 0) {
		free(json);
		return rc;
	}
	const char *want = json_string_value(json_object_get(doc, "sha256")),
	           *name = json_string_value(json_object_get(doc, "segment")),
	           *base = strrchr(seg, '/');
	base = base ? base + 1 : seg;
	rc = pitr_owner_check(ow, dir, seg, doc);
	if (rc == 0 && (!name || strcmp(name, base) != 0)) {
		cli_errorf("%s is not the record of the log segment %s (it names %s)", json, seg,
		           name ? name : "no segment");
		rc = -1;
	} else if (rc == 0 && hash && want && strlen(want) == 64 &&
	           pitr_file_sha256(cli_text_host(), seg, -1, NULL, NULL, sha) != 0) {
		cli_errorf("cannot read the log segment %s: %s", seg, pitr_file_strerror(errno));
		rc = -1;
	} else if (rc == 0 && hash && (!want || strlen(want) != 64 || strcmp(want, sha) != 0)) {
		cli_errorf("the log segment %s is not the one its record describes (SHA-256)", seg);
		rc = -1;
	}
	json_decref(doc);
	free(json);
	return rc;
}

/* A walk's reading: the page size the bases give, and with headers alone
 * the newest record read (its segment, where it starts, its time): the
 * log's times never go back (the capture holds its clock: pitr_segment.c),
 * so a header stamped after the one that follows it is damaged or forged,
 * and the newest record bounds every time the headers give. */
typedef struct reading {
	pitr_owner owner; /* the log's database */
	const char *dir;
	uint32_t page_size;
	bool headers;
	char *last_seg; /* malloc'd; NULL: no record read yet */
	off_t last_off;
	int64_t last_ms;
} reading;

/* A header read: its time not before the one before it. */
static int note_header(reading *rd, const char *seg, const pitr_rec *r, off_t off)
{
	if (rd->last_seg && r->time_ms < rd->last_ms) {
		char a[32], b[32];
		pitr_time_text(rd->last_ms, a);
		pitr_time_text(r->time_ms, b);
		cli_errorf("the log segment %s is damaged at byte %lld: its record is stamped %s UTC, "
		           "before the record ahead of it (%s UTC, %s at byte %lld), and the log's "
		           "times never go back",
		           seg, (long long)off, b, a, rd->last_seg, (long long)rd->last_off);
		return -1;
	}
	if (!rd->last_seg || strcmp(rd->last_seg, seg) != 0) {
		free(rd->last_seg);
		if (!(rd->last_seg = strdup(seg)))
			return -1;
	}
	rd->last_off = off;
	rd->last_ms = r->time_ms;
	return 0;
}

/* The records of one segment to fn. A closed segment must be whole; an
 * open one ends where its capture is writing (or was killed): only a torn
 * tail; a damaged record with more after it fails like a closed one. */
static int read_segment(char *seg, reading *rd, pitr_rec_fn fn, void *arg)
{
	uint32_t *page_size = &rd->page_size;
	bool headers = rd->headers;
	bool open_seg = pitr_segment_open(seg);
	char *scratch = NULL, magic[8];
	FILE *f = pitr_segment_fopen(seg, &scratch);
	if (!f && open_seg && errno == ENOENT) {
		/* closed since the listing: the same records under its closed name */
		seg[strlen(seg) - 5] = '\0';
		f = pitr_segment_fopen(seg, &scratch);
	}
	if (!f) /* said why (pitr_segment_fopen); both names gone: pruned meanwhile */
		return open_seg && errno == ENOENT ? 0 : -1;
	bool got_magic = fread(magic, 1, 8, f) == 8;
	if (!got_magic || !pitr_segment_magic(magic)) {
		fclose(f);
		cli_scratch_release(scratch);
		if (got_magic && pitr_segment_newer(magic))
			cli_errorf("%s was written by a newer dbcare (format %.8s): read it with that one", seg,
			           magic);
		else if (open_seg)
			return 0; /* a segment just created */
		else
			cli_errorf("%s is not a dbcare log segment", seg);
		return -1;
	}
	pitr_rec r;
	off_t off;
	int got, rc = 0;
	for (bool again = open_seg; rc == 0; again = false) {
		while (rc == 0 && (got = headers ? pitr_read_header(f, &r, &off)
		                                 : pitr_read(f, *page_size, &r, &off)) > 0) {
			if (r.type == PITR_REC_BASE)
				*page_size = r.page_size;
			rc = headers ? note_header(rd, seg, &r, off) : 0;
			rc = rc == 0 ? fn(arg, &r) : rc;
			pitr_rec_free(&r);
		}
		/* an open segment closed while it was read (renamed, or sealed
		 * and removed): the file read is whole now; its rest is read */
		if (rc != 0 || !again || access(seg, F_OK) == 0 || fseeko(f, off, SEEK_SET) != 0)
			break;
		clearerr(f);
	}
	fclose(f);
	cli_scratch_release(scratch);
	if (rc == 0 && (got == -2 || (got < 0 && !open_seg))) {
		cli_errorf("the log segment %s is damaged at byte %lld", seg, (long long)off);
		rc = -1;
	}
	return rc;
}

/* The records of the segments of dir from seq w->from on, in order, to fn
 * (w->seg: the segment being read); fn's nonzero ends the walk and is
 * returned. */
/* The newest record a walk of headers read, checked as a restore checks
 * what it reads: its segment against its record (SHA-256) when closed,
 * the record against its CRC-32C (or SHA-256). 0, or -1 after saying why. */
static int check_newest(reading *rd)
{
	char *scratch = NULL, *seg = rd->last_seg;
	if (!seg)
		return 0;
	FILE *f = pitr_segment_fopen(seg, &scratch);
	if (!f && pitr_segment_open(seg) && errno == ENOENT) {
		seg[strlen(seg) - 5] = '\0'; /* closed since it was read */
		f = pitr_segment_fopen(seg, &scratch);
	}
	int rc = f ? 0 : -1;
	if (rc == 0 && !pitr_segment_open(seg))
		rc = check_manifest(&rd->owner, rd->dir, seg, true);
	if (rc == 0 && (fseeko(f, rd->last_off, SEEK_SET) != 0 || pitr_record_intact(f) != 1)) {
		char t[32];
		pitr_time_text(rd->last_ms, t);
		cli_errorf("the log segment %s is damaged at byte %lld: its newest record (stamped %s "
		           "UTC) fails its check",
		           seg, (long long)rd->last_off, t);
		rc = -1;
	}
	if (f)
		fclose(f);
	cli_scratch_release(scratch);
	return rc;
}

static int walk(const char *dir, pitr_walk *w, pitr_rec_fn fn, void *arg, bool check, bool headers)
{
	pitr_log_use_host(cli_text_host());
	char why[1024];
	if (pitr_dir_trusted(dir, why, sizeof why) != 0) {
		cli_errorf("%s", why);
		return -1;
	}
	char **segs = pitr_segments(dir);
	if (!segs) {
		cli_errorf("cannot read the log directory %s: %s", dir, strerror(errno));
		return -1;
	}
	reading rd = {.dir = dir, .page_size = w->page_size, .headers = headers};
	int rc = pitr_owner_load(dir, &rd.owner) < 0 ? -1 : 0;
	uint64_t done = 0; /* the last segment read */
	bool more = true;
	/* a capture may open segments meanwhile: the directory is listed
	 * again until no segment after the last one read appears */
	for (int pass = 0; rc == 0 && more && pass < 1000; pass++) {
		more = false;
		for (size_t i = 0; rc == 0 && segs && segs[i]; i++) {
			uint64_t seq = pitr_segment_seq(segs[i]);
			if (seq < w->from || (pass > 0 && seq <= done) || pitr_segment_superseded(segs[i]))
				continue; /* not asked for, read, or its closed twin holds the same records */
			w->seg = seq;
			if (check && !pitr_segment_open(segs[i]))
				rc = check_manifest(&rd.owner, dir, segs[i], !headers);
			if (rc == 0)
				rc = read_segment(segs[i], &rd, fn, arg);
			done = seq;
			more = true;
		}
		pitr_free_list(segs);
		segs = rc == 0 && more ? pitr_segments(dir) : NULL;
	}
	pitr_free_list(segs);
	/* the headers' times: bounded by the newest record's, which is checked */
	if (rc == 0 && headers)
		rc = check_newest(&rd);
	free(rd.last_seg);
	pitr_owner_free(&rd.owner);
	return rc;
}

int pitr_each_record(const char *dir, pitr_rec_fn fn, void *arg, bool check)
{
	pitr_walk w = {0};
	return walk(dir, &w, fn, arg, check, false);
}

int pitr_each_header(const char *dir, pitr_rec_fn fn, void *arg)
{
	pitr_walk w = {0};
	return walk(dir, &w, fn, arg, true, true); /* records present, hashes unread */
}

int pitr_walk_records(const char *dir, pitr_walk *w, pitr_rec_fn fn, void *arg, bool check)
{
	int rc = walk(dir, w, fn, arg, check, false);
	return rc == PITR_WALK_STOP ? 0 : rc;
}
