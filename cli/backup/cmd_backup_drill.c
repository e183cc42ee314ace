/*
 * cmd_backup_drill.c — dbcare backup drill [BACKUP]: a restore drill
 * (docs/backups.md, "Restore drills"). No backup is trusted until it has
 * been restored. SQLite: dbbackup_drill, which restores into a scratch
 * file, checks, compares and records in the module. PostgreSQL: the
 * newest catalogued pg_dump (or BACKUP) goes through verify's restore
 * (pg_dump/pg_dump_verify.c: its SHA-256, then pg_restore into a scratch
 * database as a scratch role, which re-validates every constraint as it
 * adds it, then every table's rows and content hash compared), or a
 * pgBackRest backup through its restore test (pgbackrest_verify.c: a
 * scratch data directory on a private socket, every table read back),
 * timed, and the outcome is recorded with dbbackup_drill(path, result).
 * The command exits 1 when the drill failed; a drill that could not run for a reason
 * that is not the backup's (the server refused the scratch role) is an
 * error and is not recorded. These are the methods' drill hooks
 * (backup_methods.h); the command finds the method (backup_dispatch.c).
 */
#include "backup_methods.h"
#include "cli/backup/common/pg_backup.h"
#include "cli/backup/pg_dump/pg_dump.h"
#include "cli/backup/pgbackrest/pgbackrest.h"
#include "cli/backup/log/pitr.h"

#include "base/clock.h"

#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* The drill's result as dbbackup_drill takes it. */
static char *result_json(const cli_rows *row, double ms, const char *why, const char *recorded,
                         const char *restored, int read_tables)
{
	cli_pg_content_counts c = {0, 0, 0};
	char *ignored = NULL; /* the reason is the verification's (why) */
	if (recorded && restored && cli_pg_contents_compare(recorded, restored, &ignored, &c) != 0)
		c = (cli_pg_content_counts){0, 0, 0};
	free(ignored);
	long long tables = c.tables, rows = c.rows, mismatches = c.mismatches;
	if (!recorded && read_tables > 0)
		tables = read_tables; /* pgBackRest: tables read back, none recorded */
	json_t *o = json_pack("{s:I, s:s, s:f, s:I, s:I, s:I, s:b, s:s?}", "backup_id",
	                      (json_int_t)atoll(cli_cell(row, 0, 0)), "method", cli_cell(row, 0, 1),
	                      "duration_ms", ms, "tables", (json_int_t)tables, "rows", (json_int_t)rows,
	                      "mismatches", (json_int_t)mismatches, "ok", why == NULL, "detail", why);
	char *text = o ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(o);
	return text;
}

/* The engine's check of a restored dump beyond the restore itself (which
 * validates every constraint it adds): dbcheck_constraints of the dbcare
 * the verifier made there, named by schema and signature, every other name
 * pg_catalog's (nothing the dump made answers). It runs as the scratch
 * role, which owns every table (the CHECK expressions it runs are the
 * dump's, with that role's rights only), and finds the rows that break a
 * constraint pg_dump keeps NOT VALID. A dump without dbcare is left at the
 * restore's own validation. */
static int check_constraints(cli_db *rs, cli_opts *o, char **why)
{
	cli_rows r = {0};
	if (cli_q(rs, o,
	          "SELECT pg_catalog.format('%I.dbcheck_constraints(CAST(NULL AS text))', n.nspname)"
	          " FROM pg_catalog.pg_extension e"
	          " JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace"
	          " WHERE e.extname = 'dbcare'",
	          0, NULL, &r) != 0)
		return -1;
	char *sql = NULL;
	int rc = r.nrows == 0 ? 0 : -1;
	if (r.nrows == 1 &&
	    asprintf(&sql,
	             "SELECT pg_catalog.count(*), pg_catalog.min(pg_catalog.concat(table_name, '.',"
	             " constraint_name)), coalesce(pg_catalog.sum(violations), 0) FROM %s"
	             " WHERE violations OPERATOR(pg_catalog.>) 0",
	             cli_cell(&r, 0, 0)) >= 0) {
		cli_rows v = {0};
		cli_note(&o->out, "checking every constraint of the restored copy (dbcheck_constraints)");
		rc = cli_q(rs, o, sql, 0, NULL, &v);
		if (rc == 0 && strcmp(cli_cell(&v, 0, 0), "0") != 0 &&
		    asprintf(why,
		             "the restored copy has %s row(s) breaking %s constraint(s) "
		             "(dbcheck_constraints; first %s)",
		             cli_cell(&v, 0, 2), cli_cell(&v, 0, 0), cli_cell(&v, 0, 1)) < 0)
			*why = NULL;
		cli_rows_free(&v);
	}
	free(sql);
	cli_rows_free(&r);
	return rc;
}

/* How a drill restores a catalogued backup: 0 with *why NULL (restored and
 * checked, *tables read, *restored the copy's content when read) or set
 * (the backup's fault); -1 after printing an error that is not the
 * backup's. */
typedef int (*restore_test)(cli_db *db, cli_opts *o, const cli_rows *row, char **why, int *tables,
                            char **restored);

/* pg_dump: verify's restore (its SHA-256, then pg_restore into a scratch
 * database), every constraint checked, the content compared */
static int dump_test(cli_db *db, cli_opts *o, const cli_rows *row, char **why, int *tables,
                     char **restored)
{
	return cli_verify_dump(db, o, row, check_constraints, why, tables, restored);
}

/* pgBackRest: its restore test (a scratch data directory on a private
 * socket, every table read back); no content is recorded to compare */
static int pgbackrest_test(cli_db *db, cli_opts *o, const cli_rows *row, char **why, int *tables,
                           char **restored)
{
	*restored = NULL;
	return cli_pgbackrest_verify(db, o, cli_cell(row, 0, 2), why, tables);
}

/* The drill of a row the command read: test timed, its outcome recorded
 * with dbbackup_drill(path, result), path the row's (a store's object:
 * its URL, its bytes fetched). */
static int drill_row(cli_db *db, cli_opts *o, const cli_backup_ref *b, restore_test test)
{
	cli_rows r = {0};
	const cli_rows *row = b->row;
	const char *path = b->stored ? b->stored : cli_cell(row, 0, 2);
	char *why = NULL, *restored = NULL, *result = NULL;
	int tables = -1, exit = CLI_ERROR;
	double t0 = dbc_monotonic_ms();
	cli_note(&o->out, "drilling %s", path);
	int ran = test(db, o, row, &why, &tables, &restored);
	if (ran == 0 && (result = result_json(row, dbc_monotonic_ms() - t0, why, cli_cell(row, 0, 4),
	                                      restored, tables))) {
		const char *p[2] = {path, result};
		if (cli_q(db, o, "SELECT dbbackup_drill($1, $2)", 2, p, &r) == 0) {
			cli_print_json_doc(db, o, "drill", cli_cell(&r, 0, 0));
			if (why)
				cli_errorf("backup %s failed its restore drill: %s", path, why);
			exit = why ? CLI_ERROR : CLI_OK;
		}
	}
	cli_rows_free(&r);
	free(why);
	free(restored);
	free(result);
	return exit;
}

/* A dump file no catalog row names (the catalog went with its database):
 * the same restore test from the record the file carries; its outcome is
 * printed, with no catalog to record it in. */
static int drill_alone(cli_db *db, cli_opts *o, const char *path)
{
	char *why = NULL, *restored = NULL, *recorded = NULL;
	int tables = -1;
	double t0 = dbc_monotonic_ms();
	cli_note(&o->out, "drilling %s", path);
	if (cli_verify_dump_file(db, o, path, check_constraints, &why, &tables, &restored, &recorded) !=
	    0)
		return CLI_ERROR;
	cli_pg_content_counts c = {0, 0, 0};
	char *ignored = NULL;
	if (recorded && restored && cli_pg_contents_compare(recorded, restored, &ignored, &c) != 0)
		c = (cli_pg_content_counts){0, 0, 0};
	free(ignored);
	json_t *d =
	    json_pack("{s:s, s:s, s:f, s:I, s:I, s:I, s:b, s:s?, s:b}", "path", path, "method",
	              "pg_dump", "duration_ms", dbc_monotonic_ms() - t0, "tables", (json_int_t)c.tables,
	              "rows", (json_int_t)c.rows, "mismatches", (json_int_t)c.mismatches, "ok",
	              why == NULL, "detail", why, "recorded", 0);
	char *text = d ? json_dumps(d, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(d);
	if (text)
		cli_print_json_doc(db, o, "drill", text);
	if (why)
		cli_errorf("backup %s failed its restore drill: %s", path, why);
	int exit = why || !text ? CLI_ERROR : CLI_OK;
	free(text);
	free(why);
	free(restored);
	free(recorded);
	return exit;
}

int cli_pg_dump_drill(cli_db *db, cli_opts *o, const cli_backup_ref *b)
{
	if (!b->row)
		return drill_alone(db, o, b->arg);
	return drill_row(db, o, b, dump_test);
}

int cli_pgbackrest_drill(cli_db *db, cli_opts *o, const cli_backup_ref *b)
{
	return drill_row(db, o, b, pgbackrest_test);
}

/* The module's dbbackup_drill: it restores into a scratch file, checks,
 * compares and records; a store's copy (b->stored its URL, b->arg the
 * fetched file) against the copy's own row. */
int cli_module_drill(cli_db *db, cli_opts *o, const cli_backup_ref *b)
{
	cli_rows r = {0};
	const char *p[2] = {b->arg, b->stored};
	if (cli_q(db, o,
	          b->stored ? "SELECT dbbackup_drill($1, NULL, $2)" : "SELECT dbbackup_drill($1)",
	          b->stored ? 2 : 1, p, &r) != 0)
		return CLI_ERROR;
	cli_progress_end(&o->out);
	cli_print_json_doc(db, o, "drill", cli_cell(&r, 0, 0));
	json_t *doc = json_loads(cli_cell(&r, 0, 0) ? cli_cell(&r, 0, 0) : "", 0, NULL);
	bool ok = json_is_true(json_object_get(doc, "ok"));
	if (!ok)
		cli_errorf("backup %s failed its restore drill: %s",
		           json_string_value(json_object_get(doc, "path")),
		           json_string_value(json_object_get(doc, "detail")));
	json_decref(doc);
	cli_rows_free(&r);
	return ok ? CLI_OK : CLI_ERROR;
}
