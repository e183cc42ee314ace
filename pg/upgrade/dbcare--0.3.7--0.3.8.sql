-- dbcare 0.3.7 -> 0.3.8 (ALTER EXTENSION dbcare UPDATE).
-- Leaves a database exactly as CREATE EXTENSION dbcare of 0.3.8 does;
-- test/script/pg_upgrade.sh compares the two, from every earlier version.
\echo Use "ALTER EXTENSION dbcare UPDATE TO '0.3.8'" to load this file. \quit

-- The renames and drops the migration runner saw each migration make, with
-- what the table (column) is to the server whatever its name: the generator
-- follows a live table back to the names it had (docs/schema-as-code.md).
-- Migrations applied before 0.3.8 left no rows: their renames are not known.
-- Not dumped: the OIDs mean nothing after a restore (a row kept would
-- follow nothing, or worse the table that got its OID there).
CREATE TABLE dbcare.migrations_renames (
    id          bigserial CONSTRAINT dbcare_migrations_renames_pkey PRIMARY KEY,
    version     text,
    direction   text NOT NULL,
    op          text NOT NULL CONSTRAINT dbcare_migrations_renames_op CHECK (op IN ('rename', 'drop', 'forget')),
    schema_name text,
    table_name  text NOT NULL,
    column_name text,
    new_name    text,
    identity    text,
    recorded_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    registered_by text
);
COMMENT ON TABLE dbcare.migrations_renames IS 'dbcare: the renames and drops of tables and columns that applied migrations made (dbmigrate_generate follows them)';
GRANT SELECT ON dbcare.migrations_renames TO pg_monitor;

-- Who wrote each row of the rename log, set on every insert and update
-- whoever writes, by the registry's trigger: the generator follows only
-- rows written by roles the caller trusts, by the rule migrations run by.
CREATE TRIGGER dbcare_migrations_renames_registrant BEFORE INSERT OR UPDATE ON dbcare.migrations_renames
    FOR EACH ROW EXECUTE FUNCTION dbcare.migrations_registrant();
ALTER TABLE dbcare.migrations_renames ENABLE ALWAYS TRIGGER dbcare_migrations_renames_registrant;

-- Roles that could apply migrations before (INSERT on the history) may
-- write the log too, so the renames they apply keep being followed.
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT DISTINCT g.grantee::regrole::text AS role
             FROM pg_catalog.pg_class c,
                  LATERAL pg_catalog.aclexplode(c.relacl) g
             WHERE c.oid = 'dbcare.migrations_history'::regclass
               AND g.privilege_type = 'INSERT' AND g.grantee <> 0
               AND g.grantee <> c.relowner
    LOOP
        EXECUTE pg_catalog.format('GRANT SELECT, INSERT ON dbcare.migrations_renames TO %s', r.role);
        EXECUTE pg_catalog.format('GRANT USAGE ON SEQUENCE dbcare.migrations_renames_id_seq TO %s', r.role);
    END LOOP;
END
$$;
