-- Text with a NUL byte (X'..' cast to text, or bound with its length)
-- through dbcare on SQLite: never read cut at the NUL. dbcheck_json counts
-- such a value as a violation, as CHECK (dbjson_valid(...)) refuses it;
-- a table-valued function's text argument and the session's actor refuse
-- it as every scalar function's argument does; the audit log keeps the
-- whole value, and dbaudit_verify notices bytes hidden after a NUL.
.headers on
.mode list
CREATE TABLE docs (id INTEGER PRIMARY KEY, body TEXT);
INSERT INTO docs VALUES (1, '{"a":1}'),
  (2, CAST(X'7B7D00787878' AS TEXT)),          -- {} NUL xxx
  (3, CAST(X'7B2261223A317D00' AS TEXT)),      -- {"a":1} NUL
  (4, '{"a":"x\u0000y"}');                     -- an escaped NUL is JSON
-- what a CHECK would refuse...
SELECT id, dbjson_valid(body, '{}') AS valid FROM docs WHERE id IN (1, 4);
SELECT dbjson_valid(body, '{}') FROM docs WHERE id = 2;
-- ...is what dbcheck_json counts
SELECT * FROM dbcheck_json('docs', 'body', '{}');
SELECT * FROM dbjson_errors(CAST(X'7B7D00787878' AS TEXT), '{}');
SELECT * FROM dbjson_errors('{}', CAST(X'7B7D002C' AS TEXT));
SELECT * FROM dbjson_errors('{"a":"x\u0000y"}', '{"properties":{"a":{"maxLength":2}}}');

-- the audit log: a value keeps its bytes after the NUL
CREATE TABLE notes (id INTEGER PRIMARY KEY, t TEXT);
SELECT dbaudit_enable('notes') AS enabled;
SELECT dbaudit_enable(CAST(X'6E6F74657300' AS TEXT), '{}');
SELECT dbaudit_enable('docs', CAST(X'7B7D0078' AS TEXT));
SELECT dbaudit_refresh(CAST(X'6E6F74657300' AS TEXT));
SELECT dbaudit_actor(CAST(X'616C69636500626F62' AS TEXT));
SELECT dbaudit_actor('alice') AS actor;
INSERT INTO notes VALUES (1, CAST(X'610062' AS TEXT));
UPDATE notes SET t = CAST(X'610063' AS TEXT) WHERE id = 1;
SELECT operation, actor, new_values FROM dbcare_audit_log ORDER BY id;
SELECT operation, new_values FROM dbaudit_history('notes', '{"id": 1}');
SELECT count(*) FROM dbaudit_history('notes', CAST(X'7B226964223A20317D00' AS TEXT));
SELECT dbaudit_row_at('notes', '{"id": 1}', '2999-01-01') AS row_now;
-- the hash chain: bytes appended after a NUL are a change like any other
SELECT dbcare_set('audit.hash_chain', 'on') AS was;
CREATE TABLE chained (id INTEGER PRIMARY KEY, v TEXT);
SELECT dbaudit_enable('chained') AS chained;
INSERT INTO chained VALUES (1, 'a'), (2, 'b');
SELECT checked, problem FROM dbaudit_verify;
UPDATE dbcare_audit_log SET actor = CAST(X'616C69636500' || hex('mallory') AS TEXT)
 WHERE id = (SELECT max(id) FROM dbcare_audit_log);
SELECT checked, broken_id = (SELECT max(id) FROM dbcare_audit_log) AS last_broken, problem
  FROM dbaudit_verify;

-- a constraint check's sample names the violating row by its whole key,
-- never by the part before a NUL (which here is another, valid row's key)
PRAGMA foreign_keys = OFF;
CREATE TABLE parent (id TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE child (k TEXT PRIMARY KEY, pid TEXT REFERENCES parent) WITHOUT ROWID;
INSERT INTO parent VALUES ('a');
INSERT INTO child VALUES ('a', 'a'), (CAST(X'610062' AS TEXT), 'zz');
SELECT constraint_name, violations, sample FROM dbcheck_constraints('child');

-- a setting stored (by hand) with a NUL byte is set aside, never read as
-- the valid value before the NUL
SELECT dbcare_set('audit.hash_chain', 'off') AS was;
UPDATE dbcare_config SET value = CAST(X'6F6E0078' AS TEXT) WHERE key = 'audit.hash_chain';
SELECT key, value, problem FROM dbcare_settings WHERE key = 'audit.hash_chain';
SELECT dbcare_get('audit.hash_chain') AS effective;
