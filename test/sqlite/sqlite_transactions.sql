-- dbcare inside the caller's transaction on SQLite, and what it refuses.
.headers on
CREATE TABLE t (x UNIQUE);

-- A migration whose conflict clause rolls back the whole transaction cannot
-- be contained by a savepoint: dbcare says so instead of failing obscurely.
BEGIN;
INSERT INTO t VALUES (42);
SELECT dbmigrate_add('1', 'rolls back', 'INSERT INTO t VALUES (1);
INSERT OR ROLLBACK INTO t VALUES (42);') IS NOT NULL AS added;
SELECT dbmigrate_apply();
-- the transaction is gone: nothing of it stayed
SELECT count(*) AS rows_left FROM t;
SELECT count(*) AS bookkeeping_tables FROM sqlite_schema WHERE name LIKE 'dbcare\_%' ESCAPE '\';

-- An ordinary failure inside the caller's transaction leaves the caller's work.
BEGIN;
INSERT INTO t VALUES (7);
SELECT dbmigrate_add('1', 'fails', 'INSERT INTO t VALUES (8);
INSERT INTO t VALUES (7);') IS NOT NULL AS added;
SELECT dbmigrate_apply();
SELECT x FROM t ORDER BY x;
COMMIT;
SELECT version, state FROM dbmigrate_status;

-- Arguments of table-valued functions are equality constraints; any other
-- comparison on an argument column only filters the rows.
SELECT count(*) AS with_target FROM dbmigrate_plan('1');
SELECT count(*) AS filtered FROM dbmigrate_plan WHERE target > '0';

-- A read never creates bookkeeping; a partial set is a clear error.
DROP TABLE dbcare_config;
SELECT dbcare_get('health.ignore');
SELECT dbmigrate_repair() >= 0 AS repaired;
SELECT dbcare_get('health.ignore') AS health_ignore;
