-- Hostile input to the dbmigrate_* functions: NULL in each argument, empty
-- strings, 1 MB scripts, invalid UTF-8, 1,000-digit versions, injection in
-- names, nonexistent objects. Each call gives a clear "dbcare:" error or a
-- correct result, and the schema and history stay as they were after a
-- refusal (checked with dbschema_fingerprint and dbmigrate_history).
.headers on
.mode list
CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);
INSERT INTO t (v) VALUES ('keep me');
-- (versions below are registered in no particular order)
SELECT dbcare_set('migrate.out_of_order', 'allow') AS previous;
SELECT dbmigrate_add('1', 'first', 'CREATE TABLE one (a INTEGER);', 'DROP TABLE one;') IS NOT NULL AS ok;
SELECT dbmigrate_apply() AS applied;
CREATE TEMP TABLE before AS
  SELECT dbschema_fingerprint() AS fp,
         (SELECT group_concat(id || ':' || version || ':' || direction, ',') FROM dbmigrate_history) AS hist,
         (SELECT group_concat(version || ':' || state, ',') FROM dbmigrate_status) AS status;

-- NULL in each argument.
SELECT dbmigrate_add(NULL, 'n', 'SELECT 1;');
SELECT dbmigrate_add('2', NULL, 'SELECT 1;');
SELECT dbmigrate_add('2', 'n', NULL);
SELECT dbmigrate_add_repeatable(NULL, 'SELECT 1;');
SELECT dbmigrate_add_repeatable('r', NULL);
SELECT dbmigrate_load(NULL);
SELECT dbmigrate_apply(NULL) AS nothing_pending;
SELECT dbmigrate_baseline(NULL);
SELECT dbmigrate_assert(NULL);
SELECT dbmigrate_script(NULL) IS NOT NULL AS script_null_target;
SELECT count(*) AS plan_rows FROM dbmigrate_plan(NULL);
SELECT count(*) AS verify_rows FROM dbmigrate_verify(NULL);
SELECT dbmigrate_step_begin(NULL, '2', 'v1:sha256:00');
SELECT dbmigrate_step_begin('versioned', NULL, 'v1:sha256:00');
SELECT dbmigrate_step_begin('versioned', '2', NULL);
SELECT dbmigrate_step_end(NULL, '2');
SELECT dbmigrate_step_end('versioned', NULL);

-- Empty strings.
SELECT dbmigrate_add('', 'n', 'SELECT 1;');
SELECT dbmigrate_add('3', '', 'SELECT 1;');
SELECT dbmigrate_add('3', 'n', '');
SELECT dbmigrate_add('3', 'n', '   ');
SELECT dbmigrate_add_repeatable('', 'SELECT 1;');
SELECT dbmigrate_add_repeatable('r', '');
SELECT dbmigrate_load('');
SELECT dbmigrate_apply('');
SELECT dbmigrate_rollback('');
SELECT dbmigrate_rollback('x"; DROP TABLE t; --');
SELECT dbmigrate_baseline('');
SELECT dbmigrate_assert('');
SELECT dbmigrate_step_begin('', '', '');
SELECT dbmigrate_step_end('', '');

-- Versions: malformed, injection, 1,000 digits.
SELECT dbmigrate_add('1..2', 'n', 'SELECT 1;');
SELECT dbmigrate_add('-1', 'n', 'SELECT 1;');
SELECT dbmigrate_add('1e3', 'n', 'SELECT 1;');
SELECT dbmigrate_add(' 1', 'n', 'SELECT 1;');
SELECT dbmigrate_add('x"; DROP TABLE t; --', 'n', 'SELECT 1;');
SELECT dbmigrate_add('1''; DROP TABLE t; --', 'n', 'SELECT 1;');
SELECT dbmigrate_add(CAST(x'31ff' AS TEXT), 'n', 'SELECT 1;');
SELECT length(CAST(dbmigrate_add(printf('%.*c', 1000000, '1') || 'x', 'n', 'SELECT 1;') AS TEXT));
SELECT dbmigrate_assert('x"; DROP TABLE t; --');
SELECT dbmigrate_assert(printf('%.*c', 1000, '9'));
SELECT dbmigrate_assert(printf('%.*c', 1000000, '9'));
SELECT count(*) AS plan_rows FROM dbmigrate_plan('x"; DROP TABLE t; --');
SELECT dbschema_fingerprint() = fp AS schema_unchanged,
       (SELECT group_concat(id || ':' || version || ':' || direction, ',') FROM dbmigrate_history) = hist AS history_unchanged,
       (SELECT group_concat(version || ':' || state, ',') FROM dbmigrate_status) = status AS status_unchanged
  FROM before;

-- A script of only a comment is accepted (it runs as a no-op).
SELECT dbmigrate_add('3', 'n', '-- only a comment') IS NOT NULL AS comment_only_accepted;

-- A 1,000-digit version orders after every shorter one, and before a longer one.
SELECT dbmigrate_add(printf('%.*c', 1000, '9'), 'huge', 'CREATE TABLE huge (a INTEGER);') IS NOT NULL AS ok;
SELECT dbmigrate_add('1' || printf('%.*c', 1000, '0'), 'huger', 'CREATE TABLE huger (a INTEGER);') IS NOT NULL AS ok;
SELECT dbmigrate_add('0000' || printf('%.*c', 1000, '9'), 'same', 'SELECT 1;');
SELECT dbmigrate_add('2', 'two', 'CREATE TABLE two (a INTEGER);') IS NOT NULL AS ok;
SELECT step, length(version) AS digits, name FROM dbmigrate_plan;
SELECT dbmigrate_apply() AS applied;
SELECT length(dbmigrate_current()) AS current_digits;
SELECT dbmigrate_assert(printf('%.*c', 1000, '9')) AS at_least_huge;
SELECT dbmigrate_assert('2' || printf('%.*c', 1000, '0'));

-- Names and scripts with injection, quotes, unicode, reserved words.
SELECT dbmigrate_add('13', 'x"; DROP TABLE t; --',
  'CREATE TABLE "x""; DROP TABLE t; --" ("select" INTEGER, "a b;c" TEXT, "ünï🙂" TEXT, "''" TEXT);') IS NOT NULL AS ok;
SELECT dbmigrate_add('14', 'x''); DROP TABLE t; --', 'CREATE TABLE [order] ("group" INTEGER);') IS NOT NULL AS ok;
SELECT dbmigrate_add_repeatable('r"; DROP TABLE t; --', 'CREATE VIEW IF NOT EXISTS "v;--" AS SELECT 1 AS x;') IS NOT NULL AS ok;
SELECT dbmigrate_apply() AS applied;
SELECT version, name, state FROM dbmigrate_status WHERE version IN ('13', '14') OR kind = 'repeatable';
SELECT count(*) AS t_rows FROM t;
SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') AND name NOT LIKE 'dbcare%' AND name NOT LIKE 'sqlite%' ORDER BY name;

-- Invalid UTF-8 in a name and a script: stored as given or refused, never a crash.
SELECT dbmigrate_add('5', CAST(x'6e616d65ff' AS TEXT), 'SELECT 1;') IS NOT NULL AS ok;
SELECT hex(name) FROM dbmigrate_status WHERE version = '5';
SELECT dbmigrate_add('5', 'n5', 'SELECT ''' || CAST(x'c0af' AS TEXT) || ''';') IS NOT NULL AS replaced;
SELECT dbmigrate_apply() AS applied;

-- 1 MB: a script, a name, a target.
SELECT dbmigrate_add('6', 'big', 'CREATE TABLE big (a INTEGER); -- ' || printf('%.*c', 1000000, 'x')) IS NOT NULL AS ok;
SELECT dbmigrate_add('7', printf('%.*c', 1000000, 'n'), 'SELECT 1;') IS NOT NULL AS ok;
SELECT length(name) AS name_length FROM dbmigrate_status WHERE version = '7';
SELECT dbmigrate_add('8', 'big comment only', '/* ' || printf('%.*c', 1000000, '*') || '/');
SELECT dbmigrate_apply(printf('%.*c', 1000000, 'x'));
SELECT dbmigrate_apply() AS applied;
SELECT count(*) AS big_exists FROM sqlite_schema WHERE name = 'big';

-- Nonexistent objects.
SELECT dbmigrate_load('no/such/directory');
SELECT dbmigrate_rollback('12345') AS rolled_back;
SELECT dbmigrate_apply('99') AS applied_nothing_more;
SELECT dbmigrate_add('9', 'missing table', 'INSERT INTO nowhere VALUES (1);') IS NOT NULL AS ok;
SELECT dbmigrate_apply();
SELECT version, state FROM dbmigrate_status WHERE version = '9';

-- Re-entrancy: a migration that calls dbcare's changing functions, or drops
-- dbcare's own tables, fails with a dbcare: error and changes nothing.
DELETE FROM before;
INSERT INTO before
  SELECT dbschema_fingerprint(),
         (SELECT group_concat(id || ':' || version || ':' || direction, ',') FROM dbmigrate_history),
         (SELECT group_concat(version || ':' || state, ',') FROM dbmigrate_status);
SELECT dbmigrate_add('9', 'calls apply', 'CREATE TABLE r1 (a INTEGER);
SELECT dbmigrate_apply();') IS NOT NULL AS replaced;
SELECT dbmigrate_apply();
SELECT dbmigrate_add('9', 'calls rollback', 'CREATE TABLE r1 (a INTEGER);
SELECT dbmigrate_rollback();') IS NOT NULL AS replaced;
SELECT dbmigrate_apply();
SELECT dbmigrate_add('9', 'calls add', 'SELECT dbmigrate_add(''10'', ''sneaky'', ''DROP TABLE t;'');') IS NOT NULL AS replaced;
SELECT dbmigrate_apply();
SELECT dbmigrate_add('9', 'calls baseline', 'SELECT dbmigrate_repair();') IS NOT NULL AS replaced;
SELECT dbmigrate_apply();
SELECT dbmigrate_add('9', 'drops history', 'DROP TABLE dbcare_migrations_history;') IS NOT NULL AS replaced;
SELECT dbmigrate_apply();
SELECT dbmigrate_add('9', 'drops registry', 'CREATE TABLE r1 (a INTEGER);
DROP TABLE dbcare_migrations;
DROP TABLE dbcare_migrations_applied;') IS NOT NULL AS replaced;
SELECT dbmigrate_apply();
SELECT dbschema_fingerprint() = fp AS schema_unchanged,
       (SELECT group_concat(id || ':' || version || ':' || direction, ',') FROM dbmigrate_history) = hist AS history_unchanged,
       (SELECT group_concat(version || ':' || state, ',') FROM dbmigrate_status) = status AS status_unchanged
  FROM before;
SELECT version, name, state FROM dbmigrate_status WHERE version = '9';
SELECT count(*) AS t_rows FROM t;
SELECT count(*) AS r1_exists FROM sqlite_schema WHERE name = 'r1';

-- Known limit: a migration may write to dbcare's tables (it runs with the
-- same rights as dbcare). dbcare notices a dropped table, not rewritten rows.
SELECT dbmigrate_add('9', 'empties history', 'DELETE FROM dbcare_migrations_history;') IS NOT NULL AS replaced;
SELECT dbmigrate_apply() AS applied;
SELECT count(*) AS history_events FROM dbmigrate_history;
