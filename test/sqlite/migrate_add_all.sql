-- dbmigrate_add_all(migrations): many migrations in one call, by
-- dbmigrate_add's rules, all or nothing (the command-line client's
-- registration on SQLite).
.headers on
.mode list

SELECT dbmigrate_add_all('[
  {"version": "1", "name": "create t", "up": "CREATE TABLE t (x INTEGER);", "down": "DROP TABLE t;"},
  {"version": "2", "name": "index t", "up": "CREATE INDEX t_x ON t (x);\r\n", "down": null},
  {"name": "view v", "up": "CREATE VIEW IF NOT EXISTS v AS SELECT x FROM t;"}
]') AS registered;
SELECT kind, version, version_text, name, script, down_script FROM dbcare_migrations ORDER BY rowid;

-- The same rows and checksums as one dbmigrate_add per migration.
CREATE TEMP TABLE by_list AS SELECT kind, version, name, script, checksum, down_script, down_checksum, no_transaction FROM dbcare_migrations;
DELETE FROM dbcare_migrations;
SELECT dbmigrate_add('1', 'create t', 'CREATE TABLE t (x INTEGER);', 'DROP TABLE t;') IS NOT NULL AS added;
SELECT dbmigrate_add('2', 'index t', 'CREATE INDEX t_x ON t (x);' || char(13, 10)) IS NOT NULL AS added;
SELECT dbmigrate_add_repeatable('view v', 'CREATE VIEW IF NOT EXISTS v AS SELECT x FROM t;') IS NOT NULL AS added;
SELECT count(*) AS differing FROM (
  SELECT * FROM by_list EXCEPT
  SELECT kind, version, name, script, checksum, down_script, down_checksum, no_transaction FROM dbcare_migrations);

-- Registering again replaces what is pending, as dbmigrate_add does.
SELECT dbmigrate_add_all('[{"version": "2", "name": "index t by x", "up": "CREATE INDEX t_x ON t (x);"}]') AS registered;
SELECT version, name, down_script IS NULL AS no_down FROM dbcare_migrations WHERE version = '2';

-- All or nothing: one bad migration anywhere registers none of them, and
-- the error is dbmigrate_add's.
SELECT dbmigrate_add_all('[
  {"version": "3", "name": "create u", "up": "CREATE TABLE u (y INTEGER);"},
  {"version": "4", "name": "empty", "up": "  \n\t"}
]');
SELECT dbmigrate_add_all('[{"version": "3", "name": "create u", "up": "CREATE TABLE u (y INTEGER);"}, {"version": "1.0", "name": "again", "up": "SELECT 1;"}]');
SELECT dbmigrate_add_all('[{"version": "3", "name": "create u", "up": "CREATE TABLE u (y INTEGER);"}, {"version": "x!", "name": "bad", "up": "SELECT 1;"}]');
SELECT count(*) AS registered_after_failures FROM dbcare_migrations WHERE version = '3';

-- The argument's shape.
SELECT dbmigrate_add_all('not json');
SELECT dbmigrate_add_all('{"version": "3"}');
SELECT dbmigrate_add_all('[["3", "a", "SELECT 1;"]]');
SELECT dbmigrate_add_all('[{"version": "3", "name": "a"}]');
SELECT dbmigrate_add_all('[{"version": "3", "name": "a", "up": "SELECT 1;", "dwon": "SELECT 2;"}]');
SELECT dbmigrate_add_all('[{"version": 3, "name": "a", "up": "SELECT 1;"}]');
SELECT dbmigrate_add_all('[{"name": "r", "up": "SELECT 1;", "down": "SELECT 2;"}]');
SELECT dbmigrate_add_all('[{"version": "3", "name": "a", "up": "SELECT 1;\u0000DROP TABLE t;"}]');
SELECT dbmigrate_add_all(NULL);
SELECT dbmigrate_add_all('[]') AS registered;

-- The call's prepared statements end with it: none is left on the
-- connection (sqlite3_close would refuse it), whether the call succeeded or
-- failed.
SELECT count(*) AS statements_left FROM sqlite_stmt WHERE sql NOT LIKE '%sqlite_stmt%';
SELECT dbmigrate_apply() AS applied;
SELECT count(*) AS statements_left FROM sqlite_stmt WHERE sql NOT LIKE '%sqlite_stmt%';

-- Only from top-level SQL, as every changing function.
CREATE TRIGGER t_insert AFTER INSERT ON t BEGIN SELECT dbmigrate_add_all('[]'); END;
INSERT INTO t VALUES (1);

-- The list is strict JSON (docs/migrations.md): an escaped surrogate that
-- is not part of a pair is not a character, and was once stored as bytes
-- that are not UTF-8; a pair is one character. Nothing is registered by a
-- refused list.
SELECT dbmigrate_add_all('[{"version": "20", "name": "lone high \ud800", "up": "SELECT 1;"}]');
SELECT dbmigrate_add_all('[{"version": "20", "name": "lone low \udc00", "up": "SELECT 1;"}]');
SELECT dbmigrate_add_all('[{"version": "20", "name": "high then text \ud83dx", "up": "SELECT 1;"}]');
SELECT dbmigrate_add_all('[{"version": "20", "name": "a", "up": "SELECT 1;"}, {"version": "21", "name": "b", "up": "SELECT 1;", "x": [1, {"y": "\udfff"}]}]');
SELECT count(*) AS registered_20 FROM dbcare_migrations WHERE version IN ('20', '21');
SELECT dbmigrate_add_all('[{"version": "20", "name": "pair \ud83d\ude00 \u00e9\/", "up": "SELECT 1;", "up": "SELECT ''\\\"'';\n\tSELECT 2;", "down": null}, {"version": "21", "name": "b", "up": "SELECT 3;", "down": "SELECT 4;"}]') AS registered;
SELECT version, name, hex(name), script, down_script IS NULL AS no_down FROM dbcare_migrations WHERE version IN ('20', '21') ORDER BY version;
-- A syntax error anywhere outweighs a shape error before it; the first
-- shape error in the text is the one reported.
SELECT dbmigrate_add_all('[{"version": 22, "name": "a", "up": "SELECT 1;"}, ]');
SELECT dbmigrate_add_all('[{"version": "22", "name": "a", "up": "SELECT 1;", "bad": 1}, 7, {"version": 1}]');
SELECT dbmigrate_add_all(' [ ] ') AS registered;
