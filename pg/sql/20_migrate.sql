-- dbcare extension script, part 20: migrations. The registry, what is applied
-- now, every event, and the lock row live in schema dbcare and are dumped by
-- pg_dump (pg_extension_config_dump). Functions that run migration SQL keep
-- the caller's search_path (a migration's unqualified names mean what their
-- author meant); every other function pins it. Every constraint, index and
-- trigger is named dbcare_<table>_<what>: a migration that finds constraints
-- by bare table name (pg_constraint.conname LIKE 'migrations_%') must never
-- meet dbcare's own.

CREATE TABLE dbcare.migrations (
    kind           text NOT NULL
        CONSTRAINT dbcare_migrations_kind_check CHECK (kind IN ('versioned', 'repeatable')),
    -- unique by the index below, not a UNIQUE constraint (see there)
    version        text,
    version_text   text,
    name           text NOT NULL,
    script         text NOT NULL,
    down_script    text,
    checksum       text NOT NULL,
    no_transaction boolean NOT NULL DEFAULT false,
    registered_at  timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    -- checksum of down_script, NULL without one
    down_checksum  text,
    -- the role that wrote the row last (set by trigger dbcare_migrations_registrant)
    registered_by  text,
    CONSTRAINT dbcare_migrations_check CHECK ((kind = 'versioned') = (version IS NOT NULL))
);
-- A unique index, not a UNIQUE constraint: an application's migration that
-- sweeps pg_constraint for the UNIQUE constraints of its own table named
-- "migrations" (by bare relname) and renames them unqualified would find
-- this one too and fail. An index has no pg_constraint row; dbcare names no
-- constraint anywhere (ON CONFLICT infers the index from its columns).
CREATE UNIQUE INDEX dbcare_migrations_version_key ON dbcare.migrations (version);
CREATE UNIQUE INDEX dbcare_migrations_repeatable ON dbcare.migrations (name) WHERE kind = 'repeatable';
COMMENT ON TABLE dbcare.migrations IS 'dbcare: registered migrations (dbmigrate_add, dbmigrate_load)';

CREATE TABLE dbcare.migrations_applied (
    kind        text NOT NULL CONSTRAINT dbcare_migrations_applied_kind_check
        CHECK (kind IN ('versioned', 'repeatable', 'baseline')),
    version     text, -- unique by an index, as dbcare.migrations.version
    name        text NOT NULL,
    checksum    text,
    applied_at  timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    duration_ms double precision,
    -- the down script's checksum when applied; 'none' without a down script,
    -- NULL when not known (baselines): a different one now means "changed"
    down_checksum text
);
CREATE UNIQUE INDEX dbcare_migrations_applied_version_key ON dbcare.migrations_applied (version);
CREATE UNIQUE INDEX dbcare_migrations_applied_repeatable ON dbcare.migrations_applied (name)
    WHERE kind = 'repeatable';
COMMENT ON TABLE dbcare.migrations_applied IS 'dbcare: migrations applied now, with the checksum they were applied with';

CREATE TABLE dbcare.migrations_history (
    id          bigserial CONSTRAINT dbcare_migrations_history_pkey PRIMARY KEY,
    version     text,
    name        text,
    kind        text NOT NULL,
    direction   text NOT NULL,
    checksum    text,
    fingerprint text,
    snapshot    text,
    applied_at  timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    applied_by  text NOT NULL DEFAULT CURRENT_USER,
    duration_ms double precision,
    success     boolean NOT NULL,
    error       text,
    started_ms  double precision
);
CREATE INDEX dbcare_migrations_history_unfinished ON dbcare.migrations_history (id) WHERE NOT success;
CREATE INDEX dbcare_migrations_history_fingerprint ON dbcare.migrations_history (id)
    WHERE fingerprint IS NOT NULL;
COMMENT ON TABLE dbcare.migrations_history IS 'dbcare: every up, down, baseline and repair event (dbmigrate_history)';
-- The renames and drops the migration runner saw each migration make, with
-- what the table (column) is to the server whatever its name: the generator
-- follows a live table back to the names it had (docs/schema-as-code.md).
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
-- The schema snapshot that ends each changing call is half a megabyte at
-- 1,000 tables; pglz compressing it was 0.8 % of applying 1,000 migrations,
-- lz4 a tenth of that. Servers built without lz4 keep the default.
DO $$
BEGIN
    ALTER TABLE dbcare.migrations_history ALTER COLUMN snapshot SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    NULL;
END
$$;

-- One row, written first by every changing call: at REPEATABLE READ or
-- SERIALIZABLE a session that waited for the lock fails on it instead of
-- re-applying what the winner committed.
CREATE TABLE dbcare.migrations_lock (
    id         integer CONSTRAINT dbcare_migrations_lock_pkey PRIMARY KEY
        CONSTRAINT dbcare_migrations_lock_id_check CHECK (id = 1),
    generation bigint NOT NULL DEFAULT 0
);

-- The migration status in a few figures (current version and the pending,
-- changed, missing, failed and applied counts) for dbmigrate_assert,
-- dbmigrate_current and health, which applications call at every start-up.
-- The first of those calls after a change derives it and stores it here
-- with the generation it describes; every write to the three tables above
-- (and to migrations_lock, so every changing call) bumps
-- migrations_generation (the trigger below, once per transaction), so
-- a stored row answers only while its generation is the current one. Two
-- tables, so writers (the counter) never wait for a caller's open transaction
-- that stored the summary, nor the other way round. Neither is dumped: a
-- restored database starts at generation 0 with nothing stored.
CREATE TABLE dbcare.migrations_generation (
    id integer CONSTRAINT dbcare_migrations_generation_pkey PRIMARY KEY
        CONSTRAINT dbcare_migrations_generation_id_check CHECK (id = 1),
    n  bigint NOT NULL
);
INSERT INTO dbcare.migrations_generation VALUES (1, 0);
CREATE TABLE dbcare.migrations_summary (
    id              integer CONSTRAINT dbcare_migrations_summary_pkey PRIMARY KEY
        CONSTRAINT dbcare_migrations_summary_id_check CHECK (id = 1),
    generation      bigint,
    current_version text,
    pending         integer,
    changed         integer,
    missing         integer,
    failed          integer,
    applied         integer
);
INSERT INTO dbcare.migrations_summary (id) VALUES (1);
COMMENT ON TABLE dbcare.migrations_summary IS 'dbcare: the migration status summary and the generation of the migration tables it describes';

-- The functions: generated at build time from the API table
-- (core/api/functions.h) by pg/gen/api_sql.c in place of the next line.
-- dbcare:api migrate

-- dbcare.migrations_changed() (in the table above: SECURITY DEFINER, so
-- whoever may write a migration table bumps the counter without a grant on
-- it) on every migration table. ALWAYS: also under session_replication_role
-- = replica (logical replication, pg_restore into a live database).
CREATE TRIGGER dbcare_migrations_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON dbcare.migrations FOR EACH STATEMENT EXECUTE FUNCTION dbcare.migrations_changed();
CREATE TRIGGER dbcare_migrations_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON dbcare.migrations_applied FOR EACH STATEMENT EXECUTE FUNCTION dbcare.migrations_changed();
CREATE TRIGGER dbcare_migrations_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON dbcare.migrations_history FOR EACH STATEMENT EXECUTE FUNCTION dbcare.migrations_changed();
-- and the lock row every changing call writes first: any such call bumps it
CREATE TRIGGER dbcare_migrations_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON dbcare.migrations_lock FOR EACH STATEMENT EXECUTE FUNCTION dbcare.migrations_changed();
ALTER TABLE dbcare.migrations ENABLE ALWAYS TRIGGER dbcare_migrations_changed;
ALTER TABLE dbcare.migrations_applied ENABLE ALWAYS TRIGGER dbcare_migrations_changed;
ALTER TABLE dbcare.migrations_history ENABLE ALWAYS TRIGGER dbcare_migrations_changed;
ALTER TABLE dbcare.migrations_lock ENABLE ALWAYS TRIGGER dbcare_migrations_changed;

-- Who registered each migration (issue: registered SQL must not run with the
-- rights of a role that did not write it). Set on every insert and update of
-- the registry, whoever writes (a dbcare call or a hand edit): the role that
-- wrote the SQL last. Not SECURITY DEFINER, so CURRENT_USER is the writer;
-- ALWAYS, so session_replication_role = replica does not skip it.
CREATE FUNCTION dbcare.migrations_registrant() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    NEW.registered_by := CURRENT_USER;
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION dbcare.migrations_registrant() FROM PUBLIC;
CREATE TRIGGER dbcare_migrations_registrant BEFORE INSERT OR UPDATE ON dbcare.migrations
    FOR EACH ROW EXECUTE FUNCTION dbcare.migrations_registrant();
ALTER TABLE dbcare.migrations ENABLE ALWAYS TRIGGER dbcare_migrations_registrant;

-- Who wrote each row of the rename log, set on every insert and update
-- whoever writes, by the registry's trigger: the generator follows only
-- rows written by roles the caller trusts, by the rule migrations run by.
CREATE TRIGGER dbcare_migrations_renames_registrant BEFORE INSERT OR UPDATE ON dbcare.migrations_renames
    FOR EACH ROW EXECUTE FUNCTION dbcare.migrations_registrant();
ALTER TABLE dbcare.migrations_renames ENABLE ALWAYS TRIGGER dbcare_migrations_renames_registrant;

SELECT pg_catalog.pg_extension_config_dump('dbcare.migrations', '');
SELECT pg_catalog.pg_extension_config_dump('dbcare.migrations_applied', '');
SELECT pg_catalog.pg_extension_config_dump('dbcare.migrations_history', '');
SELECT pg_catalog.pg_extension_config_dump('dbcare.migrations_history_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('dbcare.migrations_lock', '');

-- Monitoring reads everything but the migrations' SQL, which only the roles
-- the DBA grants it to may read (a migration's SQL is code to run, and may
-- name things a monitor has no business seeing).
GRANT SELECT (kind, version, version_text, name, checksum, no_transaction, registered_at,
    down_checksum, registered_by) ON dbcare.migrations TO pg_monitor;
GRANT SELECT ON dbcare.migrations_applied, dbcare.migrations_history, dbcare.migrations_renames,
    dbcare.migrations_generation, dbcare.migrations_summary TO pg_monitor;

