-- Names that need quoting, and injection attempts through every name argument:
-- names are looked up in the catalog and quoted by SQLite's own routine, so a
-- hostile name is at worst a table or column that does not exist.
.headers on
.mode list
PRAGMA foreign_keys = OFF;

CREATE TABLE "order lines" (
  "select" INTEGER PRIMARY KEY,
  "it's ""quoted""" INTEGER REFERENCES "Ünïcödé 表" ("ключ"),
  "group" TEXT CHECK ("group" IN ('a', 'b'))
);
CREATE TABLE "Ünïcödé 表" ("ключ" INTEGER PRIMARY KEY);
CREATE TABLE "x""; DROP TABLE t; --" (id INTEGER PRIMARY KEY, ref INTEGER REFERENCES "order lines");
CREATE TABLE t (id INTEGER);
INSERT INTO "Ünïcödé 表" VALUES (1);
PRAGMA ignore_check_constraints = ON;
INSERT INTO "order lines" VALUES (1, 1, 'a'), (2, 2, 'c'), (3, NULL, NULL);
INSERT INTO "x""; DROP TABLE t; --" VALUES (1, 1), (2, 7);

SELECT * FROM dbcheck_constraints;
SELECT * FROM dbcheck_constraints('x"; DROP TABLE t; --');

-- Relations between such tables work the same way.
SELECT dbcheck_add_relation('odd names', 'order lines', 'it''s "quoted"', 'Ünïcödé 表', 'ключ');
SELECT * FROM dbcheck_relations;
SELECT relation, orphans, sample FROM dbcheck_orphans;

-- Injection attempts: each is refused with a clear error and changes nothing.
SELECT * FROM dbcheck_constraints('t; DROP TABLE t; --');
SELECT * FROM dbcheck_constraints('"t"');
SELECT dbcheck_add_relation('r', 't"; DROP TABLE t; --', 'id', 't', 'id');
SELECT dbcheck_add_relation('r', 't', 'id"); DROP TABLE t; --', 't', 'id');
SELECT dbcheck_add_relation('r', 't', 'id', 't''; DROP TABLE t; --', 'id');
SELECT dbcheck_add_relation('r', 't', 'id', 't', 'id, (SELECT 1)');
-- A relation's name is only data: it is stored as given and never becomes SQL.
SELECT dbcheck_add_relation('r''); DROP TABLE t; --', 't', 'id', 't', 'id');
SELECT dbcheck_drop_relation('x''); DROP TABLE t; --');
SELECT name FROM dbcheck_relations;
SELECT name FROM sqlite_schema WHERE type = 'table' AND name = 't';

-- NULL arguments are errors that name the argument.
SELECT dbcheck_add_relation(NULL, 't', 'id', 't', 'id');
SELECT dbcheck_add_relation('r', 't', NULL, 't', 'id');
SELECT dbcheck_drop_relation(NULL);
SELECT dbcheck_cleanup_orphans(NULL);

-- A CHECK in a hostile database that calls one of dbcare's own functions is
-- not run (pasting it into dbcare's query would bypass SQLITE_DIRECTONLY):
-- it is reported as not checked, with the reason.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema SET sql = 'CREATE TABLE t (id INTEGER CHECK (id > 0 OR dbcheck_cleanup_orphans(0)))'
 WHERE name = 't';
PRAGMA writable_schema = RESET;
SELECT * FROM dbcheck_constraints('t');
