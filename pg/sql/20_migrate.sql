-- dbcare extension script, part 20: migrations. The registry, what is applied
-- now, every event, and the lock row live in schema dbcare and are dumped by
-- pg_dump (pg_extension_config_dump). Functions that run migration SQL keep
-- the caller's search_path (a migration's unqualified names mean what their
-- author meant); every other function pins it. Every constraint, index and
-- trigger is named dbcare_<table>_<what>: a migration that finds constraints
-- by bare table name (pg_constraint.conname LIKE 'migrations_%') must never
-- meet dbcare's own.

-- The registry, what is applied now and every event (core/book/tables.c).
-- A migration's version is unique by an index, not a UNIQUE constraint: an
-- application's migration that sweeps pg_constraint for the UNIQUE
-- constraints of its own table named "migrations" (by bare relname) and
-- renames them unqualified would find this one too and fail. An index has
-- no pg_constraint row; dbcare names no constraint anywhere (ON CONFLICT
-- infers the index from its columns). Monitoring reads everything but the
-- migrations' SQL, which only the roles the DBA grants it to may read (a
-- migration's SQL is code to run, and may name things a monitor has no
-- business seeing).
-- dbcare:book migrations
-- dbcare:book migrations_applied
-- dbcare:book migrations_history
-- The renames and drops the migration runner saw each migration make, with
-- what the table (column) is to the server whatever its name: the generator
-- follows a live table back to the names it had (docs/schema-as-code.md).
-- Not dumped: the OIDs mean nothing after a restore (a row kept would
-- follow nothing, or worse the table that got its OID there).
-- dbcare:book migrations_renames
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
-- dbcare:book migrations_lock

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
-- dbcare:book migrations_generation
INSERT INTO dbcare.migrations_generation VALUES (1, 0);
-- dbcare:book migrations_summary
INSERT INTO dbcare.migrations_summary (id) VALUES (1);

-- The steps of `dbcare migrate --online` done so far (cli/cmd/migrate_online.c):
-- a run killed part way resumes after them.
-- dbcare:book migrations_online_steps

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


