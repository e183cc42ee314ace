-- dbcare calls nested in a migration: an inner dbcare error caught by the
-- migration's own PL/pgSQL exception block leaves the outer apply working
-- (its memory and savepoints intact), and the whole call stays all or nothing.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dbcare;
RESET client_min_messages;
BEGIN;
CREATE SCHEMA nest;
SET search_path = nest, public;

SELECT dbmigrate_add('1', 'catches an inner dbcare error', $m$
CREATE TABLE before_inner (id int);
DO $d$
BEGIN
  PERFORM dbcare_set('no.such.key', 'x');
EXCEPTION WHEN invalid_parameter_value THEN
  RAISE NOTICE 'caught: %', SQLERRM;
END
$d$;
CREATE TABLE after_inner (id int);
$m$) IS NOT NULL AS added;
SELECT dbmigrate_apply() AS applied;
SELECT version, state FROM dbmigrate_status();
SELECT count(*) AS tables FROM pg_tables WHERE schemaname = 'nest';
-- the outer call's snapshot was stored: no drift right after it
SELECT count(*) AS problems FROM dbmigrate_validate();

-- An inner error nobody catches fails the migration and undoes all of it.
SELECT dbmigrate_add('2', 'fails inside a nested call', $m$
CREATE TABLE doomed (id int);
SELECT dbcare_set('migrate.lock_timeout_ms', '-5');
$m$) IS NOT NULL AS added;
SAVEPOINT before_two;
SELECT dbmigrate_apply();
ROLLBACK TO SAVEPOINT before_two;
SELECT count(*) AS doomed_tables FROM pg_tables WHERE tablename = 'doomed';
SELECT version, state FROM dbmigrate_status() ORDER BY version;
ROLLBACK;
