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
