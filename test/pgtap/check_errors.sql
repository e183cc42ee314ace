-- check_errors: dbcheck_* called wrongly gets a specific SQLSTATE and a
-- "dbcare:" message and changes nothing; mutating functions are not for PUBLIC.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
BEGIN;
CREATE EXTENSION IF NOT EXISTS dbcare;
RESET client_min_messages;

SELECT plan(22);

CREATE SCHEMA tap_check;
CREATE TABLE tap_check.parent (id int PRIMARY KEY);
CREATE TABLE tap_check.child (id int PRIMARY KEY, parent_id int);
CREATE SCHEMA tap_other;
CREATE TABLE tap_other.child (id int);

-- NULL arguments name the argument.
SELECT throws_ok($$SELECT dbcheck_add_relation(NULL, 'tap_check.child', 'parent_id', 'tap_check.parent', 'id')$$,
    '22023', 'dbcare: argument "name" must not be NULL', 'add_relation: NULL name');
SELECT throws_ok($$SELECT dbcheck_add_relation('r', NULL, 'parent_id', 'tap_check.parent', 'id')$$,
    '22023', 'dbcare: argument "child_table" must not be NULL', 'add_relation: NULL child_table');
SELECT throws_ok($$SELECT dbcheck_add_relation('r', 'tap_check.child', NULL, 'tap_check.parent', 'id')$$,
    '22023', 'dbcare: argument "child_columns" must not be NULL', 'add_relation: NULL child_columns');
SELECT throws_ok($$SELECT dbcheck_add_relation('r', 'tap_check.child', 'parent_id', NULL, 'id')$$,
    '22023', 'dbcare: argument "parent_table" must not be NULL', 'add_relation: NULL parent_table');
SELECT throws_ok($$SELECT dbcheck_add_relation('r', 'tap_check.child', 'parent_id', 'tap_check.parent', NULL)$$,
    '22023', 'dbcare: argument "parent_columns" must not be NULL', 'add_relation: NULL parent_columns');
SELECT throws_ok($$SELECT dbcheck_drop_relation(NULL)$$,
    '22023', 'dbcare: argument "name" must not be NULL', 'drop_relation: NULL name');
SELECT throws_ok($$SELECT dbcheck_cleanup_orphans(NULL)$$,
    '22023', 'dbcare: argument "dry_run" must not be NULL', 'cleanup_orphans: NULL dry_run');

-- Missing, ambiguous and hostile names are refused before any SQL is built.
SELECT throws_ok($$SELECT * FROM dbcheck_constraints('tap_check.nope')$$,
    '22023', 'dbcare: table "tap_check.nope" named by argument "table" does not exist',
    'constraints: unknown table');
SELECT throws_ok($$SELECT * FROM dbcheck_constraints('child')$$,
    '22023', 'dbcare: table "child" named by argument "table" is ambiguous',
    'constraints: a bare name in two schemas is ambiguous');
SELECT throws_ok($$SELECT * FROM dbcheck_constraints('tap_check.child"; DROP TABLE tap_check.parent; --')$$,
    '22023', NULL, 'constraints: injection through the table name');
SELECT throws_ok($$SELECT dbcheck_add_relation('r', 'tap_check.child; DROP TABLE tap_check.parent', 'parent_id', 'tap_check.parent', 'id')$$,
    '22023', NULL, 'add_relation: injection through child_table');
SELECT throws_ok($$SELECT dbcheck_add_relation('r', 'tap_check.child', 'parent_id) IS NULL; DROP TABLE tap_check.parent; --', 'tap_check.parent', 'id')$$,
    '22023', NULL, 'add_relation: injection through child_columns');
SELECT throws_ok($$SELECT dbcheck_add_relation('r', 'tap_check.child', 'parent_id', 'tap_check.parent''; DROP TABLE tap_check.parent; --', 'id')$$,
    '22023', NULL, 'add_relation: injection through parent_table');
SELECT throws_ok($$SELECT dbcheck_add_relation('r', 'tap_check.child', 'parent_id', 'tap_check.parent', '"id"')$$,
    '22023', 'dbcare: column ""id"" named by argument "parent_columns" does not exist in table tap_check.parent',
    'add_relation: columns are names, not quoted SQL');
SELECT throws_ok($$SELECT dbcheck_add_relation('r', 'tap_check.child', 'id, parent_id', 'tap_check.parent', 'id')$$,
    '22023', 'dbcare: argument "child_columns" names 2 columns but "parent_columns" names 1',
    'add_relation: column counts must match');
SELECT has_table('tap_check', 'parent', 'nothing was dropped');
SELECT is((SELECT count(*) FROM dbcare.relations), 0::bigint, 'no relation was stored');

-- A relation whose table disappeared is a state error (55000) with a hint.
CREATE TABLE tap_check.gone (id int PRIMARY KEY);
SELECT is(dbcheck_add_relation('to_gone', 'tap_check.child', 'parent_id', 'tap_check.gone', 'id'),
          'to_gone', 'relation declared');
DROP TABLE tap_check.gone;
SELECT throws_ok($$SELECT dbcheck_cleanup_orphans(false)$$, '55000',
    'dbcare: refusing to delete orphans of to_gone: its parent table tap_check.gone does not exist',
    'cleanup refuses to delete everything when the parent table is gone');

-- Privileges: reading is for everyone, changing is not.
SELECT ok(NOT has_function_privilege('public', 'dbcheck_add_relation(text, text, text, text, text)', 'EXECUTE'),
          'PUBLIC cannot declare relations');
SELECT ok(NOT has_function_privilege('public', 'dbcheck_cleanup_orphans(boolean)', 'EXECUTE'),
          'PUBLIC cannot delete orphans');
SELECT ok(NOT has_function_privilege('public', 'dbcheck_drop_relation(text)', 'EXECUTE'),
          'PUBLIC cannot drop relations');

SELECT * FROM finish();
ROLLBACK;
