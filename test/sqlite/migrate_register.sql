-- dbmigrate_add on SQLite: re-registering a migration, with and without a
-- down script, and what a re-registration may change.
.headers on
.mode list

-- With a down script, then again without one: the down script is forgotten.
SELECT dbmigrate_add('1', 'create t', 'CREATE TABLE t (x INTEGER);', 'DROP TABLE t;') IS NOT NULL AS added;
SELECT version, name, down_script FROM dbcare_migrations;
SELECT dbmigrate_add('1', 'create t', 'CREATE TABLE t (x INTEGER);') IS NOT NULL AS added;
SELECT version, name, down_script IS NULL AS no_down FROM dbcare_migrations;
-- and back: the down script is registered again
SELECT dbmigrate_add('1', 'create t', 'CREATE TABLE t (x INTEGER);', 'DROP TABLE t;') IS NOT NULL AS added;
SELECT version, name, down_script FROM dbcare_migrations;
SELECT dbmigrate_apply() AS applied;
SELECT dbmigrate_rollback() AS rolled_back;
SELECT version, state FROM dbmigrate_status;

-- The frame's rollback after a failure keeps the whole error: message (one
-- "dbcare: " prefix), hint and context all survive it.
SELECT dbmigrate_add('2', 'bad setting', 'CREATE TABLE u (x INTEGER);
SELECT dbcare_set(''migrate.lock_timeout_ms'', ''-5'');') IS NOT NULL AS added;
SELECT dbmigrate_apply();
SELECT count(*) AS u_tables FROM sqlite_schema WHERE name = 'u';
