-- dbmigrate_lint: each pending statement judged against the live table it
-- touches (docs/lint.md). Tables with rows get findings; tables that are new
-- (created by an earlier pending migration) or empty get none. Everything
-- runs in one transaction that is rolled back at the end.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dbcare;
RESET client_min_messages;
BEGIN;
\set ON_ERROR_ROLLBACK on

-- The live database: tables with rows, an empty one, a view, a key near its limit.
CREATE TABLE customers (id int PRIMARY KEY);
INSERT INTO customers VALUES (1), (2);
CREATE TABLE orders (id serial PRIMARY KEY, customer_id int, total numeric(10,2),
                     note varchar(20), status text);
INSERT INTO orders (customer_id, total, note, status) VALUES (1, 1, 'a', 'new'), (2, 2, 'b', 'new'), (1, 3, 'c', 'paid');
CREATE TABLE empty_t (id int);
CREATE VIEW orders_v AS SELECT id, note FROM orders;
CREATE TABLE big (id serial PRIMARY KEY, v int);
INSERT INTO big (v) VALUES (1);
SELECT setval('big_id_seq', 2000000000) > 0 AS near_limit;
-- The estimates come from the statistics; the tables are never read.
ANALYZE customers, orders, empty_t, big;
-- Pages but no statistics: the count is unknown, and counts as rows.
CREATE TABLE notes (body text);
INSERT INTO notes VALUES ('n');

-- 1: an index on a table with rows; a new table and its index; an empty table.
SELECT dbmigrate_add('1', 'indexes', $$
CREATE INDEX orders_c ON orders (customer_id);
CREATE TABLE fresh (id int, v text);
CREATE INDEX fresh_v ON fresh (v);
ALTER TABLE fresh ADD COLUMN w uuid DEFAULT gen_random_uuid();
CREATE INDEX e_i ON empty_t (id);
CREATE INDEX n_b ON notes (body);
$$) IS NOT NULL AS registered;
-- 2: a volatile default rewrites; now() is stable and does not.
SELECT dbmigrate_add('2', 'defaults', $$
SET LOCAL lock_timeout = '2s';
ALTER TABLE orders ADD COLUMN token uuid DEFAULT gen_random_uuid();
ALTER TABLE orders ADD COLUMN created timestamptz DEFAULT now();
$$) IS NOT NULL AS registered;
-- 3: type changes: widening varchar and numeric do not rewrite; text to
-- varchar(10) and int to bigint do. No lock_timeout: said once.
SELECT dbmigrate_add('3', 'types', $$
ALTER TABLE orders ALTER COLUMN note TYPE varchar(50);
ALTER TABLE orders ALTER COLUMN total TYPE numeric(12,2);
ALTER TABLE orders ALTER COLUMN status TYPE varchar(10);
ALTER TABLE orders ALTER COLUMN customer_id SET DATA TYPE bigint;
$$) IS NOT NULL AS registered;
-- 4: SET NOT NULL scans, unless a validated CHECK (col IS NOT NULL) exists.
SELECT dbmigrate_add('4', 'not null', $$
SET LOCAL lock_timeout = '1s';
ALTER TABLE orders ALTER COLUMN status SET NOT NULL;
ALTER TABLE orders ADD CONSTRAINT note_nn CHECK (note IS NOT NULL) NOT VALID;
ALTER TABLE orders VALIDATE CONSTRAINT note_nn;
ALTER TABLE orders ALTER COLUMN note SET NOT NULL;
$$) IS NOT NULL AS registered;
-- 5: constraints: NOT VALID foreign key is fine; a CHECK and a UNIQUE are not.
SELECT dbmigrate_add('5', 'constraints', $$
SET LOCAL lock_timeout = '1s';
ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (customer_id) REFERENCES customers NOT VALID;
ALTER TABLE orders ADD CONSTRAINT pos CHECK (total >= 0), ADD CONSTRAINT u UNIQUE (note);
ALTER TABLE fresh ADD CONSTRAINT fresh_pk PRIMARY KEY (id);
$$) IS NOT NULL AS registered;
-- 6: data loss, a view depending, renames; the new table drops freely.
SELECT dbmigrate_add('6', 'drops and renames', $$
SET LOCAL lock_timeout = '1s';
ALTER TABLE orders DROP COLUMN note;
DROP TABLE empty_t;
ALTER TABLE customers RENAME TO clients;
ALTER TABLE orders RENAME COLUMN status TO state;
DROP TABLE fresh;
$$) IS NOT NULL AS registered;
-- 7: maintenance statements; an ignore comment on the line above.
SELECT dbmigrate_add('7', 'maintenance', $$-- dbcare:no-transaction
VACUUM FULL orders;
-- dbcare:lint-ignore cluster
CLUSTER orders USING orders_pkey;
TRUNCATE clients; -- dbcare:lint-ignore lock-timeout
CREATE INDEX CONCURRENTLY orders_t ON orders (total);
$$) IS NOT NULL AS registered;
-- 8: a table whose serial key is past half its range.
SELECT dbmigrate_add('8', 'near the limit', $$
SET LOCAL lock_timeout = '1s';
ALTER TABLE big ADD COLUMN w int;
$$) IS NOT NULL AS registered;

SELECT version, line, rule, severity, message FROM dbmigrate_lint();
-- The recipe comes with each finding.
SELECT rule, suggestion FROM dbmigrate_lint('4');
-- One migration, the earlier ones shaping the model (customers was renamed by 6).
SELECT version, line, rule FROM dbmigrate_lint('7');
SELECT * FROM dbmigrate_lint('99');

-- migrate.lint: warn (the default) shows the findings as notices.
SELECT step, version FROM dbmigrate_plan('1');
-- enforce: apply refuses the migration with a warning, naming it.
SELECT dbcare_set('migrate.lint', 'enforce') AS previous;
SELECT dbmigrate_apply('1');
SELECT dbmigrate_current() AS current;
-- off: no notices, apply runs.
SELECT dbcare_set('migrate.lint', 'off') AS previous;
SELECT step, version FROM dbmigrate_plan('1');
SELECT dbmigrate_apply('1') AS applied;
SELECT dbcare_set('migrate.lint', 'bogus');
ROLLBACK;
