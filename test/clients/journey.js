// The start-up journey from Node's better-sqlite3 (its own SQLite, built with
// SQLITE_OMIT_PROGRESS_CALLBACK and SQLITE_DQS=0): load dbcare, apply a
// migration, assert it, read a health report, take a verified backup, write
// to an audited table, and see a JSON Schema CHECK refuse a bad row; then (the
// clients only) a backup staged for an object store and counted by the
// metrics. Same steps as journey.py and test/matrix/journey.sql.
//
//   node journey.js MODULE DIRECTORY     (MODULE "package": the dbcare npm
//                                         package's getLoadablePath())
'use strict';
const assert = require('assert');
const fs = require('fs');
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

// a backup staged for an object store (backup.dir a URL: the module does no
// network I/O) waits in backup.stage_dir, and the metrics count it
const waiting = () => Object.fromEntries(one('SELECT dbhealth_metrics()').split('\n')
  .filter((l) => l.startsWith('dbcare_backups_waiting'))
  .map((l) => [l.split('{')[0], Number(l.slice(l.lastIndexOf(' ') + 1))]));
assert.deepStrictEqual(waiting(), {});
fs.mkdirSync(path.join(directory, 'stage'));
one("SELECT dbcare_set('backup.dir', 's3://journey/staged')");
one("SELECT dbcare_set('backup.stage_dir', ?)", path.join(directory, 'stage'));
const staged = JSON.parse(one('SELECT dbbackup_create()'));
assert.ok(staged.verified === true || staged.verified === 1, JSON.stringify(staged));
const got = waiting();
assert.strictEqual(got.dbcare_backups_waiting, 1, JSON.stringify(got));
const age = got.dbcare_backups_waiting_oldest_seconds;
assert.ok(age >= 0 && age < 600, JSON.stringify(got));
console.log('node journey ok:', one('SELECT sqlite_version()'));
