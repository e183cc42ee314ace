// The npm package from node-sqlite3 (the `sqlite3` binding, over the
// system's SQLite), in the clean root of test/script/sqlite_npm_package.sh:
// load dbcare with the package's load(db), apply a migration whose JSON
// Schema CHECK has a pattern (jansson and PCRE2), see it refuse a bad row,
// take a backup sealed with zstd and XChaCha20-Poly1305 (zstd and libsodium; the key file
// in DBCARE_BACKUP_KEY_FILE) and verify it: every library the module carries.
//
//   node node_sqlite3.js DIRECTORY     (run where `require('dbcare')` resolves)
'use strict';
const assert = require('assert');
const path = require('path');
const sqlite3 = require('sqlite3');
const dbcare = require('dbcare');

const directory = process.argv[2];
const db = new sqlite3.Database(path.join(directory, 'app.db'));
const one = (sql, ...args) => new Promise((resolve, reject) =>
  db.get(sql, args, (err, row) => (err ? reject(err) : resolve(row && Object.values(row)[0]))));

const schema = JSON.stringify({
  type: 'object', required: ['kind'],
  properties: { kind: { type: 'string', pattern: '^[a-z]+$' } },
});

async function main() {
  db.serialize();  // load(db) is queued like any statement: the calls below wait for it
  dbcare.load(db);
  assert.match(await one('SELECT dbcare_version()'), /^\d+\.\d+\.\d+/);
  await one("SELECT dbmigrate_add('1', 'events', ?)",
    `CREATE TABLE events (id INTEGER PRIMARY KEY, body TEXT NOT NULL CHECK (dbjson_valid(body, '${schema}')));`);
  assert.strictEqual(await one('SELECT dbmigrate_apply()'), 1);
  assert.strictEqual(await one("SELECT dbmigrate_assert('1')"), 1);
  await one(`INSERT INTO events (body) VALUES ('{"kind": "signup"}')`);
  await assert.rejects(one(`INSERT INTO events (body) VALUES ('{"kind": "Sign Up"}')`),
    /CHECK constraint failed/);

  const sealed = path.join(directory, 'sealed.db');
  const made = JSON.parse(await one('SELECT dbbackup_create(?, ?)', sealed, 'full+zstd+encrypt'));
  assert.strictEqual(made.compression, 'zstd', JSON.stringify(made));
  const verified = JSON.parse(await one('SELECT dbbackup_verify(?)', sealed));
  assert.strictEqual(verified.sealed, true, JSON.stringify(verified));
  assert.strictEqual(verified.verified, true, JSON.stringify(verified));
  assert.strictEqual(verified.check, 'ok', JSON.stringify(verified));
  assert.strictEqual(verified.rows, made.rows, JSON.stringify(verified));
  console.log('node-sqlite3 ok:', await one('SELECT sqlite_version()'));
}

main().then(() => db.close(), (err) => { console.error(err); process.exit(1); });
