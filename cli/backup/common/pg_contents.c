/*
 * pg_contents.c — the logical record of a PostgreSQL backup and the one
 * check of a restored copy: per table its row count and an
 * order-independent hash of its rows, read on the server in the backup's
 * snapshot, and later in the restored copy, so a lost or changed row is
 * found where a file check passes (docs/backups.md).
 *
 * The command only asks: the database's dbbackup_content() where it has
 * dbcare's (the module runs the dialect's content_query under its
 * settings), else the same statement of the same dialect (pg/dialect.c,
 * which the command links) under the same settings, set for its
 * transaction (a scratch restore the verifier could not create dbcare in,
 * a copy restored with an older dbcare); either way the core writes the
 * answer in the one format and judges a copy against its record (the rule
 * that judges SQLite's copies too). The function is called only as the
 * member of the extension dbcare it is, by its schema: a function of that
 * name a dump made in a scratch database is never run.
 */
#include "pg_backup.h"
#include "cli/common/files.h"

#include "backup/backup_content.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The extension dbcare's own dbbackup_content(), by schema, when the
 * reader may call it; no row otherwise. */
static const char own_function_sql[] =
    "SELECT pg_catalog.format('%I.%I', n.nspname, p.proname)"
    " FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace"
    " JOIN pg_catalog.pg_depend d"
    "  ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass"
    "  AND d.objid = p.oid AND d.deptype = 'e'"
    " JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid AND e.extname = 'dbcare'"
    " WHERE p.proname = 'dbbackup_content' AND p.pronargs = 0"
    "  AND pg_catalog.has_schema_privilege(n.oid, 'USAGE')"
    "  AND pg_catalog.has_function_privilege(p.oid, 'EXECUTE')";

/* The dialect's statement run here: its settings set for the transaction
 * (set_config's third argument). */
static int read_by_statement(cli_db *db, cli_opts *o, const dbc_dialect *d, char **keyed)
{
	for (int i = 0; i < d->ncontent_settings; i++) {
		const char *p[] = {d->content_settings[i].name, d->content_settings[i].value};
		if (cli_q(db, o, "SELECT pg_catalog.set_config($1, $2, true)", 2, p, NULL) != 0)
			return -1;
	}
	cli_rows r = {0};
	if (cli_q(db, o, d->content_query, 0, NULL, &r) != 0)
		return -1;
	*keyed = strdup(cli_cell(&r, 0, 0) ? cli_cell(&r, 0, 0) : "{}");
	cli_rows_free(&r);
	return *keyed ? 0 : -1;
}

/* The reader's search_path pinned for the transaction while the content
 * is found and read, then set back (*saved: what it was, malloc'd): an
 * operator or function a table owner made in public would otherwise win
 * over pg_catalog's where it matches the operands' types better (an
 * =(oid, regclass) beside pg_catalog's oid = oid), and run as the reader,
 * a superuser at a backup or a restore. */
static int pin_path(cli_db *db, cli_opts *o, char **saved)
{
	cli_rows r = {0};
	*saved = NULL;
	if (cli_q(db, o,
	          "SELECT pg_catalog.current_setting('search_path'),"
	          " pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true)",
	          0, NULL, &r) != 0)
		return -1;
	*saved = strdup(cli_cell(&r, 0, 0) ? cli_cell(&r, 0, 0) : "");
	cli_rows_free(&r);
	return *saved ? 0 : -1;
}

static void unpin_path(cli_db *db, cli_opts *o, char *saved)
{
	const char *p[1] = {saved};
	if (saved)
		cli_q(db, o, "SELECT pg_catalog.set_config('search_path', $1, true)", 1, p, NULL);
	free(saved);
}

static int read_contents(cli_db *db, cli_opts *o, char **json);

int cli_pg_contents(cli_db *db, cli_opts *o, char **json)
{
	char *saved;
	*json = NULL;
	if (pin_path(db, o, &saved) != 0)
		return -1;
	int rc = read_contents(db, o, json);
	unpin_path(db, o, saved);
	return rc;
}

static int read_contents(cli_db *db, cli_opts *o, char **json)
{
	cli_rows r = {0};
	*json = NULL;
	if (cli_q(db, o, own_function_sql, 0, NULL, &r) != 0)
		return -1;
	char *fn = r.nrows > 0 && cli_cell(&r, 0, 0) ? strdup(cli_cell(&r, 0, 0)) : NULL;
	cli_rows_free(&r);
	if (fn) {
		char call[256];
		int ok = snprintf(call, sizeof call, "SELECT CAST(%s() AS text)", fn) < (int)sizeof call &&
		         cli_q(db, o, call, 0, NULL, &r) == 0;
		free(fn);
		if (!ok)
			return -1;
		*json = cli_cell(&r, 0, 0) ? strdup(cli_cell(&r, 0, 0)) : NULL;
		cli_rows_free(&r);
		return *json ? 0 : -1;
	}
	char *keyed = NULL;
	if (read_by_statement(db, o, cli_pg_files_host.dialect, &keyed) != 0)
		return -1;
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, &cli_pg_files_host, NULL);
	char *text = dbc_backup_content_from_keyed(&ctx, keyed);
	*json = text ? strdup(text) : NULL;
	if (!*json)
		cli_errorf("the content read from %s does not parse: %s", db->label,
		           ctx.failed ? ctx.message : "out of memory");
	dbc_ctx_finish(&ctx);
	free(keyed);
	return *json ? 0 : -1;
}

int cli_pg_contents_compare(const char *recorded, const char *now, char **why,
                            cli_pg_content_counts *counts)
{
	dbc_ctx ctx;
	dbc_ctx_init(&ctx, cli_text_host(), NULL);
	dbc_backup_content_verdict v;
	int rc = dbc_backup_content_judge(&ctx, recorded, now, &v) == DBC_OK ? 0 : -1;
	*why = rc == 0 && v.why ? strdup(v.why) : NULL;
	if (rc == 0 && v.why && !*why)
		rc = -1; /* out of memory: no verdict */
	if (counts)
		*counts = (cli_pg_content_counts){v.tables, v.rows, v.mismatches};
	dbc_ctx_finish(&ctx);
	return rc;
}

int cli_pg_restored_check(cli_db *db, cli_opts *o, const char *backup, const char *recorded,
                          cli_restored_check extra, cli_pg_restored *v)
{
	char *found = NULL;
	memset(v, 0, sizeof *v);
	if (cli_q(db, o, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", 0, NULL, NULL) != 0)
		return -1;
	int rc = cli_pg_contents(db, o, &v->content);
	if (rc == 0 && extra)
		rc = extra(db, o, &found);
	cli_rollback(db);
	if (rc == 0 && recorded) {
		rc = cli_pg_contents_compare(recorded, v->content, &v->why, &v->counts);
		if (rc != 0)
			cli_errorf("the recorded content of %s does not parse", backup);
	} else if (rc == 0) {
		dbc_ctx ctx;
		dbc_ctx_init(&ctx, cli_text_host(), NULL);
		v->counts.tables = dbc_backup_content_tables(&ctx, v->content);
		dbc_ctx_finish(&ctx);
	}
	/* a content difference first; else what extra found */
	if (rc == 0 && !v->why)
		v->why = found;
	else
		free(found);
	if (rc != 0) {
		free(v->content);
		free(v->why);
		memset(v, 0, sizeof *v);
	}
	return rc;
}
