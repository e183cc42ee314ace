-- A target names a migration exactly: apply, plan, verify and script go up to
-- a registered version, rollback down to an applied one or 0 (everything);
-- a typo is refused before anything runs. An assert for a version nobody
-- registered does not hint at applying. dbcare's own constraints and indexes
-- carry its prefix.
.headers on
.mode list

SELECT dbmigrate_add('1', 'one', 'CREATE TABLE t1 (x);', 'DROP TABLE t1;') IS NOT NULL AS added;
SELECT dbmigrate_add('2', 'two', 'CREATE TABLE t2 (x);', 'DROP TABLE t2;') IS NOT NULL AS added;
SELECT dbmigrate_apply('1.5');
SELECT count(*) AS events FROM dbmigrate_history;
SELECT * FROM dbmigrate_plan('3');
SELECT * FROM dbmigrate_verify('0.5');
SELECT dbmigrate_script('9');
SELECT dbmigrate_apply('1.0') AS applied;
SELECT dbmigrate_apply() AS applied;
SELECT dbmigrate_rollback('6');
SELECT dbmigrate_rollback('1.5');
SELECT dbmigrate_rollback('2') AS rolled_back;
SELECT dbmigrate_rollback('0') AS rolled_back;
SELECT dbmigrate_current() IS NULL AS none_applied;
SELECT dbmigrate_apply() AS applied;
SELECT dbmigrate_assert('7');

-- every index of dbcare's tables (unique keys included) is dbcare_* or
-- SQLite's own name for it, which carries the table's dbcare_ prefix
SELECT s.name AS table_name, i.name AS index_name
  FROM sqlite_schema s, pragma_index_list(s.name) i
 WHERE s.type = 'table' AND s.name LIKE 'dbcare\_%' ESCAPE '\'
   AND i.name NOT LIKE 'dbcare\_%' ESCAPE '\'
   AND i.name NOT LIKE 'sqlite\_autoindex\_dbcare\_%' ESCAPE '\';
SELECT count(*) > 5 AS dbcare_indexes FROM sqlite_schema s, pragma_index_list(s.name) i
 WHERE s.type = 'table' AND s.name LIKE 'dbcare\_%' ESCAPE '\';
