-- The audit trail on SQLite (docs/audit.md): dbaudit_enable's options and
-- refusals, the generated triggers (insert, changed columns of an update,
-- delete, the baseline), the session's actor, one transaction id per
-- transaction, names with quotes, spaces and unicode, history, the log, a
-- row rebuilt at a time, trusted_schema = OFF, refresh after a new column,
-- and a dropped audited table.
.headers on
.mode list
PRAGMA trusted_schema = OFF;
CREATE TABLE "Odd ""Name"" tâble" (id INTEGER PRIMARY KEY, "full name" TEXT, pw TEXT, n REAL, b BLOB);
INSERT INTO "Odd ""Name"" tâble" VALUES (1, 'before', 'h0', 1.5, NULL);
CREATE TABLE nokey (a INTEGER, b TEXT);
CREATE VIEW v AS SELECT 1 AS x;
CREATE TEMP TABLE tt (id INTEGER PRIMARY KEY);

SELECT dbaudit_enable('Odd "Name" tâble', '{"exclude": ["pw"], "baseline": true}') AS enabled;
-- refusals
SELECT dbaudit_enable('Odd "Name" tâble');
SELECT dbaudit_enable('nokey');
SELECT dbaudit_enable('v');
SELECT dbaudit_enable('tt');
SELECT dbaudit_enable('missing');
SELECT dbaudit_enable('dbcare_audit_log');
SELECT dbaudit_disable('nokey');
SELECT dbaudit_enable('nokey', '{"key": ["nope"]}');
SELECT dbaudit_enable('nokey', '{"key": ["a"], "bogus": 1}');
SELECT dbaudit_enable('nokey', '{"key": ["a"], "exclude": ["a"]}');
SELECT dbaudit_enable('nokey', '[1]');
SELECT dbaudit_enable('nokey', '{"key": ["a"], "updates": "full"}') AS named_key;

-- changes by the application's user, three statements in one transaction
SELECT dbaudit_actor('alice@example') AS actor;
BEGIN;
INSERT INTO "Odd ""Name"" tâble" VALUES (2, 'Zoë', 'h1', 2, x'00ff');
UPDATE "Odd ""Name"" tâble" SET "full name" = 'Zoe', pw = 'h2' WHERE id = 2;
UPDATE "Odd ""Name"" tâble" SET pw = 'h3' WHERE id = 2;
COMMIT;
SELECT dbaudit_actor(NULL) AS cleared;
DELETE FROM "Odd ""Name"" tâble" WHERE id = 1;
INSERT INTO nokey VALUES (7, 'x');
UPDATE nokey SET b = 'y';
SELECT operation, actor, table_name, key, old_values, new_values FROM dbcare_audit_log ORDER BY id;
SELECT count(DISTINCT txid) AS one_txid FROM dbcare_audit_log WHERE actor IS NOT NULL;
SELECT count(DISTINCT txid) AS four_autocommit_txids FROM dbcare_audit_log WHERE actor IS NULL;
-- a rolled-back transaction and a rolled-back savepoint leave nothing
BEGIN;
INSERT INTO nokey VALUES (8, 'gone');
ROLLBACK;
BEGIN;
SAVEPOINT s;
INSERT INTO nokey VALUES (9, 'gone');
ROLLBACK TO s;
INSERT INTO nokey VALUES (10, 'kept');
COMMIT;
SELECT key, operation FROM dbcare_audit_log WHERE table_name = 'nokey' ORDER BY id;

-- reading
SELECT id, operation, old_values, new_values FROM dbaudit_history('Odd "Name" tâble', '{"id": 2}');
SELECT count(*) AS entries FROM dbaudit_log('Odd "Name" tâble');
SELECT count(*) AS none_since FROM dbaudit_log(NULL, '2999-01-01');
SELECT dbaudit_row_at('Odd "Name" tâble', '{"id": 2}', '2999-01-01') AS row2;
SELECT dbaudit_row_at('Odd "Name" tâble', '{"id": 1}', '2999-01-01') IS NULL AS row1_deleted;
SELECT dbaudit_row_at('Odd "Name" tâble', '{"id": 1}', '2000-01-01') IS NULL AS row1_not_yet;
SELECT dbaudit_row_at('Odd "Name" tâble', '{"nope": 1}', '2999-01-01');
SELECT "table", options, entries FROM dbaudit_tables;

-- a new column is recorded once the triggers are made again
ALTER TABLE "Odd ""Name"" tâble" ADD COLUMN "new col" TEXT;
UPDATE "Odd ""Name"" tâble" SET "new col" = 'unseen' WHERE id = 2;
SELECT status, message FROM dbhealth_checks('quick') WHERE name = 'audit';
SELECT dbaudit_refresh() AS refreshed;
SELECT status, message FROM dbhealth_checks('quick') WHERE name = 'audit';
UPDATE "Odd ""Name"" tâble" SET "new col" = 'seen' WHERE id = 2;
SELECT operation, new_values FROM dbcare_audit_log ORDER BY id DESC LIMIT 1;

-- a dropped audited table: its log stays readable, refresh skips it
DROP TABLE nokey;
SELECT status, message FROM dbhealth_checks('quick') WHERE name = 'audit';
SELECT dbaudit_refresh() AS refreshed_after_drop;
SELECT count(*) AS nokey_history FROM dbaudit_history('nokey', '{"a": 7}');
SELECT dbaudit_disable('nokey') AS disabled;
SELECT "table" FROM dbaudit_tables;
-- the hash chain: a changed entry and a deleted one are the first broken links
SELECT dbcare_set('audit.hash_chain', 'on') AS was;
CREATE TABLE chained (id INTEGER PRIMARY KEY, v TEXT);
SELECT dbaudit_enable('chained') AS chained;
INSERT INTO chained VALUES (1, 'a'), (2, 'b'), (3, 'c');
UPDATE chained SET v = 'bb' WHERE id = 2;
SELECT count(*) AS hashed FROM dbcare_audit_log WHERE hash IS NOT NULL;
SELECT * FROM dbaudit_verify;
UPDATE dbcare_audit_log SET new_values = '{"id":2,"v":"forged"}'
 WHERE id = (SELECT min(id) + 1 FROM dbcare_audit_log WHERE hash IS NOT NULL);
SELECT checked, broken_id - (SELECT min(id) FROM dbcare_audit_log WHERE hash IS NOT NULL) AS broken_offset, problem FROM dbaudit_verify;
DELETE FROM dbcare_audit_log WHERE id = (SELECT min(id) + 1 FROM dbcare_audit_log WHERE hash IS NOT NULL);
SELECT checked, broken_id - (SELECT min(id) FROM dbcare_audit_log WHERE hash IS NOT NULL) AS broken_offset, problem FROM dbaudit_verify;
-- a hostile file's trigger cannot reach the DIRECTONLY ones
CREATE TABLE h (a INTEGER PRIMARY KEY);
CREATE TRIGGER h_actor AFTER INSERT ON h BEGIN SELECT dbaudit_actor('mallory'); END;
INSERT INTO h VALUES (1);
DROP TRIGGER h_actor;
CREATE TRIGGER h_enable AFTER INSERT ON h BEGIN SELECT dbaudit_disable('Odd "Name" tâble'); END;
INSERT INTO h VALUES (2);
SELECT dbaudit_actor() IS NULL AS actor_unchanged, count(*) AS still_audited FROM dbaudit_tables;
-- the trigger functions are INNOCUOUS; setting the actor and enabling are DIRECTONLY
SELECT name, narg, flags & 2097152 > 0 AS innocuous, flags & 524288 > 0 AS directonly
  FROM pragma_function_list
 WHERE name IN ('dbaudit_actor', 'dbaudit_txid', 'dbaudit_now', 'dbaudit_json', 'dbaudit_json_changed',
                'dbaudit_hash', 'dbaudit_enable')
  ORDER BY name, narg;
-- mode "wal" is PostgreSQL's: SQLite refuses it and audits nothing
CREATE TABLE wal_t (id INTEGER PRIMARY KEY); SELECT dbaudit_enable('wal_t', NULL, 'wal');
