/*
 * pitr_restore.c — `dbcare restore --to-time T DIR` on SQLite: from the
 * log directory alone (pitr_log.h), the newest base taken at or before T
 * and the commits of its epoch the capture saw at or before T, applied page
 * by page to a copy of the base in a scratch file beside the target;
 * checked (every record's SHA-256, each closed segment's against its
 * record, the base's, the commits one after another, PRAGMA
 * integrity_check of the result) before the target gets it. T must be
 * covered: the capture saw the database at or after T in the same epoch,
 * else the log cannot say what happened up to T (a gap, or T after the last
 * moment seen) and nothing is restored.
 */
#include "pitr.h"
#include "cli/common/files.h"
#include "pg_backup.h"
#include "sealed.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What the log gives for T. */
typedef struct pitr_plan {
	int64_t target;
	bool have_base, covered;
	pitr_rec base;     /* the newest base at or before T */
	uint64_t last_seq; /* the last commit to apply */
	int64_t last_time, first_time, seen_until;
	uint64_t commits;
	bool broken; /* the epoch's commits do not follow one another */
	/* the newest row counts at or before T (an 'R' record) and the commit
	 * they follow: checked when that is the last commit applied */
	char *rows;
	uint64_t rows_seq;
	/* a capture resumed: from the last moment seen before (resumed_from,
	 * -1: none pending) to the first record after, the commits of that
	 * record happened at some unknown moment; T inside is refused */
	int64_t resumed_from, blind_from, blind_to;
} pitr_plan;

/* A closed segment's SHA-256 against its log-<seq>.json; 0 when it
 * matches or there is no record of it (a capture killed in between). */
static int check_manifest(const char *seg)
{
	char *json = NULL, sha[65];
	size_t n = strlen(seg);
	if (asprintf(&json, "%.*s.json", (int)(n - 7), seg) < 0)
		return -1;
	FILE *f = fopen(json, "r");
	free(json);
	if (!f)
		return 0;
	char buf[1024] = "";
	size_t got = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[got] = '\0';
	const char *p = strstr(buf, "\"sha256\":\"");
	if (!p || cli_file_sha256(seg, sha) != 0 || strncmp(p + 10, sha, 64) != 0) {
		cli_errorf("the log segment %s is not the one its record describes (SHA-256)", seg);
		return -1;
	}
	return 0;
}

/* The records of one segment to fn. A closed segment must be whole; an
 * open one ends where its capture is writing (or was killed). */
static int read_segment(char *seg, uint32_t *page_size, pitr_rec_fn fn, void *arg)
{
	bool open_seg = pitr_segment_open(seg);
	char *scratch = NULL, magic[8];
	FILE *f = pitr_segment_fopen(seg, &scratch);
	if (!f && open_seg && errno == ENOENT) {
		/* closed since the listing: the same records under its closed name */
		seg[strlen(seg) - 5] = '\0';
		f = pitr_segment_fopen(seg, &scratch);
	}
	if (!f || fread(magic, 1, 8, f) != 8 || memcmp(magic, PITR_SEG_MAGIC, 8) != 0) {
		if (f)
			fclose(f);
		cli_scratch_release(scratch);
		if (open_seg)
			return 0; /* a segment just created */
		cli_errorf("%s is not a dbcare log segment", seg);
		return -1;
	}
	pitr_rec r;
	off_t off;
	int got, rc = 0;
	while (rc == 0 && (got = pitr_read(f, *page_size, &r, &off)) > 0) {
		if (r.type == PITR_REC_BASE)
			*page_size = r.page_size;
		rc = fn(arg, &r);
		pitr_rec_free(&r);
	}
	fclose(f);
	cli_scratch_release(scratch);
	if (rc == 0 && got < 0 && !open_seg) {
		cli_errorf("the log segment %s is damaged at byte %lld", seg, (long long)off);
		rc = -1;
	}
	return rc;
}

int pitr_each_record(const char *dir, pitr_rec_fn fn, void *arg, bool check)
{
	pitr_log_use_host(cli_files_host(false));
	char **segs = pitr_segments(dir);
	if (!segs) {
		cli_errorf("cannot read the log directory %s: %s", dir, strerror(errno));
		return -1;
	}
	int rc = 0;
	uint32_t page_size = 0;
	for (size_t i = 0; rc == 0 && segs[i]; i++) {
		if (pitr_segment_superseded(segs[i]))
			continue; /* its closed twin holds the same records */
		if (check && !pitr_segment_open(segs[i]))
			rc = check_manifest(segs[i]);
		if (rc == 0)
			rc = read_segment(segs[i], &page_size, fn, arg);
	}
	pitr_free_list(segs);
	return rc;
}

static int plan_record(void *arg, const pitr_rec *r)
{
	pitr_plan *p = arg;
	if (!p->first_time)
		p->first_time = r->time_ms;
	if (r->type == PITR_REC_BASE && r->time_ms <= p->target) {
		pitr_rec_free(&p->base);
		p->base = *r;
		p->base.base_name = strdup(r->base_name);
		p->base.pages = NULL;
		p->have_base = true;
		p->covered = r->time_ms == p->target;
		p->last_seq = r->seq;
		p->last_time = p->seen_until = r->time_ms;
		p->commits = 0;
		p->broken = false;
		p->resumed_from = -1;
		p->blind_from = p->blind_to = 0;
		free(p->rows);
		p->rows = NULL;
		return p->base.base_name ? 0 : -1;
	}
	if (!p->have_base || r->epoch != p->base.epoch)
		return 0;
	if (r->type == PITR_REC_RESUME) {
		p->resumed_from = r->time_ms;
		return 0;
	}
	if (p->resumed_from >= 0 && r->type == PITR_REC_COMMIT && p->resumed_from < p->target &&
	    p->target < r->time_ms) {
		p->blind_from = p->resumed_from;
		p->blind_to = r->time_ms;
	}
	p->resumed_from = -1;
	if (r->time_ms >= p->target)
		p->covered = true;
	if (r->time_ms > p->target)
		return 0;
	p->seen_until = r->time_ms;
	if (r->type == PITR_REC_ROWS) {
		free(p->rows);
		p->rows = strdup(r->rows);
		p->rows_seq = r->seq;
		return p->rows ? 0 : -1;
	}
	if (r->type == PITR_REC_COMMIT) {
		if (r->seq != p->last_seq + 1)
			p->broken = true;
		p->last_seq = r->seq;
		p->last_time = r->time_ms;
		p->commits++;
	}
	return 0;
}

/* Says why T cannot be restored from the log; -1. */
static int explain(const pitr_plan *p, const char *dir, const char *t)
{
	char a[32], b[32];
	if (p->blind_to) {
		pitr_time_text(p->blind_from, a);
		pitr_time_text(p->blind_to, b);
		cli_errorf("no capture ran from %s to %s UTC, and commits of that stretch were seen only "
		           "at its end: the log cannot restore to %s exactly (a time outside it can)",
		           a, b, t);
	} else if (!p->have_base && !p->first_time)
		cli_errorf("no point-in-time log in %s (dbcare log writes one)", dir);
	else if (!p->have_base) {
		pitr_time_text(p->first_time, a);
		cli_errorf("the log in %s begins at %s UTC, after %s: nothing to restore to that time", dir,
		           a, t);
	} else if (p->broken)
		cli_errorf("the log in %s misses commits of epoch %u: it cannot restore to %s", dir,
		           p->base.epoch, t);
	else {
		pitr_time_text(p->seen_until, a);
		pitr_time_text(p->target, b);
		cli_errorf("the log in %s reaches only to %s UTC in that stretch: the capture did not see "
		           "the database at %s UTC (it was not running, or has not caught up yet)",
		           dir, a, b);
	}
	return -1;
}

typedef struct apply_arg {
	const pitr_plan *p;
	int fd;
	uint32_t page_size, db_pages;
} apply_arg;

static int apply_record(void *arg, const pitr_rec *r)
{
	apply_arg *a = arg;
	if (r->type != PITR_REC_COMMIT || r->epoch != a->p->base.epoch || r->seq <= a->p->base.seq ||
	    r->seq > a->p->last_seq)
		return 0;
	size_t step = 4 + (size_t)a->page_size;
	for (uint32_t i = 0; i < r->npages; i++) {
		const unsigned char *e = r->pages + i * step;
		uint32_t pgno =
		    (uint32_t)e[0] | (uint32_t)e[1] << 8 | (uint32_t)e[2] << 16 | (uint32_t)e[3] << 24;
		if (pwrite(a->fd, e + 4, a->page_size, (off_t)(pgno - 1) * a->page_size) !=
		    (ssize_t)a->page_size) {
			cli_errorf("cannot write the restored image: %s", strerror(errno));
			return -1;
		}
	}
	a->db_pages = r->db_pages;
	return 0;
}

/* The base's database copied from in to fd; a sealed base opened first
 * (into a scratch file without a name). */
static int copy_plain(const char *path, int in, int fd)
{
	char *scratch = NULL, *why = NULL, buf[1 << 16];
	int src = in;
	if (cli_is_sealed(path)) {
		if (!(scratch = cli_unseal_to_temp(path, NULL, &why))) {
			if (why)
				cli_errorf("cannot open the sealed base %s: %s", path, why);
			free(why);
			return -1;
		}
		src = open(scratch, O_RDONLY | O_CLOEXEC);
	}
	ssize_t n;
	int rc = src >= 0 ? 0 : -1;
	while (rc == 0 && (n = read(src, buf, sizeof buf)) != 0)
		rc = n > 0 && write(fd, buf, (size_t)n) == n ? 0 : -1;
	if (rc != 0)
		cli_errorf("cannot copy the base %s: %s", path, strerror(errno));
	if (scratch) {
		if (src >= 0)
			close(src);
		cli_scratch_release(scratch);
	}
	return rc;
}

/* The base copied to fd, its SHA-256 checked against its record. */
static int copy_base(const char *dir, const pitr_rec *b, int fd)
{
	char *path = NULL, sha[65];
	if (asprintf(&path, "%s/%s", dir, b->base_name) < 0)
		return -1;
	int in = open(path, O_RDONLY | O_CLOEXEC), rc = -1;
	if (in < 0 || cli_file_sha256(path, sha) != 0)
		cli_errorf("cannot read the base %s: %s", path, strerror(errno));
	else if (strcmp(sha, b->base_sha) != 0)
		cli_errorf("the base %s is not the file the log names (SHA-256 %s, the log: %s)", path, sha,
		           b->base_sha);
	else
		rc = copy_plain(path, in, fd);
	if (in >= 0)
		close(in);
	free(path);
	return rc;
}

/* Every table's row count in db against the log's "table<TAB>rows<LF>"
 * lines; 0, or -1 after saying which differs. */
static int check_rows(sqlite3 *db, const char *rows)
{
	for (const char *line = rows; *line;) {
		const char *tab = strchr(line, '\t'), *end = tab ? strchr(tab, '\n') : NULL;
		if (!end)
			return -1;
		char *name = strndup(line, (size_t)(tab - line));
		long long want = strtoll(tab + 1, NULL, 10), got = -1;
		char *q = name ? sqlite3_mprintf("SELECT count(*) FROM main.\"%w\"", name) : NULL;
		sqlite3_stmt *st = NULL;
		if (q && sqlite3_prepare_v2(db, q, -1, &st, NULL) == SQLITE_OK &&
		    sqlite3_step(st) == SQLITE_ROW)
			got = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		sqlite3_free(q);
		if (got != want)
			cli_errorf(
			    "the restored image has %lld rows in %s; the log counted %lld at that moment", got,
			    name ? name : "?", want);
		free(name);
		if (got != want)
			return -1;
		line = end + 1;
	}
	return 0;
}

/* The image checked as SQLite sees it: integrity_check "ok", and the row
 * counts the log recorded at that moment (rows; NULL: none recorded). */
static int check_image(const char *image, const char *rows)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int ok = 0;
	if (sqlite3_open_v2(image, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		ok = strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0 ? 1 : -1;
	if (ok <= 0)
		cli_errorf("the restored image fails PRAGMA integrity_check: %s",
		           ok < 0 ? (const char *)sqlite3_column_text(st, 0) : sqlite3_errmsg(db));
	sqlite3_finalize(st);
	if (ok > 0 && rows && check_rows(db, rows) != 0)
		ok = 0;
	sqlite3_close_v2(db);
	return ok > 0 ? 0 : -1;
}

/* The row counts that describe the moment restored: those recorded right
 * after its last commit; NULL when none were. */
static const char *rows_for(const pitr_plan *p)
{
	return p->rows && p->rows_seq == p->last_seq ? p->rows : NULL;
}

/* The scratch image and the -wal and -shm opening it may leave. */
static void remove_image(const char *image)
{
	char *side = NULL;
	unlink(image);
	for (int i = 0; i < 2; i++)
		if (asprintf(&side, "%s%s", image, i ? "-shm" : "-wal") >= 0) {
			unlink(side);
			free(side);
		}
}

/* Base + commits into a new scratch file beside main_file; its name. */
static char *build_image(const char *dir, const pitr_plan *p, const char *main_file)
{
	char *image = NULL;
	if (asprintf(&image, "%s.pitr-XXXXXX", main_file) < 0)
		return NULL;
	int fd = mkstemp(image);
	if (fd < 0) {
		cli_errorf("cannot create a scratch file beside %s: %s", main_file, strerror(errno));
		free(image);
		return NULL;
	}
	apply_arg a = {p, fd, p->base.page_size, p->base.db_pages};
	int rc = copy_base(dir, &p->base, fd);
	if (rc == 0)
		rc = pitr_each_record(dir, apply_record, &a, false);
	if (rc == 0 && (ftruncate(fd, (off_t)a.db_pages * a.page_size) != 0 || fsync(fd) != 0)) {
		cli_errorf("cannot finish the restored image: %s", strerror(errno));
		rc = -1;
	}
	close(fd);
	if (rc == 0)
		rc = check_image(image, rows_for(p));
	if (rc != 0) {
		remove_image(image);
		free(image);
		return NULL;
	}
	return image;
}

static void print_result(cli_db *db, cli_opts *o, const pitr_plan *p, const char *dir)
{
	char last[32], t[32];
	pitr_time_text(p->last_time, last);
	pitr_time_text(p->target, t);
	if (o->out.format == CLI_FMT_JSON) {
		fputs("{\"database\":", stdout);
		cli_json_string(stdout, db->label);
		fputs(",\"log\":", stdout);
		cli_json_string(stdout, dir);
		printf(",\"to_time\":\"%s\",\"base\":", t);
		cli_json_string(stdout, p->base.base_name);
		printf(",\"commits_applied\":%llu,\"last_commit_seen\":\"%s\",\"check\":\"ok\","
		       "\"rows_checked\":%s}\n",
		       (unsigned long long)p->commits, last, rows_for(p) ? "true" : "false");
	} else if (!o->out.quiet) {
		printf("restored %s to %s UTC into the new database %s: base %s and %llu commits (the "
		       "last seen at %s UTC)%s\n",
		       dir, t, db->label, p->base.base_name, (unsigned long long)p->commits, last,
		       rows_for(p) ? "; row counts equal to the log's at that moment" : "");
	}
}

int cli_pitr_restore(cli_db *db, cli_opts *o, const char *dir)
{
	pitr_plan p = {.resumed_from = -1};
	if (pitr_time_parse(o->to_time, &p.target) != 0) {
		cli_errorf("--to-time needs a time such as 2026-11-24 11:19:13.250 (UTC) or "
		           "2026-11-24T12:19:13+01:00, not \"%s\"",
		           o->to_time);
		return CLI_USAGE;
	}
	cli_rows r = {0};
	if (cli_q(db, o,
	          "SELECT file, (SELECT page_count FROM pragma_page_count) FROM "
	          "pragma_database_list WHERE name = 'main'",
	          0, NULL, &r) != 0)
		return CLI_ERROR;
	int rc = CLI_ERROR;
	char *image = NULL;
	if (!cli_cell(&r, 0, 1) || strcmp(cli_cell(&r, 0, 1), "0") != 0)
		cli_errorf("restore --to-time creates a new database: %s is not empty", db->label);
	else if (pitr_each_record(dir, plan_record, &p, true) != 0)
		;
	else if (!p.have_base || !p.covered || p.broken || p.blind_to)
		explain(&p, dir, o->to_time);
	else if ((image = build_image(dir, &p, cli_cell(&r, 0, 0)))) {
		char *err = NULL;
		if (db->drv->restore_from(db, image, &err) != 0) {
			fprintf(stderr, "%s\n", err ? err : "dbcare: the restore failed");
			free(err);
		} else {
			print_result(db, o, &p, dir);
			rc = CLI_OK;
		}
		remove_image(image);
		free(image);
	}
	pitr_rec_free(&p.base);
	free(p.rows);
	cli_rows_free(&r);
	return rc;
}
