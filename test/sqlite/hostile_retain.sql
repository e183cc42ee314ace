-- Retention and soft delete on hostile or unusual tables: declared types
-- that are SQL, dates stored as numbers, columns named like the rowid, and
-- INSERT OR REPLACE on a soft-delete table.
.headers on
.mode list

-- A declared type is catalog text a table's author wrote: the archive made
-- on first use never runs it. Refused when the policy is added ...
CREATE TABLE ev (id INTEGER PRIMARY KEY, created_at TEXT,
                 p 'x, archived_at TEXT); CREATE TABLE pwned (q');
INSERT INTO ev (id, created_at) VALUES (1, '2000-01-01 00:00:00');
SELECT dbretain_add('inj', 'ev', 'created_at', '30 days', 'archive', 'ev_arch');
-- ... and when the archive is made, for a column added since.
CREATE TABLE ev2 (id INTEGER PRIMARY KEY, created_at TEXT);
INSERT INTO ev2 VALUES (1, '2000-01-01 00:00:00');
SELECT dbretain_add('inj2', 'ev2', 'created_at', '30 days', 'archive', 'ev2_arch') AS added;
ALTER TABLE ev2 ADD COLUMN p 'x, archived_at TEXT); CREATE TABLE pwned (q';
SELECT * FROM dbretain_apply('inj2');
-- A type that reads as a column constraint is refused too.
ALTER TABLE ev2 DROP COLUMN p;
ALTER TABLE ev2 ADD COLUMN k 'INTEGER PRIMARY KEY';
SELECT * FROM dbretain_apply('inj2');
SELECT count(*) AS made FROM sqlite_schema WHERE name IN ('pwned', 'ev_arch', 'ev2_arch');
SELECT count(*) AS left_in_ev2 FROM ev2;
-- Ordinary types, with numbers and several words, are copied as written.
ALTER TABLE ev2 DROP COLUMN k;
ALTER TABLE ev2 ADD COLUMN v VARCHAR(20);
ALTER TABLE ev2 ADD COLUMN d DECIMAL(10, -2);
ALTER TABLE ev2 ADD COLUMN q "my ""own"" type";
ALTER TABLE ev2 ADD COLUMN u UNSIGNED BIG INT;
SELECT policy, archived FROM dbretain_apply('inj2');
SELECT name, type FROM pragma_table_info('ev2_arch');
SELECT dbretain_drop('inj2') AS dropped;

-- Dates stored as numbers: REAL Julian days and INTEGER Unix seconds are
-- compared in their own unit, per row; only the old rows are due.
CREATE TABLE jd (id INTEGER PRIMARY KEY, created_at DATETIME);
INSERT INTO jd VALUES (1, julianday('2000-01-01')), (2, julianday('now')),
                      (3, julianday('now', '-1 hour')), (4, julianday('2000-01-01 12:00'));
SELECT dbretain_add('jd', 'jd', 'created_at', '30 days', 'delete') AS added;
CREATE TABLE ux (id INTEGER PRIMARY KEY, created_at DATETIME);
INSERT INTO ux VALUES (1, CAST(strftime('%s', '2000-01-01') AS INTEGER)),
                      (2, CAST(strftime('%s', 'now') AS INTEGER)),
                      (3, CAST(strftime('%s', 'now', '-29 days') AS INTEGER));
CREATE TABLE mixed (id INTEGER PRIMARY KEY, created_at TIMESTAMP);
INSERT INTO mixed VALUES
  (1, '2000-01-01T00:00:00Z'),
  (2, strftime('%Y-%m-%d %H:%M:%S', 'now', '-29 days', '-23 hours')),
  (3, strftime('%Y-%m-%d %H:%M:%S', 'now', '-31 days')),
  (4, julianday('now')),
  (5, CAST(strftime('%s', 'now', '-31 days') AS INTEGER)),
  (6, strftime('%Y-%m-%dT%H:%M:%S', 'now', '-29 days') || '+05:00'),
  (7, 'not a date');
-- Text in two forms: the 'T' form of the oldest sorts after the space form
-- of the same day, so a text comparison in its form would take rows up to a
-- day younger than the cutoff (row 2: the last second of the cutoff's day).
CREATE TABLE tf (id INTEGER PRIMARY KEY, created_at TEXT);
INSERT INTO tf VALUES (1, '2000-01-01T00:00:00Z'),
                      (2, strftime('%Y-%m-%d 23:59:59', 'now', '-30 days')),
                      (3, strftime('%Y-%m-%d', 'now', '-31 days'));
SELECT dbretain_add('ux', 'ux', 'created_at', '30 days', 'delete') AS added;
SELECT dbretain_add('mixed', 'mixed', 'created_at', '30 days', 'delete') AS added;
SELECT dbretain_add('tf', 'tf', 'created_at', '30 days', 'delete') AS added;
SELECT policy, due FROM dbretain_plan();
SELECT policy, deleted, remaining FROM dbretain_apply();
SELECT 'jd' AS t, group_concat(id) AS kept FROM jd
UNION ALL SELECT 'ux', group_concat(id) FROM ux
UNION ALL SELECT 'mixed', group_concat(id) FROM mixed
UNION ALL SELECT 'tf', group_concat(id) FROM tf;
SELECT dbretain_drop('jd'), dbretain_drop('ux'), dbretain_drop('mixed'), dbretain_drop('tf');

-- A column named rowid: batches pick rows by an alias no column shadows.
CREATE TABLE rw (id INTEGER PRIMARY KEY, rowid TEXT, created_at TEXT);
INSERT INTO rw VALUES (1, 'a', '2000-01-01 00:00:00'), (2, 'a', '2099-01-01 00:00:00'),
                      (3, 'b', '2099-01-01 00:00:00');
SELECT dbretain_add('rw', 'rw', 'created_at', '30 days', 'delete') AS added;
SELECT policy, deleted FROM dbretain_apply('rw');
SELECT group_concat(id) AS kept FROM rw;
-- The archive path too, with rowid and _rowid_ both columns.
CREATE TABLE rw2 (id INTEGER PRIMARY KEY, rowid TEXT, _rowid_ TEXT, created_at TEXT);
INSERT INTO rw2 VALUES (1, 'a', 'a', '2000-01-01 00:00:00'), (2, 'a', 'a', '2099-01-01 00:00:00');
SELECT dbretain_add('rw2', 'rw2', 'created_at', '30 days', 'archive', 'rw2_arch') AS added;
SELECT policy, archived FROM dbretain_apply('rw2');
SELECT (SELECT group_concat(id) FROM rw2) AS kept, (SELECT group_concat(id) FROM rw2_arch) AS archived;
-- All three names shadowed: refused, as WITHOUT ROWID tables are.
CREATE TABLE rw3 (id INTEGER PRIMARY KEY, rowid TEXT, _rowid_ TEXT, oid TEXT, created_at TEXT);
SELECT dbretain_add('rw3', 'rw3', 'created_at', '30 days', 'delete');
SELECT dbsoftdelete_enable('rw3');

-- Soft delete marks the row deleted, not others sharing its rowid column.
CREATE TABLE doc (id INTEGER PRIMARY KEY, rowid TEXT, body TEXT);
INSERT INTO doc VALUES (1, 'g', 'x'), (2, 'g', 'y');
SELECT json_extract(dbsoftdelete_enable('doc'), '$.column') AS enabled;
DELETE FROM doc WHERE id = 1;
SELECT id, deleted_at IS NOT NULL AS deleted FROM doc ORDER BY id;
-- Without a primary key a row is restored by that same name: "rowid" is
-- the column, which two rows share.
CREATE TABLE nokey (rowid TEXT, body TEXT);
INSERT INTO nokey VALUES ('g', 'x'), ('g', 'y');
SELECT json_extract(dbsoftdelete_enable('nokey'), '$.column') AS enabled;
DELETE FROM nokey;
SELECT dbsoftdelete_restore('nokey', '{"rowid": "g"}');
SELECT dbsoftdelete_restore('nokey', '{"_rowid_": 2}') AS restored;
SELECT _rowid_, body, deleted_at IS NOT NULL AS deleted FROM nokey ORDER BY _rowid_;

-- INSERT OR REPLACE deletes the row it replaces without DELETE triggers
-- (recursive_triggers off, SQLite's default): the old row is gone for real.
CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT);
INSERT INTO kv VALUES ('a', 'old');
SELECT json_extract(dbsoftdelete_enable('kv'), '$.column') AS enabled;
INSERT OR REPLACE INTO kv (k, v) VALUES ('a', 'new');
SELECT k, v, deleted_at IS NOT NULL AS deleted FROM kv;
-- With recursive_triggers on the trigger fires, marks the old row and keeps
-- it: the REPLACE then fails on the key the old row still holds.
PRAGMA recursive_triggers = ON;
INSERT OR REPLACE INTO kv (k, v) VALUES ('a', 'newer');
SELECT k, v, deleted_at IS NOT NULL AS deleted FROM kv;
PRAGMA recursive_triggers = OFF;
