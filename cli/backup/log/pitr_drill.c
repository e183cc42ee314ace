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

#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* The drill recorded where health's drill check reads it, through the SQL
 * API as PostgreSQL's drills are (dbbackup_drill(path, result), method
 * "log"; path: the log's directory, absolute). The drill row's id (a
 * string, malloc'd), or NULL after saying why it was not recorded. */
static char *record_drill(cli_db *db, cli_opts *o, const char *dir, double ms, const char *why)
{
	char *path = realpath(dir, NULL);
	json_t *doc =
	    json_pack("{s:n, s:s, s:f, s:I, s:I, s:I, s:b, s:s?}", "backup_id", "method", "log",
	              "duration_ms", ms, "tables", (json_int_t)0, "rows", (json_int_t)0, "mismatches",
	              (json_int_t)0, "ok", why == NULL, "detail", why);
	char *result = doc ? json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(doc);
	cli_rows r = {0};
	const char *p[2] = {path ? path : dir, result};
	char *id = NULL;
	if (result &&
	    cli_q(db, o, "SELECT json_extract(dbbackup_drill($1, $2), '$.id')", 2, p, &r) == 0 &&
	    cli_cell(&r, 0, 0))
		id = strdup(cli_cell(&r, 0, 0));
	else
		cli_errorf("log drill of %s: not recorded in the database's drills", dir);
	cli_rows_free(&r);
	free(result);
	free(path);
	return id;
}

static void print_drill(cli_opts *o, const char *dir, int64_t read_at, int64_t at,
                        const pitr_restored *res, double ms, const char *recorded, bool alone)
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
		       "\"rows_checked\":%s,\"duration_ms\":%.1f,\"ok\":true,\"recorded\":%s}\n",
		       (unsigned long long)res->commits, last, res->rows_checked ? "true" : "false", ms,
		       recorded ? recorded : "null");
	} else if (!o->out.quiet) {
		printf("log drill of %s: restored to its last restorable moment %s UTC (base %s and "
		       "%llu commits, the last seen at %s UTC), integrity_check ok%s, in %.0f ms\n"
		       "recovery point: %lld ms (the log reached to %lld ms before it was read)\n",
		       dir, t, res->base, (unsigned long long)res->commits, last,
		       res->rows_checked ? ", row counts equal to the log's" : "", ms,
		       (long long)(read_at - at), (long long)(read_at - at));
		if (recorded)
			printf("recorded: drill %s in the database's drills\n", recorded);
		else if (alone)
			printf("not recorded: no database (--db) named, a drill from the log's files "
			       "alone\n");
	}
}

/* Where the scratch image goes (malloc'd): beside the database's file,
 * or, from the files alone (db NULL), beside the log's directory. NULL
 * after saying why. */
static char *scratch_beside(cli_db *db, cli_opts *o, const char *dir)
{
	if (!db) {
		size_t n = strlen(dir);
		while (n > 1 && dir[n - 1] == '/')
			n--;
		return strndup(dir, n);
	}
	cli_rows f = {0};
	char *out = NULL;
	if (cli_q(db, o, "SELECT file FROM pragma_database_list WHERE name = 'main'", 0, NULL, &f) ==
	        0 &&
	    cli_cell(&f, 0, 0) && *cli_cell(&f, 0, 0))
		out = strdup(cli_cell(&f, 0, 0));
	else
		cli_errorf("log drill: the database has no file to put the scratch image beside");
	cli_rows_free(&f);
	return out;
}

int cli_pitr_drill(cli_db *db, cli_opts *o, const char *dir)
{
	double t0 = dbc_monotonic_ms();
	int64_t last;
	if (pitr_reach(o, dir, &last) != 0) {
		if (db)
			free(record_drill(db, o, dir, dbc_monotonic_ms() - t0,
			                  "its log could not be read to the end its capture recorded"));
		return CLI_ERROR;
	}
	/* once the log was read to its end: a capture may have written on
	 * while it was read (a record is stamped when its poll began, within
	 * a millisecond rounded up) */
	int64_t read_at = pitr_now_ms();
	if (read_at < last)
		read_at = last;
	if (!last) {
		cli_errorf("log drill: nothing to restore in %s (dbcare log writes a log there)", dir);
		return CLI_ERROR;
	}
	char *beside = scratch_beside(db, o, dir);
	if (!beside)
		return CLI_ERROR;
	pitr_restored res = {0};
	char *image = pitr_image_at(dir, last, beside, &res);
	free(beside);
	if (!image) {
		cli_errorf("log drill of %s failed: its last restorable moment did not restore", dir);
		if (db)
			free(record_drill(db, o, dir, dbc_monotonic_ms() - t0,
			                  "its last restorable moment did not restore"));
		return CLI_ERROR;
	}
	pitr_remove_image(image);
	free(image);
	double ms = dbc_monotonic_ms() - t0;
	char *recorded = db ? record_drill(db, o, dir, ms, NULL) : NULL;
	print_drill(o, dir, read_at, last, &res, ms, recorded, !db);
	bool lost = db && !recorded;
	free(recorded);
	return lost ? CLI_ERROR : CLI_OK;
}
