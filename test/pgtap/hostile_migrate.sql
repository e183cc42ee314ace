-- hostile_migrate: dbmigrate_* with 10 MB scripts, 1,000-digit versions,
-- injection in names, re-entrant and self-destructive migrations, and a
-- search_path attack: a clear "dbcare:" error or a correct result, and after
-- a refusal the schema fingerprint and the history are as before.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
BEGIN;
CREATE EXTENSION IF NOT EXISTS dbcare;
RESET client_min_messages;

SELECT plan(29);

CREATE TABLE t (id int PRIMARY KEY, v text);
INSERT INTO t VALUES (1, 'keep me');
SELECT ok(dbmigrate_add('1', 'first', 'CREATE TABLE one (a int)') IS NOT NULL, 'a first migration');
SELECT is(dbmigrate_apply(), 1, 'applied');

CREATE TEMP TABLE before AS
  SELECT dbschema_fingerprint() AS fp,
         (SELECT string_agg(id || ':' || version || ':' || direction, ',' ORDER BY id) FROM dbmigrate_history()) AS hist,
         (SELECT string_agg(version || ':' || state, ',' ORDER BY version) FROM dbmigrate_status()) AS status;
CREATE FUNCTION pg_temp.unchanged() RETURNS boolean LANGUAGE sql AS $$
  SELECT dbschema_fingerprint() = fp
     AND (SELECT string_agg(id || ':' || version || ':' || direction, ',' ORDER BY id) FROM dbmigrate_history()) = hist
     AND (SELECT string_agg(version || ':' || state, ',' ORDER BY version) FROM dbmigrate_status()) = status
    FROM before $$;

-- Bad versions: a short message whatever their size.
SELECT throws_ok($$SELECT dbmigrate_add(repeat('1', 10000000) || 'x', 'n', 'SELECT 1')$$, '22023',
    'dbcare: invalid version "' || repeat('1', 80) || '... (10000001 bytes)"', '10 MB invalid version, 80-byte excerpt');
SELECT throws_ok($$SELECT dbmigrate_add('x"; DROP TABLE t; --', 'n', 'SELECT 1')$$, '22023',
    'dbcare: invalid version "x"; DROP TABLE t; --"', 'injection as a version');
SELECT throws_like($$SELECT dbmigrate_assert(repeat('9', 10000000))$$,
    'dbcare: database is at migration version 1, the application needs 999%', 'assert with a 10 MB version');
SELECT ok(pg_temp.unchanged(), 'refusals changed nothing');

-- 1,000-digit versions order by number.
SELECT ok(dbmigrate_add(repeat('9', 1000), 'huge', 'CREATE TABLE huge (a int)') IS NOT NULL, '1,000-digit version');
SELECT ok(dbmigrate_add('1' || repeat('0', 1000), 'huger', 'CREATE TABLE huger (a int)') IS NOT NULL, '1,001-digit version');
SELECT throws_ok(format($$SELECT dbmigrate_add('000%s', 'same', 'SELECT 1')$$, repeat('9', 1000)), '22023', NULL,
    'leading zeros make the same version');
SELECT ok(dbmigrate_add('2', 'two', 'CREATE TABLE two (a int)') IS NOT NULL, 'version 2');
SELECT results_eq($$SELECT length(version), name FROM dbmigrate_plan() ORDER BY step$$,
    $$VALUES (1, 'two'), (1000, 'huge'), (1001, 'huger')$$, 'plan in numeric order');
SELECT is(dbmigrate_apply(), 3, 'applied three');
SELECT is(length(dbmigrate_current()), 1001, 'current is the 1,001-digit version');

-- A 10 MB script and a 10 MB name.
SELECT ok(dbmigrate_add('1' || repeat('0', 1000) || '.1', 'big', 'CREATE TABLE big (a int); -- ' || repeat('x', 10000000)) IS NOT NULL, '10 MB script');
SELECT ok(dbmigrate_add('1' || repeat('0', 1000) || '.2', repeat('n', 10000000), 'SELECT 1') IS NOT NULL, '10 MB name');
SELECT is(dbmigrate_apply(), 2, 'applied both');

-- Injection in names and identifiers is data.
SELECT ok(dbmigrate_add('1' || repeat('0', 1000) || '.3', 'x"; DROP TABLE t; --',
    $s$CREATE TABLE "x""; DROP TABLE t; --" ("select" int, "a b;c" text, "ünï🙂" text)$s$) IS NOT NULL, 'injection in names');
SELECT is(dbmigrate_apply(), 1, 'applied');
SELECT is((SELECT count(*)::int FROM t), 1, 't untouched');

DELETE FROM before;
INSERT INTO before SELECT dbschema_fingerprint(),
    (SELECT string_agg(id || ':' || version || ':' || direction, ',' ORDER BY id) FROM dbmigrate_history()),
    (SELECT string_agg(version || ':' || state, ',' ORDER BY version) FROM dbmigrate_status());

-- Re-entrancy and self-destruction: a clear error, nothing changed.
SELECT ok(dbmigrate_add('3' || repeat('0', 1001), 'calls apply', 'CREATE TABLE r1 (a int); SELECT dbmigrate_apply();') IS NOT NULL, 'registered');
SELECT throws_like($$SELECT dbmigrate_apply()$$, '%dbmigrate functions that change migrations cannot be called from inside a migration%',
    'a migration calling dbmigrate_apply');
SELECT ok(dbmigrate_add('3' || repeat('0', 1001), 'calls rollback', 'CREATE TABLE r1 (a int); SELECT dbmigrate_rollback();') IS NOT NULL, 'replaced');
SELECT throws_like($$SELECT dbmigrate_apply()$$, '%dbmigrate functions that change migrations cannot be called from inside a migration%',
    'a migration calling dbmigrate_rollback');
SELECT ok(dbmigrate_add('3' || repeat('0', 1001), 'drops history', 'CREATE TABLE r1 (a int); DROP TABLE dbcare.migrations_history;') IS NOT NULL, 'replaced');
SELECT throws_like($$SELECT dbmigrate_apply()$$, 'dbcare: %', 'a migration dropping dbcare.migrations_history');
SELECT ok(dbmigrate_add('3' || repeat('0', 1001), 'drops schema', 'DROP SCHEMA dbcare CASCADE;') IS NOT NULL, 'replaced');
SELECT throws_like($$SELECT dbmigrate_apply()$$, 'dbcare: %', 'a migration dropping the dbcare schema');
SELECT ok(dbschema_fingerprint() = fp AND
          (SELECT string_agg(id || ':' || version || ':' || direction, ',' ORDER BY id) FROM dbmigrate_history()) = hist,
          'schema and history unchanged') FROM before;
SELECT is((SELECT state FROM dbmigrate_status() WHERE name = 'drops schema'), 'pending', 'the migration is pending');

SELECT * FROM finish();
ROLLBACK;
