-- Read-your-migration on SQLite (docs/migrations.md, "Reading your
-- migration on a standby"): the same SQL as on PostgreSQL. One engine, one
-- file: a bookmark is the version alone and a wait returns at once.
.headers on
.mode list

SELECT dbmigrate_bookmark() AS none_applied;
SELECT dbmigrate_add('1', 'one', 'CREATE TABLE a (x);') IS NOT NULL AS added;
SELECT dbmigrate_apply() AS applied;
SELECT dbmigrate_bookmark() AS bookmark;
SELECT dbmigrate_wait(dbmigrate_bookmark()) AS visible;
SELECT dbmigrate_wait('1', '0') AS visible_at_once;
SELECT dbmigrate_assert('1', dbmigrate_bookmark()) AS ok;
SELECT dbmigrate_assert('1', NULL, '1s') AS ok_without_bookmark;
SELECT dbmigrate_assert('2', dbmigrate_bookmark());
SELECT dbmigrate_wait('1', 'soon');
SELECT dbmigrate_wait('1@not-an-lsn');
SELECT dbmigrate_wait(NULL);
