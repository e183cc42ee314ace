-- dbcare inside the caller's transaction on SQLite, and what it refuses.
.headers on
CREATE TABLE t (x UNIQUE);

-- A conflict clause that rolls back the whole transaction cannot be contained
-- by a savepoint. A migration that says so itself is refused when registered
-- (see the end); a table the caller made is the engine's business, and dbcare
-- says so instead of failing obscurely.
CREATE TABLE r (x UNIQUE ON CONFLICT ROLLBACK);
INSERT INTO r VALUES (42);
BEGIN;
INSERT INTO t VALUES (42);
SELECT dbmigrate_add('1', 'rolls back', 'INSERT INTO t VALUES (1);
INSERT INTO r VALUES (42);') IS NOT NULL AS added;
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

-- Refused when registered, naming the line: conflict resolution ROLLBACK in
-- any of its forms. String literals, comments and quoted names do not count.
SELECT dbmigrate_add('9', 'rolls back', 'INSERT INTO t VALUES (1);
INSERT OR ROLLBACK INTO t VALUES (42);');
SELECT dbmigrate_add('9', 'rolls back', 'UPDATE OR ROLLBACK t SET x = 1;');
SELECT dbmigrate_add('9', 'rolls back', 'CREATE TABLE u (
  a INTEGER,
  b TEXT UNIQUE ON CONFLICT ROLLBACK);');
SELECT dbmigrate_add('9', 'rolls back', 'CREATE TABLE u (a INTEGER, UNIQUE (a) ON CONFLICT ROLLBACK);');
SELECT dbmigrate_add('9', 'rolls back', 'CREATE TABLE u (a INTEGER);
CREATE TRIGGER u_guard BEFORE INSERT ON u BEGIN
  SELECT CASE WHEN new.a < 0 THEN RAISE (ROLLBACK, ''negative'') END;
END;');
SELECT dbmigrate_add('9', 'harmless', '-- INSERT OR ROLLBACK in a comment
INSERT INTO t VALUES (''ON CONFLICT ROLLBACK'');
CREATE TABLE "or" (rollback INTEGER);
INSERT OR REPLACE INTO t VALUES (''RAISE(ROLLBACK, x)'');
CREATE TABLE u (a INTEGER UNIQUE ON CONFLICT ABORT);') IS NOT NULL AS added;
SELECT version, name FROM dbmigrate_status WHERE version = '9';
