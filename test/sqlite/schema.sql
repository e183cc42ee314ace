-- dbschema_*: a canonical snapshot, its fingerprint and the diff between two.
.headers on
.mode list

-- An empty database has an empty, but valid, snapshot.
SELECT dbschema_snapshot();

-- Build a small schema.
CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE books (
  id INTEGER PRIMARY KEY,
  author_id INTEGER NOT NULL REFERENCES authors(id) ON DELETE CASCADE,
  title TEXT NOT NULL CHECK (length(title) > 0),
  pages INTEGER DEFAULT 0,
  CONSTRAINT pages_positive CHECK (pages >= 0)
);
CREATE INDEX books_author ON books (author_id);
CREATE VIEW long_books AS SELECT * FROM books WHERE pages > 500;

-- Tables, their constraints (unnamed ones get stable names) and the index.
SELECT key AS object FROM json_each(dbschema_snapshot(), '$.table')
UNION ALL SELECT key FROM json_each(dbschema_snapshot(), '$.index')
UNION ALL SELECT key FROM json_each(dbschema_snapshot(), '$.view');
SELECT key AS constraint_name, json_extract(value, '$.kind') AS kind
  FROM json_each(dbschema_snapshot(), '$.table.books.constraints');

-- The fingerprint is 64 hex digits; data changes never move it.
CREATE TEMP TABLE fp AS SELECT dbschema_fingerprint() AS before;
SELECT length(before) AS hex_digits FROM fp;
INSERT INTO authors (name) VALUES ('Ursula');
INSERT INTO books (author_id, title, pages) VALUES (1, 'The Dispossessed', 387);
SELECT dbschema_fingerprint() = before AS unchanged_by_insert FROM fp;

-- Any DDL moves it.
ALTER TABLE books ADD COLUMN isbn TEXT;
SELECT dbschema_fingerprint() = before AS unchanged_by_alter FROM fp;

-- dbschema_diff says what changed between two snapshots.
CREATE TEMP TABLE snaps AS SELECT dbschema_snapshot() AS s1;
DROP INDEX books_author;
CREATE INDEX books_title ON books (title);
ALTER TABLE authors ADD COLUMN born INTEGER;
SELECT object_type, object_name, change, detail
  FROM snaps, dbschema_diff(snaps.s1, dbschema_snapshot())
 ORDER BY object_type, object_name;

-- Identical snapshots have no differences.
SELECT count(*) AS differences FROM dbschema_diff(dbschema_snapshot(), dbschema_snapshot());

-- Bad input is a clear error.
SELECT * FROM dbschema_diff('{"format":1}', 'not json');
SELECT * FROM dbschema_diff('[1,2]', '{"format":1}');
SELECT * FROM dbschema_diff(NULL, '{"format":1}');
SELECT * FROM dbschema_diff('{"format":1,"table":[]}', '{"format":1}');
