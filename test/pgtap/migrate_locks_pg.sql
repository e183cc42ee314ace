-- migrate_locks_pg: while dbmigrate_apply() runs a migration's script, the
-- call still holds every lock it took on dbcare's tables (the migration lock
-- above all), in modes that let other sessions read the migration history
-- meanwhile (nothing stronger than ROW EXCLUSIVE), and keeps them to the end
-- of the transaction.
--
-- dbcare is installed and committed first: in the transaction that creates
-- its tables, their locks are ACCESS EXCLUSIVE and the modes would say nothing.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS dbcare;
RESET client_min_messages;
BEGIN;

SELECT dbmigrate_add('1', 'seen locks',
    $m$CREATE TABLE seen_locks AS
       SELECT l.relation::regclass::text AS rel, l.mode, l.fastpath
       FROM pg_locks l WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation'$m$,
    'DROP TABLE seen_locks') AS checksum \gset
SELECT dbmigrate_apply() AS applied \gset

SELECT plan(5);

SELECT is(:applied, 1, 'the migration ran');
SELECT ok(EXISTS (SELECT 1 FROM seen_locks
                  WHERE rel = 'dbcare.migrations_lock' AND mode = 'RowExclusiveLock'),
    'the migration lock is held while the script runs');
SELECT ok(EXISTS (SELECT 1 FROM seen_locks
                  WHERE rel = 'dbcare.migrations' AND mode = 'AccessShareLock'),
    'the read locks on dbcare''s tables are held too');
SELECT is((SELECT count(*) FROM seen_locks
            WHERE rel LIKE 'dbcare.%'
              AND mode NOT IN ('AccessShareLock', 'RowShareLock', 'RowExclusiveLock')),
    0::bigint,
    'no lock on dbcare''s tables blocks a reader of the migration history');
-- the locks are the transaction's to the end, as before they were moved
SELECT ok(EXISTS (SELECT 1 FROM pg_locks l
                  WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation'
                    AND l.relation = 'dbcare.migrations_lock'::regclass
                    AND l.mode = 'RowExclusiveLock'),
    'the migration lock is still held after the call');

SELECT * FROM finish();
ROLLBACK;

SET client_min_messages = warning;
DROP EXTENSION dbcare;
