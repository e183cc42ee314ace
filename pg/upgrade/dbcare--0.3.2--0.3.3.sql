-- dbcare 0.3.2 -> 0.3.3 (ALTER EXTENSION dbcare UPDATE).
-- Leaves a database exactly as CREATE EXTENSION dbcare of 0.3.3 does;
-- test/script/pg_upgrade.sh compares the two, from every earlier version.
\echo Use "ALTER EXTENSION dbcare UPDATE TO '0.3.3'" to load this file. \quit

-- dbaudit_tables says whether each table is recording (issue 36): its result
-- has two more columns, so it is dropped and created again (PUBLIC keeps
-- EXECUTE, as in 0.3.2).
DROP FUNCTION dbaudit_tables();
CREATE FUNCTION dbaudit_tables()
    RETURNS TABLE ("table" text, "enabled_at" timestamp with time zone, "options" jsonb, "entries" bigint, "recording" boolean, "problem" text)
    LANGUAGE c STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbaudit_tables';
COMMENT ON FUNCTION dbaudit_tables() IS 'the audited tables, their options and log entries, and whether each is recording';
