-- dbcare 0.3.7 -> 0.3.8 (ALTER EXTENSION dbcare UPDATE).
-- Leaves a database exactly as CREATE EXTENSION dbcare of 0.3.8 does;
-- test/script/pg_upgrade.sh compares the two, from every earlier version.
\echo Use "ALTER EXTENSION dbcare UPDATE TO '0.3.8'" to load this file. \quit

-- The renames and drops the migration runner saw each migration make, with
-- what the table (column) is to the server whatever its name: the generator
-- follows a live table back to the names it had (docs/schema-as-code.md).
-- Migrations applied before 0.3.8 left no rows: their renames are not known.
CREATE TABLE dbcare.migrations_renames (
    id          bigserial CONSTRAINT dbcare_migrations_renames_pkey PRIMARY KEY,
    version     text,
    direction   text NOT NULL,
    op          text NOT NULL CONSTRAINT dbcare_migrations_renames_op CHECK (op IN ('rename', 'drop')),
    schema_name text,
    table_name  text NOT NULL,
    column_name text,
    new_name    text,
    identity    text,
    recorded_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp()
);
COMMENT ON TABLE dbcare.migrations_renames IS 'dbcare: the renames and drops of tables and columns that applied migrations made (dbmigrate_generate follows them)';
SELECT pg_catalog.pg_extension_config_dump('dbcare.migrations_renames', '');
SELECT pg_catalog.pg_extension_config_dump('dbcare.migrations_renames_id_seq', '');
GRANT SELECT ON dbcare.migrations_renames TO pg_monitor;
