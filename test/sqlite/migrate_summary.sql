-- The stored migration status summary: stored by the first reader after a
-- change, answered from, cleared by writes to the migration tables.
.headers on
.mode list

SELECT dbmigrate_add('1', 'one', 'CREATE TABLE a (x);') IS NOT NULL AS added;
SELECT dbmigrate_add('2', 'two', 'CREATE TABLE b (x);') IS NOT NULL AS added;
SELECT dbmigrate_apply('1') AS applied;
SELECT count(*) AS stored FROM dbcare_migrations_summary;
SELECT dbmigrate_current() AS current;
SELECT * FROM dbcare_migrations_summary;
SELECT dbmigrate_assert('1') AS ok;
SELECT dbmigrate_assert('2') AS too_old;

-- a write by hand clears it; the next reader derives and stores it again
UPDATE dbcare_migrations_applied SET checksum = 'v1:sha256:00' WHERE version = '1';
SELECT count(*) AS stored FROM dbcare_migrations_summary;
SELECT dbmigrate_assert('1') AS changed;
SELECT * FROM dbcare_migrations_summary;
SELECT dbmigrate_repair() AS repaired;
SELECT count(*) AS stored FROM dbcare_migrations_summary;

-- inside a transaction: read, never stored
BEGIN;
SELECT dbmigrate_current() AS current_in_tx;
SELECT count(*) AS stored_in_tx FROM dbcare_migrations_summary;
COMMIT;
SELECT dbmigrate_apply() AS applied;
SELECT dbmigrate_assert('2') AS ok;
SELECT * FROM dbcare_migrations_summary;
