-- migrate_errors: every way dbmigrate_* refuses, with its SQLSTATE and a
-- "dbcare:" message, and that a refusal or failure changes nothing.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
BEGIN;
CREATE EXTENSION IF NOT EXISTS dbcare;
RESET client_min_messages;

SELECT plan(36);

-- NULL where a value is required names the argument.
SELECT throws_ok($$SELECT dbmigrate_add(NULL, 'n', 'SELECT 1')$$, '22023',
    'dbcare: argument "version" must not be NULL', 'add: NULL version');
SELECT throws_ok($$SELECT dbmigrate_add('1', NULL, 'SELECT 1')$$, '22023',
    'dbcare: argument "name" must not be NULL', 'add: NULL name');
SELECT throws_ok($$SELECT dbmigrate_add('1', 'n', NULL)$$, '22023',
    'dbcare: argument "up_sql" must not be NULL', 'add: NULL up_sql');
SELECT throws_ok($$SELECT dbmigrate_add_repeatable('n', NULL)$$, '22023',
    'dbcare: argument "sql" must not be NULL', 'add_repeatable: NULL sql');
SELECT throws_ok($$SELECT dbmigrate_load(NULL)$$, '22023',
    'dbcare: argument "path" must not be NULL', 'load: NULL path');
SELECT throws_ok($$SELECT dbmigrate_baseline(NULL)$$, '22023',
    'dbcare: argument "version" must not be NULL', 'baseline: NULL version');
SELECT throws_ok($$SELECT dbmigrate_assert(NULL)$$, '22023',
    'dbcare: argument "version" must not be NULL', 'assert: NULL version');

-- Bad versions and scripts.
SELECT throws_ok($$SELECT dbmigrate_add('', 'n', 'SELECT 1')$$, '22023',
    'dbcare: invalid version ""', 'empty version');
SELECT throws_ok($$SELECT dbmigrate_add('1.a', 'n', 'SELECT 1')$$, '22023',
    'dbcare: invalid version "1.a"', 'non-numeric version');
SELECT throws_ok($$SELECT dbmigrate_add('1..2', 'n', 'SELECT 1')$$, '22023',
    'dbcare: invalid version "1..2"', 'empty version component');
SELECT throws_ok($$SELECT dbmigrate_add('1', 'n', E' \n\t ')$$, '22023',
    'dbcare: up script of migration 1 (n) is empty', 'blank up script');
SELECT throws_ok($$SELECT dbmigrate_add('1', 'n', 'SELECT 1', '')$$, '22023',
    'dbcare: down script of migration 1 (n) is empty', 'empty down script');
SELECT throws_ok($$SELECT dbmigrate_add('1', ' ', 'SELECT 1')$$, '22023',
    'dbcare: name of migration 1 is empty', 'blank name');
SELECT throws_ok($$SELECT dbmigrate_apply('next')$$, '22023',
    'dbcare: invalid target version "next"', 'bad apply target');
SELECT throws_ok($$SELECT dbmigrate_rollback('x')$$, '22023',
    'dbcare: invalid target version "x"', 'bad rollback target');

-- Transaction control is refused at registration.
SELECT throws_ok($$SELECT dbmigrate_add('1', 'n', E'CREATE TABLE t (x int);\nCOMMIT;')$$, '22023',
    'dbcare: migration 1 (n) contains transaction control: COMMIT at line 2', 'COMMIT');
SELECT throws_ok($$SELECT dbmigrate_add('1', 'n', 'START TRANSACTION')$$, '22023',
    'dbcare: migration 1 (n) contains transaction control: START at line 1', 'START TRANSACTION');
SELECT throws_ok($$SELECT dbmigrate_add('1', 'n', 'ROLLBACK')$$, '22023',
    'dbcare: migration 1 (n) contains transaction control: ROLLBACK at line 1', 'ROLLBACK');
SELECT throws_ok($$SELECT dbmigrate_add('1', 'n', 'CREATE INDEX CONCURRENTLY i ON t (x)')$$, '22023',
    'dbcare: migration 1 (n) runs CREATE INDEX CONCURRENTLY at line 1, which cannot run inside a transaction',
    'CONCURRENTLY without the no-transaction marker');

-- 1 and 1.0 are one version.
SELECT lives_ok($$SELECT dbmigrate_add('1', 'create t', 'CREATE TABLE t (x int)', 'DROP TABLE t')$$, 'register 1');
SELECT throws_ok($$SELECT dbmigrate_add('1.0', 'again', 'SELECT 1')$$, '22023',
    'dbcare: version 1.0 is the same version as the registered version 1', '1.0 after 1');

-- A failing migration keeps the engine's SQLSTATE and leaves nothing behind.
SELECT lives_ok($$SELECT dbmigrate_add('2', 'broken', E'CREATE TABLE u (x int);\nINSERT INTO missing VALUES (1);')$$, 'register 2');
SELECT throws_ok($$SELECT dbmigrate_apply()$$, '42P01',
    'dbcare: migration 2 (broken) failed at line 2: relation "missing" does not exist', 'missing table: 42P01');
SELECT is((SELECT count(*)::int FROM dbmigrate_history()), 0, 'history unchanged after the failure');
SELECT ok(to_regclass('t') IS NULL AND to_regclass('u') IS NULL, 'no table of the failed call exists');

-- A migration may not call dbmigrate_apply.
SELECT lives_ok($$SELECT dbmigrate_add('2', 'recursive', 'SELECT dbmigrate_apply()')$$, 'register recursion');
SELECT throws_ok($$SELECT dbmigrate_apply()$$, '55000', NULL, 'a migration calling dbmigrate_apply');
-- ...nor drop dbcare's tables (the extension owns them).
SELECT lives_ok($$SELECT dbmigrate_add('2', 'vandal', 'DROP TABLE dbcare.migrations_history')$$, 'register vandal');
SELECT throws_ok($$SELECT dbmigrate_apply()$$, '2BP01', NULL, 'dropping dbcare''s tables is refused');
SELECT lives_ok($$SELECT dbmigrate_add('2', 'fine', 'CREATE TABLE u (x int)')$$, 'register a good 2');
SELECT is(dbmigrate_apply(), 2, 'apply works afterwards');

-- State that forbids the operation: 55000.
SELECT throws_ok($$SELECT dbmigrate_rollback('1')$$, '55000', NULL, 'rollback without a down script');
SELECT lives_ok($$SELECT dbmigrate_add('1', 'create t', 'CREATE TABLE t (x bigint)', 'DROP TABLE t')$$, 'edit applied 1');
SELECT throws_ok($$SELECT dbmigrate_assert('2')$$, '55000', NULL, 'assert refuses a changed migration');
SELECT throws_ok($$SELECT dbmigrate_baseline('1')$$, '55000',
    'dbcare: cannot baseline: the migration history is not empty (2 event(s))', 'baseline needs an empty history');

-- Privileges: changing functions are not for PUBLIC.
SET ROLE pg_monitor;
SELECT throws_ok($$SELECT dbmigrate_apply()$$, '42501', NULL, 'PUBLIC cannot apply');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
