/*
 * pitr_restore.c — `dbcare restore --to-time T DIR` on SQLite: from the
 * log directory alone (pitr_log.h), the newest base taken at or before T
 * and the commits of its epoch the capture saw at or before T, applied page
 * by page to a copy of the base in a scratch file beside the target;
 * checked (every record's SHA-256, each closed segment's against its
 * record, the base's, the commits one after another, PRAGMA
 * integrity_check of the result) before the target gets it. T must be
 * covered (pitr_cover.c): else the log cannot say what the database held
 * at T (a base being copied, a backlog being caught up, a gap, or T after
 * the last moment seen) and nothing is restored.
 */
#include "pitr.h"
#include "cli/common/files.h"
#include "cli/backup/common/pg_backup.h"
#include "cli/backup/common/sealed.h"
#include "container/container.h"
#include "sqlite/pitr/pitr.h"

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
	int64_t last_time, first_time;
	pitr_cover cover; /* what the base's epoch covers, read so far */
	uint64_t commits;
	bool broken; /* the epoch's commits do not follow one another */
	/* a record later than T was read: the log's order is the database's,
	 * so no later record is at or before T, whatever its stamp says (a log
	 * from a build that let a clock stepped back stamp a later commit
	 * earlier) */
	bool past_target;
	/* the newest row counts at or before T (an 'R' record) and the commit
	 * they follow: checked when that is the last commit applied */
	char *rows;
	uint64_t rows_seq;
	/* --to-mark: the place instead of a time, the commit seq of epoch */
	const char *mark;
	uint32_t mark_epoch;
	uint64_t mark_seq;
	/* the walk over the log (which segment is read) and the segment of
	 * the base: the commits are applied from there */
	pitr_walk walk;
	uint64_t base_seg;
} pitr_plan;

/* The base r starts the plan again: what came before it is not read. */
static int plan_base(pitr_plan *p, const pitr_rec *r)
{
	pitr_rec_free(&p->base);
	p->base = *r;
	p->base.base_name = strdup(r->base_name);
	p->base.pages = NULL;
	p->base.rows = NULL;
	p->have_base = true;
	p->base_seg = p->walk.seg;
	p->last_seq = r->seq;
	p->last_time = r->time_ms;
	p->commits = 0;
	p->broken = false;
	free(p->rows);
	p->rows = NULL;
	pitr_cover_free(&p->cover);
	return p->base.base_name && pitr_cover_add(&p->cover, r) == 0 ? 0 : -1;
}

/* Row counts r describes the database after its commit with. */
static int plan_rows(pitr_plan *p, const pitr_rec *r)
{
	free(p->rows);
	p->rows = strdup(r->rows);
	p->rows_seq = r->seq;
	return p->rows ? 0 : -1;
}

/* A restore to a place (a mark's commit): the base of its epoch and the
 * commits up to it, whatever their times; covered once it is seen. */
static int plan_place_record(pitr_plan *p, const pitr_rec *r)
{
	if (r->epoch != p->mark_epoch)
		return 0;
	if (r->type == PITR_REC_BASE) {
		int rc = plan_base(p, r);
		p->covered = r->seq == p->mark_seq;
		return rc;
	}
	if (!p->have_base)
		return 0;
	if (r->type == PITR_REC_ROWS && r->seq == p->mark_seq)
		return plan_rows(p, r);
	if (r->type != PITR_REC_COMMIT || r->seq > p->mark_seq)
		return 0;
	if (r->seq != p->last_seq + 1)
		p->broken = true;
	p->last_seq = r->seq;
	p->last_time = p->target = r->time_ms;
	p->commits++;
	p->covered = r->seq == p->mark_seq;
	return 0;
}

static int plan_time_record(pitr_plan *p, const pitr_rec *r)
{
	if (!p->first_time)
		p->first_time = r->time_ms;
	if (p->mark)
		return plan_place_record(p, r);
	if (p->past_target) /* only the row counts of the last commit applied */
		return r->type == PITR_REC_ROWS && r->epoch == p->base.epoch && r->seq == p->last_seq
		           ? plan_rows(p, r)
		           : 0;
	if (r->type == PITR_REC_BASE && r->time_ms <= p->target)
		return plan_base(p, r);
	if (r->type == PITR_REC_BASE && p->have_base) {
		p->past_target = true;
		return 0;
	}
	if (!p->have_base || r->epoch != p->base.epoch || r->type == PITR_REC_RESUME)
		return 0;
	/* row counts describe the database after their commit, whenever they
	 * were taken: those after T still describe T when no commit came
	 * between (the last commit at or before T is theirs) */
	if (r->type == PITR_REC_ROWS && (r->time_ms <= p->target || r->seq == p->last_seq))
		return plan_rows(p, r);
	if (r->time_ms > p->target) {
		p->past_target = true;
		return 0;
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

/* Whether T is covered (a place: once its commit is seen), and the
 * stretches covered nearest before and after T. */
static bool plan_covered(const pitr_plan *p, const pitr_stretch **before,
                         const pitr_stretch **after)
{
	const pitr_stretch *in = pitr_cover_find(&p->cover, p->target, before, after);
	return p->mark ? p->covered : in != NULL;
}

/* Past T, a new base, or a commit of the base's epoch once T is covered
 * (or, when it is not, once the log covers a moment after it for good:
 * the nearest to offer; a record stamped at that stretch's end may still
 * take it back, pitr_cover.c, so only one stamped after it settles it):
 * what follows changes nothing the plan holds (the commits applied,
 * their row counts, whether T is covered), and is not read. */
static bool plan_done(const pitr_plan *p, const pitr_rec *r)
{
	const pitr_stretch *before, *after;
	if (p->mark || !p->have_base || r->time_ms <= p->target)
		return false;
	return r->type == PITR_REC_BASE ||
	       (r->type == PITR_REC_COMMIT && r->epoch == p->base.epoch &&
	        (plan_covered(p, &before, &after) || (after && r->time_ms > after->to)));
}

static int plan_record(void *arg, const pitr_rec *r)
{
	pitr_plan *p = arg;
	int rc = plan_time_record(p, r);
	if (rc == 0 && !p->mark && p->have_base && r->type != PITR_REC_BASE)
		rc = pitr_cover_add(&p->cover, r);
	return rc == 0 && plan_done(p, r) ? PITR_WALK_STOP : rc;
}

/* Where the plan for T may begin reading: the last segment that begins
 * with a base taken at or before T (a base always opens a segment of its
 * own), by its first record's header; 0 (all) when none is found that way
 * (sealed segments are not looked into). Whatever comes before such a base
 * changes nothing a plan for T holds: the plan begins again at each base
 * at or before T. */
static uint64_t plan_start(const char *dir, int64_t target)
{
	char **segs = pitr_segments(dir);
	uint64_t from = 0;
	for (size_t i = 0; segs && segs[i]; i++) {
		uint32_t type;
		int64_t at;
		if (pitr_segment_first(segs[i], &type, &at) && type == PITR_REC_BASE && at <= target)
			from = pitr_segment_seq(segs[i]);
	}
	pitr_free_list(segs);
	return from;
}

/* Says why T, inside the base's epoch, is not covered: the gap it lies
 * in (before the stretch after it), or past the last moment seen. */
static void explain_gap(const pitr_plan *p, const char *dir, const pitr_stretch *before,
                        const pitr_stretch *after)
{
	char a[32], b[32], t[32], near[64] = "";
	pitr_time_text(p->target, t);
	if (!after) {
		if (before)
			pitr_time_text(before->to, a);
		else
			pitr_time_text(p->base.time_ms, a);
		cli_errorf("the log in %s reaches only to %s UTC in that stretch: the capture did not see "
		           "the database at %s UTC (it was not running, or has not caught up yet)%s",
		           dir, a, t, before ? "" : "; no whole poll has read the WAL since its base");
		return;
	}
	pitr_time_text(after->blind_from, a);
	pitr_time_text(after->from, b);
	if (after->gap_before == PITR_GAP_RESUME) {
		cli_errorf("no capture ran from %s to %s UTC, and commits of that stretch were seen only "
		           "at its end: the log cannot restore to %s exactly (a time outside it can)",
		           a, b, t);
		return;
	}
	if (before) {
		pitr_time_text(before->to, t);
		snprintf(near, sizeof near, "%s UTC and", t);
		pitr_time_text(p->target, t);
	} else {
		snprintf(near, sizeof near, "the end of the previous stretch (log status) and");
	}
	if (after->gap_before == PITR_GAP_BASE)
		cli_errorf("the log in %s does not cover %s UTC: the capture was copying the base it took "
		           "at %s UTC and read the commits made meanwhile only at %s UTC; the nearest "
		           "moments it restores exactly are %s %s UTC",
		           dir, t, a, b, near, b);
	else
		cli_errorf(
		    "the log in %s does not cover %s UTC: commits made after the capture's last "
		    "read of an unchanged WAL at %s UTC were read only at %s UTC (read at its next "
		    "poll, or it fell behind: a backlog read in parts, or a stall), so when each was "
		    "made is not known; the nearest moments it restores exactly are %s %s UTC",
		    dir, t, a, b, near, b);
}

/* Says why T cannot be restored from the log; -1. */
static int explain(const pitr_plan *p, const char *dir, const char *t)
{
	char a[32];
	const pitr_stretch *before, *after;
	if (p->mark) {
		cli_errorf("the log in %s misses commits of epoch %u up to the restore point \"%s\"", dir,
		           p->mark_epoch, p->mark);
	} else if (!p->have_base && !p->first_time)
		cli_errorf("no point-in-time log in %s (dbcare log writes one)", dir);
	else if (!p->have_base) {
		pitr_time_text(p->first_time, a);
		cli_errorf("the log in %s begins at %s UTC, after %s: nothing to restore to that time", dir,
		           a, t);
	} else if (p->broken)
		cli_errorf("the log in %s misses commits of epoch %u: it cannot restore to %s", dir,
		           p->base.epoch, t);
	else if (!plan_covered(p, &before, &after))
		explain_gap(p, dir, before, after);
	return -1;
}

/* Whether the plan restores: a base, T covered, the commits whole. */
static bool plan_ok(const pitr_plan *p)
{
	const pitr_stretch *before, *after;
	return p->have_base && !p->broken && plan_covered(p, &before, &after);
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

/* A base is of the database its log.identity names: a base of another
 * database's log swapped in (its record adjusted to match) carries that
 * database's identity in its bookkeeping. Judged by core/container's one
 * rule (dbc_container_origin_matches), the log directory cataloguing its
 * base as a catalog row does its file: no --allow-origin passes it. Where
 * either side names no identity there is nothing to compare. 0, or -1
 * after saying why. */
static int check_base_origin(const char *dir, const pitr_rec *base, const char *image)
{
	pitr_owner ow;
	int loaded = pitr_owner_load(dir, &ow);
	if (loaded <= 0)
		return loaded;
	char *id = sqldbc_plain_identity(image), *origin = NULL, *subject = NULL, *why = NULL;
	int rc = 0;
	if (id && strcmp(ow.identity, "-") != 0) {
		dbc_container_expect want = {.identity = ow.identity,
		                             .file = ow.database,
		                             .published = dir,
		                             .kind = "log base",
		                             .plain = true};
		if (asprintf(&origin, DBC_CONTAINER_ORIGIN_ID "%s %s\n%s", id, ow.database, dir) < 0 ||
		    asprintf(&subject, "the base %s/%s", dir, base->base_name) < 0) {
			origin = subject = NULL;
			cli_errorf("out of memory");
			rc = -1;
		} else if ((want.subject = subject, !dbc_container_origin_matches(origin, &want, &why))) {
			/* the rule's verdict; said here, since a base names no file of
			 * its own (only its bookkeeping's identity) */
			cli_errorf("%s carries identity %s in its bookkeeping, but the log in %s is of "
			           "database %s (identity %s, log.identity): a base copied in from another "
			           "database's log; nothing restored (move it back to its own log directory, "
			           "and restore from this database's own log)",
			           subject, id, dir, ow.database, ow.identity);
			rc = -1;
		}
	}
	free(why);
	free(subject);
	free(origin);
	free(id);
	pitr_owner_free(&ow);
	return rc;
}

/* Base + commits into a new scratch file beside main_file; its name. */
static char *build_image(const char *dir, const pitr_plan *p, const char *main_file)
{
	char *image = NULL;
	if (asprintf(&image, "%s.pitr-XXXXXX", main_file) < 0)
		return NULL;
	int fd = cli_stop_mkstemp(CLI_STOP_IMAGE, image);
	if (fd < 0) {
		cli_errorf("cannot create a scratch file beside %s: %s", main_file, strerror(errno));
		free(image);
		return NULL;
	}
	uint32_t db_pages = p->base.db_pages;
	int rc = pitr_copy_base(dir, &p->base, fd);
	if (rc == 0)
		rc = pitr_apply_from(dir, p->base_seg, fd, p->base.epoch, p->base.seq, p->last_seq,
		                     p->base.page_size, &db_pages);
	/* not synced: a scratch file, checked through the page cache and
	 * copied into the target, which SQLite syncs */
	if (rc == 0 && ftruncate(fd, (off_t)db_pages * p->base.page_size) != 0) {
		cli_errorf("cannot finish the restored image: %s", strerror(errno));
		rc = -1;
	}
	close(fd);
	if (rc == 0)
		rc = check_image(image, rows_for(p));
	if (rc == 0)
		rc = check_base_origin(dir, &p->base, image);
	if (rc != 0) {
		pitr_remove_image(image);
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
		if (p->mark) {
			fputs(",\"to_mark\":", stdout);
			cli_json_string(stdout, p->mark);
			printf(",\"mark_commit\":%llu", (unsigned long long)p->mark_seq);
		}
		printf(",\"to_time\":\"%s\",\"base\":", t);
		cli_json_string(stdout, p->base.base_name);
		printf(",\"commits_applied\":%llu,\"last_commit_seen\":\"%s\",\"check\":\"ok\","
		       "\"rows_checked\":%s}\n",
		       (unsigned long long)p->commits, last, rows_for(p) ? "true" : "false");
	} else if (!o->out.quiet) {
		char mark[160] = "";
		if (p->mark)
			snprintf(mark, sizeof mark, " (the restore point \"%s\", commit %llu of epoch %u)",
			         p->mark, (unsigned long long)p->mark_seq, p->mark_epoch);
		printf("restored %s to %s UTC%s into the new database %s: base %s and %llu commits (the "
		       "last seen at %s UTC)%s\n",
		       dir, t, mark, db->label, p->base.base_name, (unsigned long long)p->commits, last,
		       rows_for(p) ? "; row counts equal to the log's at that moment" : "");
	}
}

/* The plan read from the log: from the last base at or before T (a time)
 * or from the start (a place), to the first record that ends it. */
static int plan_read(const char *dir, pitr_plan *p)
{
	p->walk.from = p->mark ? 0 : plan_start(dir, p->target);
	return pitr_walk_records(dir, &p->walk, plan_record, p, true);
}

/* What the restore goes to: --to-mark's place in the log (found by
 * building images, beside main_file), or --to-time's moment. */
static int plan_target(cli_opts *o, const char *dir, const char *main_file, pitr_plan *p)
{
	if (o->to_mark) {
		p->mark = o->to_mark;
		return pitr_mark_find(o, dir, o->to_mark, main_file, &p->mark_epoch, &p->mark_seq) == 0
		           ? CLI_OK
		           : CLI_ERROR;
	}
	if (strcmp(o->to_time, "latest") == 0) { /* the newest moment the log restores to */
		if (pitr_reach(o, dir, &p->target) != 0)
			return CLI_ERROR;
		if (p->target)
			return CLI_OK;
		cli_errorf("no point-in-time log to restore in %s (dbcare log writes one; a capture "
		           "that has only begun restores from its first whole poll after its base)",
		           dir);
		return CLI_ERROR;
	}
	/* a date alone is that day's midnight, UTC */
	char midnight[32];
	bool day = strlen(o->to_time) == 10 && strspn(o->to_time, "0123456789-") == 10;
	snprintf(midnight, sizeof midnight, "%s%s", o->to_time, day ? " 00:00" : "");
	int parsed = pitr_time_parse(midnight, &p->target);
	if (parsed == 0)
		return CLI_OK;
	if (parsed == -2)
		cli_errorf("--to-time \"%s\" is no moment of the calendar (a day the month has not, "
		           "or an hour, minute or second out of range)",
		           o->to_time);
	else
		cli_errorf("--to-time needs a time such as 2026-11-24 11:19:13.250 (UTC), "
		           "2026-11-24T12:19:13+01:00 or 2026-11-24 (its midnight, UTC), or latest, "
		           "not \"%s\"",
		           o->to_time);
	return CLI_USAGE;
}

/* A restore made a new database of the log's: which one, in one line
 * (log.identity; a log without one names none). */
static void say_origin(cli_opts *o, const char *dir)
{
	pitr_owner ow;
	if (pitr_owner_load(dir, &ow) == 1)
		cli_note(&o->out, "the log in %s is of database %s (identity %s)", dir, ow.database,
		         ow.identity);
	pitr_owner_free(&ow);
}

int cli_pitr_restore(cli_db *db, cli_opts *o, const char *dir)
{
	pitr_plan p = {0};
	cli_rows r = {0};
	if (cli_q(db, o,
	          "SELECT file, (SELECT page_count FROM pragma_page_count) FROM "
	          "pragma_database_list WHERE name = 'main'",
	          0, NULL, &r) != 0)
		return CLI_ERROR;
	/* held while the image beside the target exists: the restore that
	 * next gets it alone sweeps what a killed one left (restore_leftovers.c) */
	int rc = CLI_ERROR, guard = cli_restore_guard(o, cli_cell(&r, 0, 0));
	char *image = NULL;
	if (!cli_cell(&r, 0, 1) || strcmp(cli_cell(&r, 0, 1), "0") != 0)
		cli_errorf("restore %s creates a new database: %s is not empty",
		           o->to_mark ? "--to-mark LABEL DIR" : "--to-time", db->label);
	else if (cli_restore_target_check(cli_cell(&r, 0, 0), dir) != 0)
		;
	else if ((cli_stop_track(CLI_STOP_TARGET, cli_cell(&r, 0, 0)),
	          (rc = plan_target(o, dir, cli_cell(&r, 0, 0), &p)) != CLI_OK))
		;
	else if ((rc = CLI_ERROR, plan_read(dir, &p) != 0))
		;
	else if (!plan_ok(&p))
		explain(&p, dir, o->to_time);
	else if ((image = build_image(dir, &p, cli_cell(&r, 0, 0)))) {
		char *err = NULL;
		if (db->drv->restore_from(db, image, &err) != 0) {
			fprintf(stderr, "%s\n", err ? err : "dbcare: the restore failed");
			free(err);
		} else {
			say_origin(o, dir);
			print_result(db, o, &p, dir);
			cli_restored_log_dir_clear(db, o);
			rc = CLI_OK;
		}
		pitr_remove_image(image);
		free(image);
	}
	cli_stop_track(CLI_STOP_TARGET, NULL);
	cli_stop_track(CLI_STOP_IMAGE, NULL);
	cli_restore_unguard(guard);
	pitr_rec_free(&p.base);
	pitr_cover_free(&p.cover);
	free(p.rows);
	cli_rows_free(&r);
	return rc;
}

char *pitr_image_at(const char *dir, int64_t t, const char *beside, pitr_restored *out)
{
	pitr_plan p = {.target = t};
	char *image = NULL, when[32];
	pitr_time_text(t, when);
	if (plan_read(dir, &p) != 0)
		;
	else if (!plan_ok(&p))
		explain(&p, dir, when);
	else if ((image = build_image(dir, &p, beside))) {
		snprintf(out->base, sizeof out->base, "%s", p.base.base_name);
		out->commits = p.commits;
		out->last_commit_ms = p.last_time;
		out->rows_checked = rows_for(&p) != NULL;
	}
	pitr_rec_free(&p.base);
	pitr_cover_free(&p.cover);
	free(p.rows);
	return image;
}
