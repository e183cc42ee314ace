// A table rebuild migration from Node's better-sqlite3, which turns
// PRAGMA foreign_keys on for every connection: SQLite's own recipe (new
// table, copy, DROP TABLE, RENAME) must keep the rows of an ON DELETE
// CASCADE child (dbmigrate_apply turns enforcement off for the run and
// checks every key before it commits). Same cases as fk_rebuild.py.
//
//   node fk_rebuild.js MODULE
'use strict';
const assert = require('assert');
const Database = require('better-sqlite3');

const [modulePath] = process.argv.slice(2);
const REBUILD = "CREATE TABLE p_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '');\n" +
  "INSERT INTO p_new SELECT id, coalesce(name, '') FROM p;\n" +
  'DROP TABLE p;\n' +
  'ALTER TABLE p_new RENAME TO p;\n';

function connect(fk) {
  const db = new Database(':memory:');
  db.loadExtension(modulePath);
  if (fk !== undefined) db.pragma(`foreign_keys = ${fk ? 'ON' : 'OFF'}`);
  db.exec(`CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT);
    CREATE TABLE ch (id INTEGER PRIMARY KEY,
                     p_id INTEGER NOT NULL REFERENCES p (id) ON DELETE CASCADE);
    INSERT INTO p VALUES (1, 'a'), (2, 'b');
    INSERT INTO ch VALUES (10, 1), (11, 2);`);
  return db;
}
const one = (db, sql, ...args) => db.prepare(sql).pluck().get(...args);
function intact(db, what, fk) {
  assert.deepStrictEqual(
    [one(db, 'SELECT count(*) FROM ch'), db.pragma('foreign_key_check'),
      db.pragma('foreign_keys', { simple: true })],
    [2, [], fk], what);
}

// better-sqlite3's default: foreign keys on
let db = connect();
assert.strictEqual(db.pragma('foreign_keys', { simple: true }), 1, 'better-sqlite3 default');
one(db, "SELECT dbmigrate_add('1', 'rebuild p', ?, ?)", REBUILD, REBUILD);
assert.strictEqual(one(db, 'SELECT dbmigrate_apply()'), 1);
intact(db, 'after the rebuild (foreign keys on)', 1);
assert.strictEqual(one(db, 'SELECT dbmigrate_rollback()'), 1);
intact(db, 'after the rebuilding rollback', 1);

// turned off by the application
db = connect(false);
one(db, "SELECT dbmigrate_add('1', 'rebuild p', ?)", REBUILD);
assert.strictEqual(one(db, 'SELECT dbmigrate_apply()'), 1);
intact(db, 'after the rebuild (foreign keys off)', 0);

// a rebuild that loses a parent row its child needs: refused, nothing applied
db = connect();
one(db, "SELECT dbmigrate_add('1', 'lossy', ?)", REBUILD.replace('FROM p;', 'FROM p WHERE id = 1;'));
assert.throws(() => one(db, 'SELECT dbmigrate_apply()'), /dbcare: .*ch rowid 11 references p/);
intact(db, 'after the refused lossy rebuild', 1);
assert.strictEqual(one(db, "SELECT count(*) FROM dbmigrate_status WHERE state = 'applied'"), 0);

// inside db.transaction() foreign keys cannot be turned off: refused before
// DROP TABLE deletes anything, the application's transaction kept
db = connect();
one(db, "SELECT dbmigrate_add('1', 'rebuild p', ?)", REBUILD);
assert.throws(db.transaction(() => {
  db.prepare("INSERT INTO p VALUES (3, 'c')").run();
  assert.throws(() => one(db, 'SELECT dbmigrate_apply()'),
    /dbcare: .*DROP TABLE p would delete or change the rows of ch \(ON DELETE CASCADE\)/);
  assert.ok(db.inTransaction, 'the refusal ended the transaction');
  assert.strictEqual(one(db, 'SELECT count(*) FROM p'), 3);
  throw new Error('roll back');
}), /roll back/);
intact(db, 'after the refusal inside a transaction', 1);
assert.strictEqual(one(db, 'SELECT dbmigrate_apply()'), 1);
intact(db, 'after the apply outside it', 1);
console.log('node fk_rebuild ok:', one(db, 'SELECT sqlite_version()'));
