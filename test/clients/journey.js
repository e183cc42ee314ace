// The start-up journey from Node's better-sqlite3 (its own SQLite, built with
// SQLITE_OMIT_PROGRESS_CALLBACK and SQLITE_DQS=0): load dbcare, apply a
// migration, assert it, read a health report, take a verified backup, write
// to an audited table, and see a JSON Schema CHECK refuse a bad row. Same
// steps as journey.py and test/matrix/journey.sql.
//
//   node journey.js MODULE DIRECTORY     (MODULE "package": the dbcare npm
//                                         package's getLoadablePath())
'use strict';
const assert = require('assert');
const path = require('path');
const Database = require('better-sqlite3');

const [modulePath, directory] = process.argv.slice(2);
const loadable = modulePath === 'package' ? require('dbcare').getLoadablePath() : modulePath;
const db = new Database(path.join(directory, 'app.db'));
db.loadExtension(loadable);
const one = (sql, ...args) => db.prepare(sql).pluck().get(...args);

one("SELECT dbmigrate_add('1', 'events', ?)",
  "CREATE TABLE events (id INTEGER PRIMARY KEY, body TEXT NOT NULL " +
  "CHECK (dbjson_valid(body, '{\"type\": \"object\", \"required\": [\"kind\"]}')));");
assert.strictEqual(one('SELECT dbmigrate_apply()'), 1);
assert.strictEqual(one("SELECT dbmigrate_assert('1')"), 1);
assert.throws(() => one("SELECT dbmigrate_assert('2')"), /^SqliteError: dbcare: |dbcare: /);

one("SELECT dbaudit_enable('events')");
db.prepare(`INSERT INTO events (body) VALUES ('{"kind": "signup"}')`).run();
assert.throws(() => db.prepare(`INSERT INTO events (body) VALUES ('{"no": "kind"}')`).run(),
  /CHECK constraint failed/);
assert.strictEqual(one('SELECT count(*) FROM dbcare_audit_log'), 1);

const report = JSON.parse(one('SELECT dbhealth_report()'));
const integrity = report.checks.find((c) => c.name === 'integrity');
assert.strictEqual(report.status, 'healthy', JSON.stringify(report));
assert.strictEqual(integrity.status, 'ok', JSON.stringify(integrity));

const backup = JSON.parse(one('SELECT dbbackup_create(?)', path.join(directory, 'backup.db')));
assert.ok(backup.verified === true || backup.verified === 1, JSON.stringify(backup));
const copy = new Database(path.join(directory, 'backup.db'), { readonly: true });
assert.strictEqual(copy.prepare('SELECT count(*) FROM events').pluck().get(), 1);
console.log('node journey ok:', one('SELECT sqlite_version()'));
