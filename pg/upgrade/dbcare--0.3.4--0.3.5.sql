-- dbcare 0.3.4 -> 0.3.5 (ALTER EXTENSION dbcare UPDATE).
-- Leaves a database exactly as CREATE EXTENSION dbcare of 0.3.5 does;
-- test/script/pg_upgrade.sh compares the two, from every earlier version.
\echo Use "ALTER EXTENSION dbcare UPDATE TO '0.3.5'" to load this file. \quit

-- Backups the command makes (docs/backups.md): a dump's SHA-256 and the
-- content at its snapshot, pgBackRest's label and WAL range.
ALTER TABLE dbcare.backups ADD COLUMN sha256 text, ADD COLUMN content jsonb,
    ADD COLUMN label text, ADD COLUMN wal_start text, ADD COLUMN wal_stop text;

-- dbmigrate_generate: the migration from the schema you want (docs/schema-as-code.md)
CREATE FUNCTION dbmigrate_generate("desired_sql" text, "options" jsonb DEFAULT NULL)
    RETURNS TABLE ("step" integer, "statement" text, "hazard" text, "rows_affected" bigint, "lock" text, "reverse" text, "transactional" boolean)
    LANGUAGE c VOLATILE
    AS 'MODULE_PATHNAME', 'dbmigrate_generate';
COMMENT ON FUNCTION dbmigrate_generate(text, jsonb) IS 'the migration (up and reverse statements) from the live schema to the one desired_sql declares, proved before it is returned; writes nothing';
REVOKE ALL ON FUNCTION dbmigrate_generate(text, jsonb) FROM PUBLIC;
