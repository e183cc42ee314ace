-- dbmigrate_trace: each migration's up script run in a savepoint that is
-- always rolled back, reporting per statement the locks it took, the
-- relations it created, rewrote or dropped, and the rows it wrote
-- (docs/lint.md "The trace"). One migration per statement kind of
-- PostgreSQL 15's lock table. The tables are committed first: a table
-- created in the caller's transaction is locked already, and the trace
-- reports only locks taken by the migration. Everything is dropped at the end.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dbcare;
RESET client_min_messages;
CREATE SCHEMA tr;
SET search_path = tr, public;
CREATE TABLE parent (id int PRIMARY KEY);
INSERT INTO parent VALUES (1), (2);
CREATE TABLE child (id int, parent_id int, name varchar(10), qty int);
INSERT INTO child VALUES (1, 1, 'a', 1), (2, 2, 'b', 2), (3, 1, 'c', 3);
ALTER TABLE child ADD CONSTRAINT qty_pos CHECK (qty > 0) NOT VALID;
CREATE INDEX child_id ON child (id);
CREATE TABLE scratch (v int);
CREATE FUNCTION noop() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';
-- The rows of a trace, without the timings.
CREATE FUNCTION t(v text) RETURNS TABLE (line int, relation text, lock_mode text, change text, "rows" bigint, error text)
LANGUAGE sql AS $$ SELECT line, relation, lock_mode, change, "rows", error FROM dbmigrate_trace(v) $$;
SELECT dbschema_fingerprint() AS fp_before \gset

SELECT count(*) AS registered FROM (VALUES
  (dbmigrate_add('1', 'add column', 'ALTER TABLE child ADD COLUMN note text DEFAULT ''x'';')),
  (dbmigrate_add('2', 'add column volatile', 'ALTER TABLE child ADD COLUMN token uuid DEFAULT gen_random_uuid();')),
  (dbmigrate_add('3', 'type rewrites', 'ALTER TABLE child ALTER COLUMN qty TYPE bigint;')),
  (dbmigrate_add('4', 'type coercible', 'ALTER TABLE child ALTER COLUMN name TYPE varchar(20);')),
  (dbmigrate_add('5', 'set not null', 'ALTER TABLE child ALTER COLUMN parent_id SET NOT NULL;')),
  (dbmigrate_add('6', 'foreign key', 'ALTER TABLE child ADD CONSTRAINT child_parent FOREIGN KEY (parent_id) REFERENCES parent;')),
  (dbmigrate_add('7', 'check not valid', 'ALTER TABLE child ADD CONSTRAINT id_pos CHECK (id > 0) NOT VALID;')),
  (dbmigrate_add('8', 'validate', 'ALTER TABLE child VALIDATE CONSTRAINT qty_pos;')),
  (dbmigrate_add('9', 'create index', 'CREATE INDEX child_name ON child (name);')),
  (dbmigrate_add('10', 'drop table', 'DROP TABLE scratch;')),
  (dbmigrate_add('11', 'truncate', 'TRUNCATE scratch;')),
  (dbmigrate_add('12', 'cluster', 'CLUSTER child USING child_id;')),
  (dbmigrate_add('13', 'rename', 'ALTER TABLE scratch RENAME TO scratch2;')),
  (dbmigrate_add('14', 'trigger', 'CREATE TRIGGER child_t BEFORE INSERT ON child FOR EACH ROW EXECUTE FUNCTION noop();')),
  (dbmigrate_add('15', 'analyze', 'ANALYZE child;')),
  (dbmigrate_add('16', 'data and a new table', E'UPDATE child SET qty = qty + 1 WHERE id < 3;\nSET LOCAL lock_timeout = ''1s'';\nCREATE TABLE fresh (id int);\nINSERT INTO fresh SELECT generate_series(1, 5);')),
  (dbmigrate_add('17', 'fails midway', E'INSERT INTO scratch VALUES (1);\nALTER TABLE child ADD CONSTRAINT id_big CHECK (id > 100);\nDROP TABLE parent;')),
  (dbmigrate_add('18', 'no transaction', E'-- dbcare:no-transaction\nVACUUM FULL child;'))
) v(c);

-- ADD COLUMN: ACCESS EXCLUSIVE; a constant default does not rewrite, a volatile one does.
SELECT * FROM t('1');
SELECT * FROM t('2');
-- ALTER COLUMN TYPE: rewritten (its index rebuilt too) unless binary-coercible.
SELECT * FROM t('3');
SELECT * FROM t('4');
-- SET NOT NULL: ACCESS EXCLUSIVE, a scan but no rewrite.
SELECT * FROM t('5');
-- A foreign key: SHARE ROW EXCLUSIVE on both tables.
SELECT * FROM t('6');
-- CHECK NOT VALID: ACCESS EXCLUSIVE, brief; VALIDATE: SHARE UPDATE EXCLUSIVE.
SELECT * FROM t('7');
SELECT * FROM t('8');
-- CREATE INDEX: SHARE on the table, the index created.
SELECT * FROM t('9');
-- DROP TABLE, TRUNCATE (a new filenode), CLUSTER (rewritten), RENAME.
SELECT * FROM t('10');
SELECT * FROM t('11');
SELECT * FROM t('12');
SELECT * FROM t('13');
-- CREATE TRIGGER: SHARE ROW EXCLUSIVE; ANALYZE: SHARE UPDATE EXCLUSIVE.
SELECT * FROM t('14');
SELECT * FROM t('15');
-- Rows written; a statement that touches no relation has a row of its own.
SELECT * FROM t('16');
SELECT line, statement, duration_ms >= 0 AS timed FROM dbmigrate_trace('16') ORDER BY line;
-- A statement that fails ends the trace with its error; nothing is kept.
SELECT * FROM t('17');

-- Refused: no-transaction migrations, unknown versions, NULL.
SELECT * FROM dbmigrate_trace('18');
SELECT * FROM dbmigrate_trace('99');
SELECT * FROM dbmigrate_trace('not a version');
SELECT * FROM dbmigrate_trace(NULL);
-- CREATE INDEX CONCURRENTLY (like VACUUM) cannot run in a transaction: a
-- migration holding it is refused at registration unless marked
-- no-transaction, and then the trace refuses it (18 above).
SELECT dbmigrate_add('19', 'concurrently', 'CREATE INDEX CONCURRENTLY child_c ON child (qty);') IS NOT NULL AS registered;

-- Inside the caller's transaction: locks it holds already are not the
-- migration's; after the trace the transaction goes on and commits.
BEGIN;
LOCK TABLE child IN ACCESS EXCLUSIVE MODE;
SELECT * FROM t('1');
SELECT count(*) AS child_rows FROM child;
COMMIT;
-- A cancel (statement_timeout) ends the call; the session goes on.
SELECT dbmigrate_add('20', 'slow', 'ALTER TABLE child ADD COLUMN slow int; SELECT pg_sleep(5);') IS NOT NULL AS registered;
SET statement_timeout = '200ms';
SELECT * FROM t('20');
RESET statement_timeout;
SELECT * FROM t('7');

-- The database is as before: schema, rows, nothing applied.
SELECT dbschema_fingerprint() = :'fp_before' AS schema_unchanged;
SELECT string_agg(id || ':' || qty, ',' ORDER BY id) AS child FROM child;
SELECT count(*) AS applied FROM dbmigrate_history();
SELECT to_regclass('tr.fresh') IS NULL AS no_fresh, to_regclass('tr.scratch') IS NOT NULL AS scratch_kept;
-- Not executable by PUBLIC.
SELECT has_function_privilege('public', 'dbmigrate_trace(text)', 'EXECUTE') AS public_may_trace;

DELETE FROM dbcare.migrations;
SET client_min_messages = warning;
DROP SCHEMA tr CASCADE;
