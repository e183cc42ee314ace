-- dbcare 0.3.6 -> 0.3.7 (ALTER EXTENSION dbcare UPDATE).
-- Leaves a database exactly as CREATE EXTENSION dbcare of 0.3.7 does;
-- test/script/pg_upgrade.sh compares the two, from every earlier version.
\echo Use "ALTER EXTENSION dbcare UPDATE TO '0.3.7'" to load this file. \quit

-- dbhealth_gauges(): the report's cheap numbers without running the checks,
-- read by dbcare serve on every scrape between reports (docs/observe.md).
CREATE FUNCTION dbhealth_gauges() RETURNS jsonb
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbhealth_gauges';
COMMENT ON FUNCTION dbhealth_gauges() IS 'size, tables, indexes and migrations pending, without running the checks';
GRANT EXECUTE ON FUNCTION dbhealth_gauges() TO pg_monitor;

-- dbbackup_mark(label, seal): the seal of the backup a mark takes on
-- SQLite; on PostgreSQL a seal is refused (a restore point is a WAL record).
DROP FUNCTION dbbackup_mark(text);
CREATE FUNCTION dbbackup_mark("label" text, "seal" text DEFAULT NULL) RETURNS text
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbbackup_mark';
COMMENT ON FUNCTION dbbackup_mark(text, text) IS 'records a named restore point (a backup on SQLite, sealed as seal asks; pg_create_restore_point on PostgreSQL) with the schema fingerprint and the audit heads; returns JSON';
REVOKE ALL ON FUNCTION dbbackup_mark(text, text) FROM PUBLIC;

-- dbretain_archive_attached(name, schema): an archive-db policy moved by
-- the module itself, into a foreign table of postgres_fdw.
CREATE FUNCTION dbretain_archive_attached("name" text, "schema" text) RETURNS text
    LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbretain_archive_attached';
COMMENT ON FUNCTION dbretain_archive_attached(text, text) IS 'the next stage of an archive-db policy''s batch into the archive another database holds, reached from this one (SQLite: ATTACH; PostgreSQL: postgres_fdw); returns the stage and its rows as JSON';
REVOKE ALL ON FUNCTION dbretain_archive_attached(text, text) FROM PUBLIC;
