-- Hostile names: quotes, semicolons, spaces, unicode, reserved words and a
-- name crafted for injection. dbcare quotes every identifier with SQLite's
-- own routine, so the snapshot describes them exactly and nothing is dropped.
.headers on
.mode list
CREATE TABLE "x""; DROP TABLE t; --" ("a;b" TEXT, "select" INTEGER, "col with spaces" TEXT,
  "ünïcödé ✓" TEXT, "" TEXT,
  CONSTRAINT "c""k'; DROP TABLE t; --" CHECK ("select" > 0));
CREATE TABLE t (id INTEGER PRIMARY KEY);
CREATE TABLE "order" ("group" INTEGER REFERENCES "x""; DROP TABLE t; --" ("select"),
  [where] TEXT, `from` TEXT);
CREATE INDEX "i""dx; DELETE FROM t" ON "order" ("group") WHERE "group" > 0;
CREATE VIEW "v'; --" AS SELECT "a;b" FROM "x""; DROP TABLE t; --";
CREATE TRIGGER "tr""ig" AFTER INSERT ON t BEGIN SELECT 1; END;

SELECT key AS table_name FROM json_each(dbschema_snapshot(), '$.table') ORDER BY key;
SELECT json_extract(c.value, '$.name') AS column_name
  FROM json_each(dbschema_snapshot(), '$.table') AS t, json_each(t.value, '$.columns') AS c
 WHERE t.key = 'x"; DROP TABLE t; --';
SELECT c.key AS constraint_name, json_extract(c.value, '$.kind') AS kind
  FROM json_each(dbschema_snapshot(), '$.table') AS t, json_each(t.value, '$.constraints') AS c
 WHERE t.key IN ('x"; DROP TABLE t; --', 'order') ORDER BY 1;
SELECT key AS index_name FROM json_each(dbschema_snapshot(), '$.index');
SELECT key AS view_name FROM json_each(dbschema_snapshot(), '$.view');
SELECT key AS trigger_name FROM json_each(dbschema_snapshot(), '$.trigger');
SELECT length(dbschema_fingerprint()) AS fingerprint_length;

-- Names are data to dbcare_get/dbcare_set, never SQL.
SELECT dbcare_get('x''); DROP TABLE t; --');
SELECT dbcare_set('health.ignore', 'x"; DROP TABLE t; --, order , "select"') AS previous;
SELECT dbcare_get('health.ignore') AS ignore_list;

-- Every table is still there.
SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT GLOB 'dbcare_*' AND name NOT GLOB 'sqlite_*' ORDER BY name;
