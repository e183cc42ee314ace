/*
 * cmd_backup_drill.c — dbcare backup drill [BACKUP]: a restore drill
 * (docs/backups.md, "Restore drills"). No backup is trusted until it has
 * been restored. SQLite: dbbackup_drill, which restores into a scratch
 * file, checks, compares and records in the module. PostgreSQL: the
 * newest catalogued pg_dump (or BACKUP) goes through verify's restore
 * (cmd_backup_verify.c: its SHA-256, then pg_restore into a scratch
 * database as a scratch role, which re-validates every constraint as it
 * adds it, then every table's rows and content hash compared), or a
 * pgBackRest backup through its restore test (pgbackrest_verify.c: a
 * scratch data directory on a private socket, every table read back),
 * timed, and the outcome is recorded with dbbackup_drill(path, result).
 * The command exits 1 when the drill failed; a drill that could not run for a reason
 * that is not the backup's (the server refused the scratch role) is an
 * error and is not recorded.
 */
#include "pg_backup.h"
#include "pgbackrest.h"
#include "pitr.h"

#include "base/clock.h"

#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* The drill's result as dbbackup_drill takes it. */
static char *result_json(const cli_rows *row, double ms, const char *why, const char *recorded,
                         const char *restored, int read_tables)
{
	long long tables = 0, rows = 0, mismatches = 0;
	if (recorded && restored &&
	    cli_pg_contents_count(recorded, restored, &tables, &rows, &mismatches) != 0)
		tables = rows = mismatches = 0;
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

/* The catalog row drilled: BACKUP's (a path or a pgBackRest label), else
 * the newest backup dbcare made (pg_dump or pgBackRest). */
static int find_row(cli_db *db, cli_opts *o, const char *arg, cli_rows *row)
{
	char abs[PATH_MAX];
	cli_rows newest = {0};
	int rc = 0;
	if (!arg)
		rc = cli_q(db, o,
		           "SELECT CAST(max(id) AS text) FROM dbbackup_list()"
		           " WHERE kind IN ('pg_dump', 'pgbackrest')",
		           0, NULL, &newest);
	if (rc == 0)
		rc = arg ? cli_backup_row(db, o, NULL, realpath(arg, abs) ? abs : arg, arg, row)
		         : cli_backup_row(db, o, cli_cell(&newest, 0, 0), NULL, NULL, row);
	cli_rows_free(&newest);
	if (rc == 0 && row->nrows == 0) {
		cli_errorf(arg ? "no catalogued backup at %s (dbcare backups lists them)"
		               : "no catalogued backup to drill (dbcare backup makes one)%s",
		           arg ? arg : "");
		rc = -1;
	}
	if (rc == 0 && strcmp(cli_cell(row, 0, 1), "pg_dump") != 0 &&
	    strcmp(cli_cell(row, 0, 1), "pgbackrest") != 0) {
		cli_errorf("backup %s was recorded by %s: the drill restores the backups dbcare makes "
		           "(pg_dump, pgbackrest)",
		           cli_cell(row, 0, 2), cli_cell(row, 0, 1));
		rc = -1;
	}
	return rc;
}

static int drill_pg(cli_db *db, cli_opts *o)
{
	cli_rows row = {0}, r = {0};
	if (find_row(db, o, o->nargs > 1 ? o->args[1] : NULL, &row) != 0) {
		cli_rows_free(&row);
		return CLI_ERROR;
	}
	char *why = NULL, *restored = NULL, *result = NULL;
	int tables = -1, exit = CLI_ERROR;
	double t0 = dbc_monotonic_ms();
	cli_note(&o->out, "drilling %s", cli_cell(&row, 0, 2));
	/* pgBackRest: its restore test (a scratch data directory on a private
	 * socket, every table read back); no content is recorded to compare */
	bool pgbr = strcmp(cli_cell(&row, 0, 1), "pgbackrest") == 0;
	int ran = pgbr ? cli_pgbackrest_verify(db, o, cli_cell(&row, 0, 2), &why, &tables)
	               : cli_verify_dump(db, o, &row, check_constraints, &why, &tables, &restored);
	if (ran == 0 && (result = result_json(&row, dbc_monotonic_ms() - t0, why, cli_cell(&row, 0, 4),
	                                      restored, tables))) {
		const char *p[2] = {cli_cell(&row, 0, 2), result};
		if (cli_q(db, o, "SELECT dbbackup_drill($1, $2)", 2, p, &r) == 0) {
			cli_print_json_doc(db, o, "drill", cli_cell(&r, 0, 0));
			if (why)
				cli_errorf("backup %s failed its restore drill: %s", cli_cell(&row, 0, 2), why);
			exit = why ? CLI_ERROR : CLI_OK;
		}
	}
	cli_rows_free(&r);
	cli_rows_free(&row);
	free(why);
	free(restored);
	free(result);
	return exit;
}

static int drill_sqlite(cli_db *db, cli_opts *o)
{
	cli_rows r = {0};
	const char *p[1] = {o->nargs > 1 ? o->args[1] : NULL};
	if (cli_q(db, o, "SELECT dbbackup_drill($1)", 1, p, &r) != 0)
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

int cli_backup_drill(cli_db *db, cli_opts *o)
{
	if (o->incremental || o->compress || o->stanza || o->backup_type) {
		cli_errorf("usage: dbcare backup drill [BACKUP] [--encrypt-key-file F] | drill --log DIR");
		return CLI_USAGE;
	}
	if (o->log_dir) {
		if (o->nargs > 1 || (db && db->drv->dump)) {
			cli_errorf("backup drill --log DIR drills a SQLite point-in-time log, alone");
			return CLI_USAGE;
		}
		return cli_pitr_drill(db, o, o->log_dir);
	}
	return db->drv->dump ? drill_pg(db, o) : drill_sqlite(db, o);
}
