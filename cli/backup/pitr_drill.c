/*
 * pitr_drill.c — `dbcare backup drill --log DIR` (SQLite): the restore
 * drill of a point-in-time log. Its last restorable moment R (the newest
 * record of its newest stretch, what log status lists last) is restored
 * from the files alone into a scratch file beside the database and checked
 * as restore --to-time checks it (every record's SHA-256, each closed
 * segment's, the base's, integrity_check, the row counts recorded at that
 * commit when there are); the scratch file is removed. The measured
 * recovery point is now - R once the log was read: the commits of that
 * last stretch of time are what a restore at that moment could not have
 * given back (a capture that runs keeps it near its poll interval).
 */
#include "pitr.h"

#include "base/clock.h"

#include <stdlib.h>
#include <string.h>

/* The newest moment the log restores to (0: none). */
typedef struct reach {
	uint32_t epoch;
	bool have_base;
	int64_t last;
} reach;

static int reach_record(void *arg, const pitr_rec *r)
{
	reach *a = arg;
	if (r->type == PITR_REC_BASE) {
		a->epoch = r->epoch;
		a->have_base = true;
		a->last = r->time_ms;
	} else if (a->have_base && r->epoch == a->epoch && r->type != PITR_REC_RESUME &&
	           r->time_ms > a->last) {
		a->last = r->time_ms;
	}
	return 0;
}

static void print_drill(cli_opts *o, const char *dir, int64_t read_at, int64_t at,
                        const pitr_restored *res, double ms)
{
	char t[32], last[32];
	pitr_time_text(at, t);
	pitr_time_text(res->last_commit_ms, last);
	if (o->out.format == CLI_FMT_JSON) {
		fputs("{\"log\":", stdout);
		cli_json_string(stdout, dir);
		printf(",\"restored_to\":\"%s\",\"recovery_point_ms\":%lld,\"base\":", t,
		       (long long)(read_at - at));
		cli_json_string(stdout, res->base);
		printf(",\"commits_applied\":%llu,\"last_commit_seen\":\"%s\",\"check\":\"ok\","
		       "\"rows_checked\":%s,\"duration_ms\":%.1f,\"ok\":true}\n",
		       (unsigned long long)res->commits, last, res->rows_checked ? "true" : "false", ms);
	} else if (!o->out.quiet) {
		printf("log drill of %s: restored to its last restorable moment %s UTC (base %s and "
		       "%llu commits, the last seen at %s UTC), integrity_check ok%s, in %.0f ms\n"
		       "recovery point: %lld ms (the log reached to %lld ms before it was read)\n",
		       dir, t, res->base, (unsigned long long)res->commits, last,
		       res->rows_checked ? ", row counts equal to the log's" : "", ms,
		       (long long)(read_at - at), (long long)(read_at - at));
	}
}

int cli_pitr_drill(cli_db *db, cli_opts *o, const char *dir)
{
	double t0 = dbc_monotonic_ms();
	reach r = {0};
	cli_rows f = {0};
	if (pitr_each_record(dir, reach_record, &r, true) != 0)
		return CLI_ERROR;
	/* once the log was read to its end: a capture may have written on
	 * while it was read (a record is stamped when its poll began, within
	 * a millisecond rounded up) */
	int64_t read_at = pitr_now_ms();
	if (read_at < r.last)
		read_at = r.last;
	if (!r.have_base) {
		cli_errorf("log drill: nothing to restore in %s (dbcare log writes a log there)", dir);
		return CLI_ERROR;
	}
	if (cli_q(db, o, "SELECT file FROM pragma_database_list WHERE name = 'main'", 0, NULL, &f) !=
	        0 ||
	    !cli_cell(&f, 0, 0) || !*cli_cell(&f, 0, 0)) {
		cli_rows_free(&f);
		cli_errorf("log drill: the database has no file to put the scratch image beside");
		return CLI_ERROR;
	}
	pitr_restored res = {0};
	char *image = pitr_image_at(dir, r.last, cli_cell(&f, 0, 0), &res);
	cli_rows_free(&f);
	if (!image) {
		cli_errorf("log drill of %s failed: its last restorable moment did not restore", dir);
		return CLI_ERROR;
	}
	pitr_remove_image(image);
	free(image);
	print_drill(o, dir, read_at, r.last, &res, dbc_monotonic_ms() - t0);
	return CLI_OK;
}
