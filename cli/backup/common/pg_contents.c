/*
 * pg_contents.c — the logical record of a PostgreSQL backup: per table its
 * row count and an order-independent hash of its rows, read on the server
 * in the backup's snapshot, and later in the restored copy, so a lost or
 * changed row is found where a file check passes (docs/backups.md).
 *
 * One statement does it all: query_to_xml runs the per-table count and sum
 * (dynamic SQL with the caller's rights, as pg_dump reads the tables), so
 * no row crosses the network. The hash of a row is hashtextextended of the
 * row's text form: the same server computes both sides, and the settings
 * that shape the text (dates, times, floats, bytea, intervals) are pinned
 * by SET LOCAL in the caller's transaction.
 *
 * No code of a table's owner runs: the text form is record_out called by
 * name, never CAST(row AS text), which would call a cast the owner of the
 * row type may have made (CREATE CAST (t AS text) WITH FUNCTION ...) with
 * the reader's rights; row security is off (no policy runs), and the
 * types' output functions are the server's (a base type needs a
 * superuser).
 *
 * The command only reads: whether a copy's content is its record's, and
 * in which words it is not, is the core's (backup/backup_content.h, the
 * rule that judges SQLite's copies too).
 */
#include "pg_backup.h"
#include "cli/common/files.h"

#include "backup/backup_content.h"

#include <stdlib.h>
#include <string.h>

static const char pin_sql[] =
    "SELECT pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true),"
    " pg_catalog.set_config('DateStyle', 'ISO, YMD', true),"
    " pg_catalog.set_config('TimeZone', 'UTC', true),"
    " pg_catalog.set_config('IntervalStyle', 'postgres', true),"
    " pg_catalog.set_config('extra_float_digits', '3', true),"
    " pg_catalog.set_config('bytea_output', 'hex', true),"
    " pg_catalog.set_config('row_security', 'off', true)";

/* Ordinary tables (relkind r: a partitioned table's rows are its
 * partitions'), not temporary, outside the system schemas, not an
 * extension's member. */
static const char contents_sql[] =
    "SELECT coalesce(pg_catalog.jsonb_object_agg(name, pg_catalog.jsonb_build_object("
    "  'rows', CAST(CAST(x[1] AS text) AS bigint), 'hash', CAST(x[2] AS text))), '{}')::text"
    " FROM (SELECT pg_catalog.format('%I.%I', n.nspname, c.relname) AS name,"
    "   pg_catalog.xpath('/row/*/text()', pg_catalog.query_to_xml(pg_catalog.format("
    "    'SELECT pg_catalog.count(*) AS n, coalesce(pg_catalog.sum("
    "       pg_catalog.hashtextextended(pg_catalog.textin(pg_catalog.record_out(t)), 0)), 0) AS h"
    "    FROM ONLY %I.%I t',"
    "    n.nspname, c.relname), false, true, '')) AS x"
    "  FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
    "  WHERE c.relkind = 'r' AND c.relpersistence <> 't'"
    "    AND n.nspname <> 'information_schema' AND n.nspname !~ '^pg_'"
    "    AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d"
    "     WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass AND d.objid = c.oid"
    "       AND d.deptype = 'e')) s";

int cli_pg_contents(cli_db *db, cli_opts *o, char **json)
{
	cli_rows r = {0};
	*json = NULL;
	if (cli_q(db, o, pin_sql, 0, NULL, NULL) != 0 || cli_q(db, o, contents_sql, 0, NULL, &r) != 0)
		return -1;
	*json = strdup(cli_cell(&r, 0, 0) ? cli_cell(&r, 0, 0) : "{}");
	cli_rows_free(&r);
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
