-- dbmigrate_lint on SQLite: what its ALTER TABLE cannot do fails, and is
-- found before it runs; data loss and renames on tables with rows are found;
-- new and empty tables get no finding (docs/lint.md).
.headers on
.mode list

CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT UNIQUE, name TEXT, note TEXT, age INT);
INSERT INTO customers (email, name, note, age) VALUES ('a@x', 'A', 'n', 1), ('b@x', 'B', NULL, 2);
CREATE INDEX customers_name ON customers (name);
CREATE TABLE "order lines" (id INTEGER PRIMARY KEY, customer_id INT REFERENCES customers(id), qty INT CHECK (qty > 0));
INSERT INTO "order lines" (customer_id, qty) VALUES (1, 1);
CREATE VIEW customer_emails AS SELECT id, email FROM customers;
CREATE TRIGGER customers_age AFTER UPDATE ON customers BEGIN SELECT NEW.age; END;
CREATE TABLE empty_t (id INTEGER PRIMARY KEY, v TEXT);

SELECT dbmigrate_add('1', 'columns', '
ALTER TABLE customers DROP COLUMN name;
ALTER TABLE customers DROP COLUMN email;
ALTER TABLE customers DROP COLUMN age;
-- dbcare:lint-ignore drop-column-data
ALTER TABLE customers DROP COLUMN note;
ALTER TABLE "order lines" DROP COLUMN qty;
ALTER TABLE empty_t DROP COLUMN v;
') IS NOT NULL AS registered;
SELECT dbmigrate_add('2', 'what ALTER cannot do', '
ALTER TABLE customers ADD COLUMN code TEXT NOT NULL;
ALTER TABLE customers ADD COLUMN seen TEXT DEFAULT CURRENT_TIMESTAMP;
ALTER TABLE customers ADD COLUMN score INT DEFAULT 0 NOT NULL;
ALTER TABLE customers ADD CONSTRAINT c CHECK (score >= 0);
ALTER TABLE customers ALTER COLUMN score SET NOT NULL;
ALTER TABLE empty_t ADD COLUMN w TEXT;
') IS NOT NULL AS registered;
SELECT dbmigrate_add('3', 'new tables', '
CREATE TABLE fresh (id INTEGER PRIMARY KEY, v TEXT);
CREATE INDEX fresh_v ON fresh (v);
ALTER TABLE fresh RENAME COLUMN v TO w;
DROP TABLE fresh;
ALTER TABLE "order lines" RENAME TO lines;
DROP TABLE lines;
DROP TABLE empty_t;
') IS NOT NULL AS registered;

SELECT version, line, rule, severity, message FROM dbmigrate_lint;
SELECT rule, suggestion FROM dbmigrate_lint('3');
SELECT count(*) AS findings FROM dbmigrate_lint('1');
SELECT * FROM dbmigrate_lint('9');

-- migrate.lint = enforce: apply refuses, naming the migration; nothing ran.
SELECT dbcare_set('migrate.lint', 'enforce') AS previous;
SELECT dbmigrate_apply('1');
SELECT count(*) AS applied FROM dbmigrate_status WHERE state = 'applied';
-- off: apply runs (and SQLite itself refuses the first bad statement).
SELECT dbcare_set('migrate.lint', 'off') AS previous;
SELECT dbmigrate_apply('1');

-- RENAME on SQLite (3.25 on) re-reads every view and trigger of the schema
-- and fails when one does not resolve, even one that never names the table;
-- with legacy_alter_table on, RENAME TO leaves them naming the old table.
CREATE TABLE gone (x);
CREATE VIEW over_gone AS SELECT x FROM gone;
DROP TABLE gone;
SELECT dbmigrate_add('10', 'renames', '
ALTER TABLE customers RENAME COLUMN note TO remark;
ALTER TABLE empty_t RENAME TO empty_2;
') IS NOT NULL AS registered;
SELECT line, rule, severity, message FROM dbmigrate_lint('10');
SELECT DISTINCT rule, suggestion FROM dbmigrate_lint('10') WHERE rule = 'rename-unresolved';
DROP VIEW over_gone;
CREATE TRIGGER lines_bad AFTER INSERT ON "order lines" BEGIN SELECT missing_column FROM customers; END;
SELECT line, rule, severity, message FROM dbmigrate_lint('10');
DROP TRIGGER lines_bad;
-- every view and trigger resolves: only the rename's own warning is left
SELECT line, rule, severity FROM dbmigrate_lint('10');
CREATE VIEW empty_ids AS SELECT id FROM empty_t;
PRAGMA legacy_alter_table = ON;
SELECT line, rule, severity, message, suggestion FROM dbmigrate_lint('10') WHERE rule = 'rename-stale';
PRAGMA legacy_alter_table = OFF;
SELECT count(*) AS stale FROM dbmigrate_lint('10') WHERE rule = 'rename-stale';

-- An index an earlier pending migration creates counts as a use of its
-- column: the later DROP COLUMN fails; a column no index names does not.
CREATE TABLE tags (id INTEGER PRIMARY KEY, label TEXT, color TEXT);
SELECT dbmigrate_add('11', 'index', 'CREATE INDEX tags_label ON tags (label) WHERE label IS NOT NULL;') IS NOT NULL AS registered;
SELECT dbmigrate_add('12', 'drop indexed', '
ALTER TABLE tags DROP COLUMN label;
ALTER TABLE tags DROP COLUMN color;
') IS NOT NULL AS registered;
SELECT version, line, rule, severity, message FROM dbmigrate_lint WHERE version IN ('11', '12');

-- A name qualified with main is the same table as the unqualified one the
-- catalog lists: the lint finds its rows and its indexes through either.
SELECT dbmigrate_add('13', 'qualified', '
DROP INDEX main.tags_label;
DROP TABLE main.customers;
') IS NOT NULL AS registered;
SELECT version, line, rule, severity FROM dbmigrate_lint WHERE version = '13';
