-- The first changing call on a fresh SQLite database creates dbcare's tables
-- inside its own savepoint: when the call fails, nothing of it stays behind.
.headers on
.mode list

-- A table of the application that happens to clash with a bookkeeping name
-- makes the migration lock fail.
CREATE TABLE dbcare_migrations_lock (note TEXT);
SELECT dbmigrate_apply();
SELECT name FROM sqlite_schema WHERE name LIKE 'dbcare\_%' ESCAPE '\' ORDER BY name;
SELECT dbmigrate_baseline('1');
SELECT name FROM sqlite_schema WHERE name LIKE 'dbcare\_%' ESCAPE '\' ORDER BY name;

-- Without the clash the first call creates them and keeps them.
DROP TABLE dbcare_migrations_lock;
SELECT dbmigrate_apply() AS applied;
SELECT count(*) AS bookkeeping_tables FROM sqlite_schema WHERE type = 'table' AND name LIKE 'dbcare\_%' ESCAPE '\';
