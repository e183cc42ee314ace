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
    version        text CONSTRAINT dbcare_migrations_version_key UNIQUE,
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
CREATE UNIQUE INDEX dbcare_migrations_repeatable ON dbcare.migrations (name) WHERE kind = 'repeatable';
COMMENT ON TABLE dbcare.migrations IS 'dbcare: registered migrations (dbmigrate_add, dbmigrate_load)';

CREATE TABLE dbcare.migrations_applied (
    kind        text NOT NULL CONSTRAINT dbcare_migrations_applied_kind_check
        CHECK (kind IN ('versioned', 'repeatable', 'baseline')),
    version     text CONSTRAINT dbcare_migrations_applied_version_key UNIQUE,
    name        text NOT NULL,
    checksum    text,
    applied_at  timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    duration_ms double precision,
    -- the down script's checksum when applied; 'none' without a down script,
    -- NULL when not known (baselines): a different one now means "changed"
    down_checksum text
);
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

-- SECURITY DEFINER: whoever may write a migration table bumps the counter,
-- without a grant on it. ALWAYS: also under session_replication_role =
-- replica (logical replication, pg_restore into a live database).
CREATE FUNCTION dbcare.migrations_changed() RETURNS trigger
    LANGUAGE c SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbcare_migrations_changed';
REVOKE ALL ON FUNCTION dbcare.migrations_changed() FROM PUBLIC;
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
GRANT SELECT ON dbcare.migrations_applied, dbcare.migrations_history,
    dbcare.migrations_generation, dbcare.migrations_summary TO pg_monitor;

-- Registration.
CREATE FUNCTION dbmigrate_add(version text, name text, up_sql text, down_sql text DEFAULT NULL)
    RETURNS text LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbmigrate_add';
COMMENT ON FUNCTION dbmigrate_add(text, text, text, text) IS 'registers a versioned migration; returns its checksum';

CREATE FUNCTION dbmigrate_add_repeatable(name text, sql text)
    RETURNS text LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbmigrate_add_repeatable';
COMMENT ON FUNCTION dbmigrate_add_repeatable(text, text) IS 'registers or replaces a repeatable migration';

CREATE FUNCTION dbmigrate_load(path text)
    RETURNS integer LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbmigrate_load';
COMMENT ON FUNCTION dbmigrate_load(text) IS 'registers the migrations of a server directory (Flyway, golang-migrate, popx or diesel layout); returns how many were new or changed';

-- Reading.
CREATE FUNCTION dbmigrate_status()
    RETURNS TABLE (version text, name text, kind text, state text, checksum text,
                   applied_at timestamptz, duration_ms double precision)
    LANGUAGE c STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbmigrate_status';
COMMENT ON FUNCTION dbmigrate_status() IS 'one row per registered or applied migration, in apply order';

CREATE FUNCTION dbmigrate_plan(target text DEFAULT NULL)
    RETURNS TABLE (step integer, version text, name text, kind text, direction text)
    LANGUAGE c STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbmigrate_plan';
COMMENT ON FUNCTION dbmigrate_plan(text) IS 'what dbmigrate_apply(target) would do';

CREATE FUNCTION dbmigrate_validate()
    RETURNS TABLE (version text, name text, problem text, detail text)
    LANGUAGE c STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbmigrate_validate';
COMMENT ON FUNCTION dbmigrate_validate() IS 'changed, missing, out-of-order and failed migrations, and schema drift';

CREATE FUNCTION dbmigrate_history()
    RETURNS TABLE (id bigint, version text, name text, kind text, direction text, checksum text,
                   fingerprint text, applied_at timestamptz, applied_by text,
                   duration_ms double precision, success boolean, error text)
    LANGUAGE c STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbmigrate_history';
COMMENT ON FUNCTION dbmigrate_history() IS 'every migration event, oldest first';

CREATE FUNCTION dbmigrate_current()
    RETURNS text LANGUAGE c STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbmigrate_current';
COMMENT ON FUNCTION dbmigrate_current() IS 'the highest applied version, NULL when none';

CREATE FUNCTION dbmigrate_assert(version text)
    RETURNS boolean LANGUAGE c STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbmigrate_assert';
COMMENT ON FUNCTION dbmigrate_assert(text) IS 'true, or an error unless the database is at version or later with no changed or missing migration';

CREATE FUNCTION dbmigrate_script(target text DEFAULT NULL)
    RETURNS text LANGUAGE c STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbmigrate_script';
COMMENT ON FUNCTION dbmigrate_script(text) IS 'a psql script applying the pending migrations at top level (also non-transactional ones)';
CREATE FUNCTION dbmigrate_script(direction text, target text)
    RETURNS text LANGUAGE c STABLE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbmigrate_script_direction';
COMMENT ON FUNCTION dbmigrate_script(text, text) IS 'a psql script applying (direction apply) or rolling back (rollback) migrations at top level, down scripts marked -- dbcare:no-transaction included';

-- Changing. These run migration SQL with the caller's search_path.
CREATE FUNCTION dbmigrate_apply(target text DEFAULT NULL)
    RETURNS integer LANGUAGE c VOLATILE
    AS 'MODULE_PATHNAME', 'dbmigrate_apply';
COMMENT ON FUNCTION dbmigrate_apply(text) IS 'applies pending migrations up to target, all or nothing';

-- A procedure: it commits after each migration (a later one may use an enum
-- value an earlier one added). No SET clause: a procedure with one cannot
-- commit, and like apply it runs migration SQL with the caller's search_path.
CREATE PROCEDURE dbmigrate_run(target text DEFAULT NULL)
    LANGUAGE c
    AS 'MODULE_PATHNAME', 'dbmigrate_run';
COMMENT ON PROCEDURE dbmigrate_run(text) IS 'applies pending migrations up to target, committing after each, under a session-level migration lock';
REVOKE ALL ON PROCEDURE dbmigrate_run(text) FROM PUBLIC;

CREATE FUNCTION dbmigrate_rollback(target text DEFAULT NULL)
    RETURNS integer LANGUAGE c VOLATILE
    AS 'MODULE_PATHNAME', 'dbmigrate_rollback';
COMMENT ON FUNCTION dbmigrate_rollback(text) IS 'runs down scripts newest first until the current version is target';

CREATE FUNCTION dbmigrate_verify(target text DEFAULT NULL)
    RETURNS TABLE (version text, name text, up_ok boolean, down_ok boolean, reversible boolean,
                   detail text)
    LANGUAGE c VOLATILE
    AS 'MODULE_PATHNAME', 'dbmigrate_verify';
COMMENT ON FUNCTION dbmigrate_verify(text) IS 'proves up, down, up of pending migrations and keeps nothing';

CREATE FUNCTION dbmigrate_baseline(version text)
    RETURNS integer LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbmigrate_baseline';
COMMENT ON FUNCTION dbmigrate_baseline(text) IS 'marks registered migrations up to version as applied without running them';

CREATE FUNCTION dbmigrate_repair()
    RETURNS integer LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbmigrate_repair';
COMMENT ON FUNCTION dbmigrate_repair() IS 'accepts changed checksums and the current schema, forgets missing migrations, removes unfinished records';

-- The bookkeeping calls dbmigrate_script() writes around each migration.
CREATE FUNCTION dbmigrate_step_begin(kind text, key text, checksum text)
    RETURNS boolean LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbmigrate_step_begin';
CREATE FUNCTION dbmigrate_step_end(kind text, key text)
    RETURNS boolean LANGUAGE c VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'dbmigrate_step_end';

REVOKE ALL ON FUNCTION dbmigrate_add(text, text, text, text), dbmigrate_add_repeatable(text, text),
    dbmigrate_load(text), dbmigrate_apply(text), dbmigrate_rollback(text), dbmigrate_verify(text),
    dbmigrate_baseline(text), dbmigrate_repair(), dbmigrate_step_begin(text, text, text),
    dbmigrate_step_end(text, text)
    FROM PUBLIC;
