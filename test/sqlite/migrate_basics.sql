-- dbmigrate_*: the everyday workflow on SQLite — register, look, apply, check.
.headers on
.mode list

-- A fresh database: nothing registered, nothing applied, and reading creates nothing.
SELECT count(*) AS migrations FROM dbmigrate_status;
SELECT dbmigrate_current() AS current;
SELECT count(*) AS dbcare_tables FROM sqlite_schema WHERE name LIKE 'dbcare%';

-- Register two versioned migrations (with down scripts) and a repeatable view.
-- The result is the checksum of the up script, tagged with its algorithm.
SELECT dbmigrate_add('1', 'create customers',
  'CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE);',
  'DROP TABLE customers;') AS checksum;
SELECT dbmigrate_add('1.1', 'create orders',
  'CREATE TABLE orders (
     id INTEGER PRIMARY KEY,
     customer_id INTEGER NOT NULL REFERENCES customers(id),
     total_cents INTEGER NOT NULL CHECK (total_cents >= 0)
   );
   CREATE INDEX orders_customer ON orders (customer_id);',
  'DROP TABLE orders;') IS NOT NULL AS registered;
SELECT dbmigrate_add_repeatable('customer totals',
  'DROP VIEW IF EXISTS customer_totals;
   CREATE VIEW customer_totals AS
     SELECT c.email, sum(o.total_cents) AS total_cents
     FROM customers c LEFT JOIN orders o ON o.customer_id = c.id GROUP BY c.email;') IS NOT NULL AS registered;

-- Registering the same content again is a no-op; the checksum is the same.
SELECT dbmigrate_add('1', 'create customers',
  'CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE);',
  'DROP TABLE customers;') AS same_checksum;

-- Versions order by number: 1.10 comes after 1.9, and 1_2 is written 1.2.
SELECT dbmigrate_add('1_10', 'add customer name', 'ALTER TABLE customers ADD COLUMN name TEXT;',
  'ALTER TABLE customers DROP COLUMN name;') IS NOT NULL AS registered;
SELECT dbmigrate_add('1.9', 'add order note', 'ALTER TABLE orders ADD COLUMN note TEXT;',
  'ALTER TABLE orders DROP COLUMN note;') IS NOT NULL AS registered;

SELECT version, name, kind, state FROM dbmigrate_status;

-- What dbmigrate_apply() would do, without doing it; and up to a target.
SELECT * FROM dbmigrate_plan;
SELECT step, version, name FROM dbmigrate_plan('1.9');

-- A pending migration may still be replaced by registering new content.
SELECT dbmigrate_add('1.9', 'add order note', 'ALTER TABLE orders ADD COLUMN note TEXT DEFAULT '''';',
  'ALTER TABLE orders DROP COLUMN note;') IS NOT NULL AS replaced;

-- Apply up to 1.9, then the rest (versioned first, then the repeatable).
SELECT dbmigrate_apply('1.9') AS applied;
SELECT dbmigrate_current() AS current;
SELECT dbmigrate_apply() AS applied;
SELECT dbmigrate_apply() AS applied_again;
SELECT version, name, kind, state, applied_at IS NOT NULL AS has_time, duration_ms >= 0 AS has_duration
  FROM dbmigrate_status;

-- Every step is in the history; the schema fingerprint is stored with the last
-- event of each call only.
SELECT id, version, name, kind, direction, success, fingerprint IS NOT NULL AS fingerprinted
  FROM dbmigrate_history;

-- The schema is really there.
INSERT INTO customers (email, name) VALUES ('ada@example.com', 'Ada');
INSERT INTO orders (customer_id, total_cents, note) VALUES (1, 1250, 'first');
SELECT * FROM customer_totals;

-- Application start-up check: true when at that version or later.
SELECT dbmigrate_assert('1.10') AS ok;
SELECT dbmigrate_assert('1.2') AS ok;
SELECT dbmigrate_assert('2');

-- Nothing to complain about.
SELECT count(*) AS problems FROM dbmigrate_validate;

-- A repeatable runs again only when its checksum changes.
SELECT dbmigrate_add_repeatable('customer totals',
  'DROP VIEW IF EXISTS customer_totals;
   CREATE VIEW customer_totals AS
     SELECT c.email, count(o.id) AS orders, sum(o.total_cents) AS total_cents
     FROM customers c LEFT JOIN orders o ON o.customer_id = c.id GROUP BY c.email;') IS NOT NULL AS changed;
SELECT name, state FROM dbmigrate_status WHERE kind = 'repeatable';
SELECT dbmigrate_apply() AS applied;
SELECT * FROM customer_totals;
SELECT dbmigrate_apply() AS applied_again;
