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
 */
#include "pg_backup.h"

#include <jansson.h>
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

static const char *member_text(json_t *table, const char *key, char buf[32])
{
	json_t *v = json_object_get(table, key);
	if (json_is_integer(v)) {
		snprintf(buf, 32, "%lld", (long long)json_integer_value(v));
		return buf;
	}
	return json_is_string(v) ? json_string_value(v) : "?";
}

int cli_pg_contents_compare(const char *recorded, const char *now, char **why)
{
	json_t *was = json_loads(recorded, 0, NULL), *is = json_loads(now, 0, NULL);
	*why = NULL;
	int rc = 0;
	if (!json_is_object(was) || !json_is_object(is)) {
		rc = -1;
		goto out;
	}
	const char *name;
	json_t *t;
	json_object_foreach(was, name, t)
	{
		json_t *u = json_object_get(is, name);
		char a[32], b[32];
		if (!u) {
			if (asprintf(why, "table %s is missing from the restored copy", name) < 0)
				*why = NULL;
			goto out;
		}
		const char *rw = member_text(t, "rows", a), *rn = member_text(u, "rows", b);
		if (strcmp(rw, rn) != 0) {
			if (asprintf(why, "table %s has %s rows in the restored copy, %s at the backup", name,
			             rn, rw) < 0)
				*why = NULL;
			goto out;
		}
		if (strcmp(member_text(t, "hash", a), member_text(u, "hash", b)) != 0) {
			if (asprintf(why,
			             "the rows of table %s differ from those at the backup (same count, "
			             "another content hash)",
			             name) < 0)
				*why = NULL;
			goto out;
		}
	}
	json_object_foreach(is, name, t)
	{
		if (!json_object_get(was, name)) {
			if (asprintf(why, "table %s of the restored copy was not there at the backup", name) <
			    0)
				*why = NULL;
			goto out;
		}
	}
out:
	json_decref(was);
	json_decref(is);
	return rc;
}

int cli_pg_contents_count(const char *recorded, const char *restored, long long *tables,
                          long long *rows, long long *mismatches)
{
	json_t *was = json_loads(recorded, 0, NULL);
	json_t *is = restored ? json_loads(restored, 0, NULL) : json_object();
	*tables = *rows = *mismatches = 0;
	int rc = json_is_object(was) && json_is_object(is) ? 0 : -1;
	const char *name;
	json_t *t;
	json_object_foreach(rc == 0 ? was : NULL, name, t)
	{
		json_t *u = json_object_get(is, name);
		char a[32], b[32];
		(*tables)++;
		*rows += json_integer_value(json_object_get(t, "rows"));
		if (!u || strcmp(member_text(t, "rows", a), member_text(u, "rows", b)) != 0 ||
		    strcmp(member_text(t, "hash", a), member_text(u, "hash", b)) != 0)
			(*mismatches)++;
	}
	json_object_foreach(rc == 0 ? is : NULL, name, t)
	{
		if (!json_object_get(was, name))
			(*mismatches)++;
	}
	json_decref(was);
	json_decref(is);
	return rc;
}
