-- dbmigrate_*: a worked example on PostgreSQL. Register migrations, look at
-- what would happen, apply them all or nothing, roll back, verify, catch
-- drift and edited scripts, repair. Everything here runs in one transaction
-- that is rolled back at the end (dbmigrate_apply runs inside the caller's
-- transaction as a subtransaction), so the database is left as it was.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dbcare;
RESET client_min_messages;
BEGIN;
\set ON_ERROR_ROLLBACK on
CREATE SCHEMA app;
SET search_path = app, public;

-- Nothing registered, nothing applied.
SELECT count(*) AS migrations FROM dbmigrate_status();
SELECT dbmigrate_current() AS current;

-- Two versioned migrations with down scripts, and a repeatable view.
SELECT dbmigrate_add('1', 'create customers',
  $$CREATE TABLE customers (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL UNIQUE);$$,
  $$DROP TABLE customers;$$) AS checksum;
SELECT dbmigrate_add('1.1', 'create orders',
  $$CREATE TABLE orders (
      id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      customer_id bigint NOT NULL REFERENCES customers,
      total       numeric(12,2) NOT NULL CHECK (total >= 0)
  );
  CREATE INDEX orders_customer ON orders (customer_id);$$,
  $$DROP TABLE orders;$$) IS NOT NULL AS registered;
SELECT dbmigrate_add_repeatable('customer totals',
  $$CREATE OR REPLACE VIEW customer_totals AS
      SELECT c.email, coalesce(sum(o.total), 0) AS total
      FROM customers c LEFT JOIN orders o ON o.customer_id = c.id GROUP BY c.email;$$) IS NOT NULL AS registered;

-- Versions order by number: 1.10 after 1.9; 1_10 is the same as 1.10.
SELECT dbmigrate_add('1_10', 'add customer name', $$ALTER TABLE customers ADD COLUMN name text;$$,
  $$ALTER TABLE customers DROP COLUMN name;$$) IS NOT NULL AS registered;
SELECT dbmigrate_add('1.9', 'add order note', $$ALTER TABLE orders ADD COLUMN note text;$$,
  $$ALTER TABLE orders DROP COLUMN note;$$) IS NOT NULL AS registered;
SELECT version, name, kind, state FROM dbmigrate_status();
SELECT * FROM dbmigrate_plan();
SELECT * FROM dbmigrate_plan('1.1');

-- Prove every pending migration: up, down, up again — nothing is kept.
SELECT dbschema_fingerprint() AS before_verify \gset
SELECT * FROM dbmigrate_verify();
SELECT dbschema_fingerprint() = :'before_verify' AS unchanged,
       (SELECT count(*) FROM dbmigrate_history()) AS events;

-- Apply up to 1.9, then the rest; a second call has nothing to do.
SELECT dbmigrate_apply('1.9') AS applied;
SELECT dbmigrate_current() AS current;
SELECT dbmigrate_apply() AS applied;
SELECT dbmigrate_apply() AS applied_again;
SELECT version, name, kind, state, applied_at IS NOT NULL AS has_time FROM dbmigrate_status();
SELECT id, version, kind, direction, success, fingerprint IS NOT NULL AS fingerprinted, applied_by
  FROM dbmigrate_history();
SELECT dbmigrate_assert('1.10') AS ok;

-- A failure in the third of five statements: nothing of it stays, and the
-- error keeps PostgreSQL's SQLSTATE and names migration and line.
SELECT dbschema_fingerprint() AS before_failure \gset
SELECT dbmigrate_add('2', 'seed customers',
  $$CREATE TABLE audit (id int PRIMARY KEY, note text);
INSERT INTO customers (email) VALUES ('ada@example.com');
INSERT INTO customers (email) VALUES ('ada@example.com');
INSERT INTO audit VALUES (1, 'seeded');
CREATE INDEX audit_note ON audit (note);$$) IS NOT NULL AS registered;
SELECT dbmigrate_apply();
DO $$ BEGIN PERFORM dbmigrate_apply();
EXCEPTION WHEN OTHERS THEN RAISE NOTICE 'SQLSTATE %', SQLSTATE; END $$;
SELECT dbschema_fingerprint() = :'before_failure' AS unchanged,
       (SELECT count(*) FROM customers) AS customers,
       (SELECT state FROM dbmigrate_status() WHERE version = '2') AS state;

-- Transaction control is refused when the script is registered.
SELECT dbmigrate_add('2', 'seed customers', $$INSERT INTO customers (email) VALUES ('x@example.com'); COMMIT;$$);
SELECT dbmigrate_add('2', 'seed customers', $$SAVEPOINT s; INSERT INTO customers (email) VALUES ('x@example.com');$$);
-- DO blocks and function bodies are not transaction control.
SELECT dbmigrate_add('2', 'seed customers',
  $$DO $do$ BEGIN INSERT INTO customers (email) VALUES ('ada@example.com'); END $do$;
CREATE FUNCTION customer_count() RETURNS bigint LANGUAGE sql BEGIN ATOMIC SELECT count(*) FROM customers; END;$$,
  $$DROP FUNCTION customer_count(); DELETE FROM customers;$$) IS NOT NULL AS registered;
SELECT dbmigrate_apply() AS applied;
SELECT customer_count();

-- Rollback runs down scripts newest first; it checks them all before any runs.
SELECT dbmigrate_add('3', 'no way back', $$ALTER TABLE orders ADD COLUMN paid boolean;$$) IS NOT NULL AS registered;
SELECT dbmigrate_apply() AS applied;
SELECT dbmigrate_rollback('1.9');
SELECT dbmigrate_add('3', 'no way back', $$ALTER TABLE orders ADD COLUMN paid boolean;$$,
  $$ALTER TABLE orders DROP COLUMN paid;$$) IS NOT NULL AS down_added;
SELECT dbmigrate_rollback('1.10') AS rolled_back;
SELECT dbmigrate_current() AS current;
SELECT id, version, direction FROM dbmigrate_history() WHERE direction = 'down';
SELECT dbmigrate_apply() AS applied;

-- Out of order: 2.5 is older than the current version 3.
SELECT dbmigrate_add('2.5', 'late', $$ALTER TABLE customers ADD COLUMN phone text;$$) IS NOT NULL AS registered;
SELECT * FROM dbmigrate_validate();
SELECT dbmigrate_apply();
SELECT dbcare_set('migrate.out_of_order', 'allow') AS previous;
SELECT dbmigrate_apply() AS applied;
SELECT dbcare_set('migrate.out_of_order', 'refuse') AS previous;

-- Drift: changes by hand after the last migration, with what changed.
ALTER TABLE customers ADD COLUMN colour text;
CREATE TABLE scratch (x int);
SELECT version, name, problem, detail FROM dbmigrate_validate() ORDER BY name;

-- An applied script edited later is "changed"; line ends and trailing
-- blanks do not count. It blocks apply and assert until repaired.
SELECT dbmigrate_add('1', 'create customers',
  E'CREATE TABLE customers (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL UNIQUE);\r\n  ',
  $$DROP TABLE customers;$$) IS NOT NULL AS same;
SELECT state FROM dbmigrate_status() WHERE version = '1';
SELECT dbmigrate_add('1', 'create customers',
  $$CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL UNIQUE);$$,
  $$DROP TABLE customers;$$) IS NOT NULL AS edited;
SELECT state FROM dbmigrate_status() WHERE version = '1';
SELECT dbmigrate_assert('3');
SELECT dbmigrate_apply();
SELECT dbmigrate_repair() AS repaired;
SELECT count(*) AS problems FROM dbmigrate_validate();
SELECT dbmigrate_assert('3') AS ok;
SELECT kind, direction, name FROM dbmigrate_history() WHERE kind = 'repair';

-- Bad arguments name what is wrong.
SELECT dbmigrate_add(NULL, 'x', 'SELECT 1');
SELECT dbmigrate_add('1.0', 'x', 'SELECT 1');
SELECT dbmigrate_add('v4', 'x', 'SELECT 1');
SELECT dbmigrate_add('4', 'x', '   ');
SELECT dbmigrate_apply('latest');
SELECT dbmigrate_baseline('1');

ROLLBACK;
