-- dbmigrate_verify proves each migration from the state the real apply
-- reaches just before it: the down script of one migration (here: a no-op up
-- whose down drops a column) must not change what the next one is proven on;
-- after a migration it cannot run or that failed, the rest are listed as not
-- tried, with the reason. (dbmigrate_verify_json: down scripts that drop
-- run there, see docs/migrations.md.)
.headers on
.mode list

CREATE TABLE t (id INTEGER PRIMARY KEY, c TEXT);
SELECT dbmigrate_add('1', 'adopt c', 'SELECT 1;', 'ALTER TABLE t DROP COLUMN c;') IS NOT NULL AS added;
SELECT dbmigrate_add('2', 'index c', 'CREATE INDEX t_c ON t (c);', 'DROP INDEX t_c;') IS NOT NULL AS added;
SELECT dbmigrate_verify_json() AS proof;
SELECT count(*) AS index_kept FROM sqlite_schema WHERE name = 't_c';

SELECT dbmigrate_add('3', 'rebuild', '-- dbcare:no-transaction
VACUUM;') IS NOT NULL AS added;
SELECT dbmigrate_add('4', 'use c', 'CREATE INDEX t_c2 ON t (c, id);') IS NOT NULL AS added;
SELECT dbmigrate_add('5', 'broken', 'INSERT INTO nowhere VALUES (1);') IS NOT NULL AS added;
SELECT dbmigrate_add('6', 'after broken', 'CREATE TABLE u (x);') IS NOT NULL AS added;
SELECT dbmigrate_verify_json('2') AS proof;
SELECT version, up_ok, detail FROM dbmigrate_verify WHERE version >= '3';
SELECT dbmigrate_apply('2') AS applied;
SELECT version, up_ok, detail FROM dbmigrate_verify WHERE version >= '3';
