-- dbcheck_*: verifying declared constraints against the rows actually stored.
-- PostgreSQL enforces constraints, except where it was told not to: NOT VALID
-- constraints skip the rows that were there before, and rows written while the
-- foreign-key triggers were off (DISABLE TRIGGER ALL, session_replication_role
-- = replica) were never checked. dbcheck_constraints finds all of them.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dbcare;
RESET client_min_messages;

CREATE SCHEMA shop;
CREATE SCHEMA "Billing Dept";
CREATE TABLE shop.customers (id int PRIMARY KEY, email text UNIQUE, country text NOT NULL);
CREATE TABLE shop.orders (id int PRIMARY KEY, customer_id int, qty int);
INSERT INTO shop.customers VALUES (1, 'ann@example.org', 'SE'), (2, 'bob@example.org', 'NO');
INSERT INTO shop.orders VALUES (10, 1, 1), (11, 7, 2), (12, NULL, 0), (13, 8, -1);

-- 1. NOT VALID: the constraints are added without looking at existing rows.
ALTER TABLE shop.orders ADD CONSTRAINT orders_customer_fk
  FOREIGN KEY (customer_id) REFERENCES shop.customers NOT VALID;
ALTER TABLE shop.orders ADD CONSTRAINT orders_qty_positive CHECK (qty > 0) NOT VALID;
SELECT * FROM dbcheck_constraints('shop.orders');

-- Validating a NOT VALID constraint safely: look first, fix, then VALIDATE.
SELECT o.* FROM dbcheck_constraints('shop.orders') AS c,
       jsonb_array_elements(c.sample) AS k
  JOIN shop.orders AS o ON o.id = k::text::int
 WHERE c.constraint_name = 'orders_customer_fk';
UPDATE shop.orders SET qty = 1 WHERE qty <= 0;
UPDATE shop.orders SET customer_id = NULL WHERE id IN (11, 13);
SELECT constraint_name, violations FROM dbcheck_constraints('orders');
ALTER TABLE shop.orders VALIDATE CONSTRAINT orders_customer_fk;
ALTER TABLE shop.orders VALIDATE CONSTRAINT orders_qty_positive;

-- 2. Rows let in while the triggers were disabled.
ALTER TABLE shop.orders DISABLE TRIGGER ALL;
INSERT INTO shop.orders VALUES (14, 99, 1);
ALTER TABLE shop.orders ENABLE TRIGGER ALL;
-- 3. ... and under session_replication_role = replica (what logical
-- replication and some restore tools use).
SET session_replication_role = replica;
INSERT INTO shop.orders VALUES (15, 98, 1);
RESET session_replication_role;
SELECT constraint_name, kind, violations, sample FROM dbcheck_constraints('shop.orders');

-- 4. MATCH FULL against MATCH SIMPLE on a composite key, in a schema whose
-- name needs quoting.
CREATE TABLE "Billing Dept".accounts (region text, no int, PRIMARY KEY (region, no));
INSERT INTO "Billing Dept".accounts VALUES ('eu', 1), ('us', 1);
CREATE TABLE "Billing Dept"."Invoice Lines" (id int PRIMARY KEY, region text, no int,
  CONSTRAINT simple_fk FOREIGN KEY (region, no) REFERENCES "Billing Dept".accounts,
  CONSTRAINT full_fk FOREIGN KEY (region, no) REFERENCES "Billing Dept".accounts MATCH FULL);
ALTER TABLE "Billing Dept"."Invoice Lines" DISABLE TRIGGER ALL;
INSERT INTO "Billing Dept"."Invoice Lines" VALUES
  (1, 'eu', 1),      -- fine
  (2, 'eu', 2),      -- no account eu/2: both report it
  (3, 'us', NULL),   -- partly NULL: fine for SIMPLE, a violation for FULL
  (4, NULL, NULL);   -- all NULL: fine for both
ALTER TABLE "Billing Dept"."Invoice Lines" ENABLE TRIGGER ALL;
SELECT table_name, constraint_name, violations, sample
  FROM dbcheck_constraints('Billing Dept.Invoice Lines') WHERE kind = 'foreign_key';

-- 5. Partitioned tables: one check over the parent covers every partition
-- (the partitions' copies of the constraints are not checked twice), and a
-- foreign key to a partitioned table is checked against all its partitions.
CREATE TABLE shop.events (id int, day date, customer_id int,
  CONSTRAINT events_customer_fk FOREIGN KEY (customer_id) REFERENCES shop.customers,
  CONSTRAINT events_id_positive CHECK (id > 0)) PARTITION BY RANGE (day);
CREATE TABLE shop.events_2026 PARTITION OF shop.events
  FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE TABLE shop.events_2027 PARTITION OF shop.events
  FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');
ALTER TABLE shop.events_2026 DISABLE TRIGGER ALL;
ALTER TABLE shop.events_2027 DISABLE TRIGGER ALL;
INSERT INTO shop.events VALUES (1, '2026-05-01', 1), (2, '2026-06-01', 5), (3, '2027-02-01', 6);
ALTER TABLE shop.events_2026 ENABLE TRIGGER ALL;
ALTER TABLE shop.events_2027 ENABLE TRIGGER ALL;


SELECT table_name, constraint_name, kind, violations FROM dbcheck_constraints()
 WHERE table_name LIKE 'shop.events%' ORDER BY 1, 2;

CREATE TABLE shop.ledger (id int, day date, PRIMARY KEY (id, day)) PARTITION BY RANGE (day);
CREATE TABLE shop.ledger_a PARTITION OF shop.ledger FOR VALUES FROM ('2026-01-01') TO ('2026-07-01');
CREATE TABLE shop.ledger_b PARTITION OF shop.ledger FOR VALUES FROM ('2026-07-01') TO ('2027-01-01');
INSERT INTO shop.ledger VALUES (1, '2026-02-01'), (2, '2026-08-01');
CREATE TABLE shop.ledger_refs (id int, day date, FOREIGN KEY (id, day) REFERENCES shop.ledger);
SET session_replication_role = replica;
INSERT INTO shop.ledger_refs VALUES (1, '2026-02-01'), (2, '2026-08-01'), (3, '2026-03-01');
RESET session_replication_role;
SELECT table_name, constraint_name, violations, sample FROM dbcheck_constraints('shop.ledger_refs');

-- 6. Orphans of every foreign key, plus declared relations the schema never
-- had: shop.notes.about points at customers by convention only.
CREATE TABLE shop.notes (id int PRIMARY KEY, about int, body text);
INSERT INTO shop.notes VALUES (1, 1, 'ok'), (2, 42, 'orphan'), (3, NULL, 'general');
SELECT dbcheck_add_relation('notes_about', 'shop.notes', 'about', 'shop.customers', 'id');
SELECT * FROM dbcheck_relations;
SELECT * FROM dbcheck_orphans() ORDER BY relation, child_table;

-- Cleanup: a dry run by default; for real, one DELETE per relation, all or nothing.
SELECT dbcheck_cleanup_orphans() AS would_delete;
BEGIN;
SELECT dbcheck_cleanup_orphans(false) AS deleted;
SELECT relation, orphans FROM dbcheck_orphans() WHERE orphans > 0;
ROLLBACK;
SELECT count(*) AS notes_kept_after_rollback FROM shop.notes;

-- 7. Errors: names are looked up, never pasted into SQL.
SELECT * FROM dbcheck_constraints('orders; DROP TABLE shop.orders; --');
SELECT * FROM dbcheck_constraints('customers"; DROP TABLE shop.orders; --');
SELECT dbcheck_add_relation('x', 'shop.notes', 'about); DROP TABLE shop.orders; --', 'shop.customers', 'id');
SELECT dbcheck_add_relation('x', 'shop.notes', 'about', 'shop.customers', 'id, id');
SELECT dbcheck_add_relation('notes_about', 'shop.notes', 'id', 'shop.customers', 'id');
SELECT dbcheck_add_relation(NULL, 'shop.notes', 'about', 'shop.customers', 'id');
SELECT dbcheck_cleanup_orphans(NULL);
SELECT count(*) AS orders_still_there FROM shop.orders;

SELECT dbcheck_drop_relation('notes_about') AS dropped, dbcheck_drop_relation('notes_about') AS again;
SET client_min_messages = warning;
DROP SCHEMA shop CASCADE;
DROP SCHEMA "Billing Dept" CASCADE;
RESET client_min_messages;
