-- migrate_add_all: dbmigrate_add_all(migrations) on PostgreSQL, as on SQLite
-- (test/sqlite/migrate_add_all.sql): the same JSON array, the same rows and
-- checksums as one dbmigrate_add per migration, every check before the
-- first write, the same errors; a jsonb and a text signature.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
BEGIN;
CREATE EXTENSION IF NOT EXISTS dbcare;
RESET client_min_messages;

SELECT plan(33);

-- An untyped literal (the SQL that runs on SQLite) registers all three.
SELECT is(dbmigrate_add_all('[
  {"version": "1", "name": "create t", "up": "CREATE TABLE t (x integer);", "down": "DROP TABLE t;"},
  {"version": "2", "name": "index t", "up": "CREATE INDEX t_x ON t (x);\r\n", "down": null},
  {"name": "view v", "up": "CREATE OR REPLACE VIEW v AS SELECT x FROM t;"}
]'), 3, 'three registered from an untyped literal');
SELECT results_eq(
    $$SELECT kind, version_text, name, script, down_script FROM dbcare.migrations ORDER BY kind DESC, version_text$$,
    $$VALUES ('versioned', '1', 'create t', 'CREATE TABLE t (x integer);', 'DROP TABLE t;'),
             ('versioned', '2', 'index t', 'CREATE INDEX t_x ON t (x);', NULL),
             ('repeatable', NULL, 'view v', 'CREATE OR REPLACE VIEW v AS SELECT x FROM t;', NULL)$$,
    'the rows dbmigrate_add would write, scripts normalised');

-- The same rows and checksums as one dbmigrate_add per migration.
CREATE TEMP TABLE by_list AS
  SELECT kind, version_text, name, script, checksum, down_script, down_checksum FROM dbcare.migrations;
DELETE FROM dbcare.migrations;
SELECT ok(dbmigrate_add('1', 'create t', 'CREATE TABLE t (x integer);', 'DROP TABLE t;') IS NOT NULL, 'add 1');
SELECT ok(dbmigrate_add('2', 'index t', E'CREATE INDEX t_x ON t (x);\r\n') IS NOT NULL, 'add 2');
SELECT ok(dbmigrate_add_repeatable('view v', 'CREATE OR REPLACE VIEW v AS SELECT x FROM t;') IS NOT NULL, 'add v');
SELECT set_eq(
    $$SELECT kind, version_text, name, script, checksum, down_script, down_checksum FROM dbcare.migrations$$,
    $$SELECT * FROM by_list$$, 'the same rows and checksums as dbmigrate_add');

-- A jsonb value (built by SQL) registers too; again replaces what is pending.
SELECT is(dbmigrate_add_all(jsonb_build_array(
    jsonb_build_object('version', '2', 'name', 'index t by x', 'up', 'CREATE INDEX t_x ON t (x);'))), 1,
    'a jsonb array');
SELECT results_eq($$SELECT name, down_script IS NULL FROM dbcare.migrations WHERE version_text = '2'$$,
    $$VALUES ('index t by x', true)$$, 'the pending 2 replaced');
SELECT is(dbmigrate_add_all('[]'::jsonb), 0, 'an empty jsonb array');
SELECT is(dbmigrate_add_all('[]'), 0, 'an empty array');

-- All or nothing: one bad migration anywhere registers none, with
-- dbmigrate_add's error.
SELECT throws_ok($$SELECT dbmigrate_add_all('[
  {"version": "3", "name": "create u", "up": "CREATE TABLE u (y int);"},
  {"version": "4", "name": "empty", "up": "  \n\t"}]')$$, '22023',
    'dbcare: up script of migration 4 (empty) is empty', 'an empty script');
SELECT throws_ok($$SELECT dbmigrate_add_all('[{"version": "3", "name": "create u", "up": "CREATE TABLE u (y int);"},
  {"version": "1.0", "name": "again", "up": "SELECT 1;"}]'::jsonb)$$, '22023',
    'dbcare: version 1.0 is the same version as the registered version 1', '1.0 clashes with 1');
SELECT throws_ok($$SELECT dbmigrate_add_all('[{"version": "3", "name": "create u", "up": "CREATE TABLE u (y int);"},
  {"version": "x!", "name": "bad", "up": "SELECT 1;"}]')$$, '22023',
    'dbcare: invalid version "x!"', 'a bad version');
SELECT throws_ok($$SELECT dbmigrate_add_all('[{"version": "3", "name": "create u", "up": "CREATE TABLE u (y int);"},
  {"version": "5", "name": "commits", "up": "COMMIT;"}]')$$, '22023',
    'dbcare: migration 5 (commits) contains transaction control: COMMIT at line 1', 'transaction control');
SELECT is((SELECT count(*) FROM dbcare.migrations WHERE version_text = '3'), 0::bigint,
    'nothing registered by the failed calls');

-- The argument's shape: SQLite's messages, for text and for jsonb.
SELECT throws_ok($$SELECT dbmigrate_add_all('not json')$$, '22023',
    'dbcare: migrations is not valid JSON', 'not JSON');
SELECT throws_ok($$SELECT dbmigrate_add_all('{"version": "3"}')$$, '22023',
    'dbcare: migrations must be a JSON array of objects with "version", "name", "up" and "down"', 'an object');
SELECT throws_ok($$SELECT dbmigrate_add_all('"[]"'::jsonb)$$, '22023',
    'dbcare: migrations must be a JSON array of objects with "version", "name", "up" and "down"', 'a jsonb string');
SELECT throws_ok($$SELECT dbmigrate_add_all('[["3", "a", "SELECT 1;"]]')$$, '22023',
    'dbcare: migration 1 of the list is not a JSON object', 'an element not an object');
SELECT throws_ok($$SELECT dbmigrate_add_all('[{"version": "3", "name": "a"}]')$$, '22023',
    'dbcare: migration 1 of the list has no "up"', 'no up');
SELECT throws_ok($$SELECT dbmigrate_add_all('[{"version": "3", "name": "a", "up": "SELECT 1;", "dwon": "SELECT 2;"}]')$$, '22023',
    'dbcare: migration 1 of the list has an unknown member "dwon" (expected "version", "name", "up", "down")',
    'an unknown member');
SELECT throws_ok($$SELECT dbmigrate_add_all('[{"version": 3, "name": "a", "up": "SELECT 1;"}]'::jsonb)$$, '22023',
    'dbcare: "version" of migration 1 of the list is not a string', 'a number');
SELECT throws_ok($$SELECT dbmigrate_add_all('[{"name": "r", "up": "SELECT 1;", "down": "SELECT 2;"}]')$$, '22023',
    'dbcare: migration 1 of the list has a "down" but no "version" (a repeatable migration has no down script)',
    'a repeatable with a down');
SELECT throws_ok($$SELECT dbmigrate_add_all('[{"version": "3", "name": "a", "up": "SELECT 1;\u0000DROP TABLE t;"}]')$$, '22023',
    'dbcare: migrations contains a NUL character (\u0000)', 'a NUL escape');
SELECT throws_ok($$SELECT dbmigrate_add_all(NULL)$$, '22023',
    'dbcare: argument "migrations" must not be NULL', 'NULL');
SELECT throws_ok($$SELECT dbmigrate_add_all(NULL::jsonb)$$, '22023',
    'dbcare: argument "migrations" must not be NULL', 'NULL jsonb');

-- Names with a control character are refused, as by dbmigrate_add.
SELECT throws_ok($$SELECT dbmigrate_add_all('[{"version": "3", "name": "a\u2028b", "up": "SELECT 1;"}]')$$, '22023',
    NULL, 'a name with U+2028');

-- Not from inside a migration, as every changing dbmigrate_* function.
SELECT ok(dbmigrate_add('9', 'registers more', 'SELECT dbmigrate_add_all(''[]'')') IS NOT NULL, 'add 9');
SELECT throws_ok($$SELECT dbmigrate_apply()$$, '55000',
    'dbcare: migration 9 (registers more) failed at line 1: dbmigrate functions that change migrations cannot be called from inside a migration',
    'dbmigrate_add_all inside a migration');
DELETE FROM dbcare.migrations WHERE version_text = '9';

-- Changing: not for PUBLIC, refused in a read-only transaction.
SELECT is(has_function_privilege('public', 'dbmigrate_add_all(jsonb)', 'EXECUTE')
          OR has_function_privilege('public', 'dbmigrate_add_all(text)', 'EXECUTE'), false,
    'PUBLIC cannot execute either signature');
SAVEPOINT ro;
SET TRANSACTION READ ONLY;
SELECT throws_ok($$SELECT dbmigrate_add_all('[]')$$, '25006', NULL, 'refused in a read-only transaction');
ROLLBACK TO SAVEPOINT ro;

-- The registered migrations apply.
SELECT is(dbmigrate_apply(), 3, 'applied');
SELECT is((SELECT count(*) FROM v), 0::bigint, 'the repeatable view exists');

SELECT * FROM finish();
ROLLBACK;
