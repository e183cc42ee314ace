-- The start-up journey an application runs with the module loaded (the
-- matrix runs it in every SQLite build; test/script/sqlite_clients.sh runs the
-- same steps from Python's sqlite3 and Node's better-sqlite3): migrations
-- applied and asserted, a health report, a verified backup, an audited
-- write, a JSON Schema CHECK that refuses a bad row; then (the matrix
-- only) a migration generated from a desired schema, whose guard uses the
-- authorizer and, where the build has it, the progress handler.
.headers on
.mode list
SELECT dbmigrate_add('1', 'events', 'CREATE TABLE events (id INTEGER PRIMARY KEY, body TEXT NOT NULL
  CHECK (dbjson_valid(body, ''{"type": "object", "required": ["kind"]}'')));') IS NOT NULL AS added;
SELECT dbmigrate_apply() AS applied;
SELECT dbmigrate_assert('1') AS asserted;
SELECT dbaudit_enable('events') IS NOT NULL AS audited;
INSERT INTO events (body) VALUES ('{"kind": "signup"}');
INSERT INTO events (body) VALUES ('{"no": "kind"}');
SELECT count(*) AS audit_rows FROM dbcare_audit_log;
SELECT json_extract(dbhealth_report(), '$.status') AS health;
SELECT json_extract(value, '$.status') AS integrity, json_extract(value, '$.message') AS message FROM json_each(dbhealth_report(), '$.checks')
 WHERE json_extract(value, '$.name') = 'integrity';
SELECT json_extract(dbbackup_create('journey-backup.db'), '$.verified') AS verified;

SELECT step, statement FROM dbmigrate_generate('CREATE TABLE events (id INTEGER PRIMARY KEY, body TEXT NOT NULL
  CHECK (dbjson_valid(body, ''{"type": "object", "required": ["kind"]}'')));
CREATE TABLE visits (id INTEGER PRIMARY KEY, at TEXT);');
