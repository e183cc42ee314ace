-- dbcare schema snapshot, fingerprint and diff: a worked example.
-- The fingerprint identifies a schema: the same tables, types, views, ... give
-- the same value however and in whatever order they were created; any DDL
-- changes it; data never does.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dbcare;
RESET client_min_messages;

-- A small shop.
CREATE SCHEMA shop;
CREATE TYPE shop.order_state AS ENUM ('new', 'paid', 'shipped');
CREATE DOMAIN shop.email AS text CHECK (VALUE LIKE '%@%');
CREATE TABLE shop.customer (
    id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email shop.email NOT NULL UNIQUE,
    name  text COLLATE "C"
);
CREATE TABLE shop.orders (
    id          serial PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES shop.customer ON DELETE CASCADE,
    state       shop.order_state NOT NULL DEFAULT 'new',
    total       numeric(10,2) CHECK (total >= 0),
    total_cents bigint GENERATED ALWAYS AS ((total * 100)::bigint) STORED
);
CREATE INDEX orders_open_idx ON shop.orders (customer_id) WHERE state <> 'shipped';
CREATE INDEX customer_lower_email_idx ON shop.customer (lower(email));
CREATE VIEW shop.open_orders AS
    SELECT id, customer_id, total FROM shop.orders WHERE state <> 'shipped';
CREATE FUNCTION shop.check_total() RETURNS trigger LANGUAGE plpgsql AS
    $$BEGIN IF NEW.total IS NULL THEN NEW.total := 0; END IF; RETURN NEW; END$$;
CREATE TRIGGER orders_check_total BEFORE INSERT OR UPDATE ON shop.orders
    FOR EACH ROW EXECUTE FUNCTION shop.check_total();

-- Keep snapshots in a temporary table (temporary objects are not part of the schema).
CREATE TEMP TABLE snap (label text PRIMARY KEY, fingerprint text, snapshot jsonb);
INSERT INTO snap SELECT 'built', dbschema_fingerprint(), dbschema_snapshot();

SELECT fingerprint ~ '^[0-9a-f]{64}$' AS is_sha256_hex FROM snap WHERE label = 'built';

-- What the snapshot holds: one section per kind of object, keyed by name.
SELECT key AS section, CASE jsonb_typeof(value) WHEN 'object' THEN
         (SELECT string_agg(k, ', ' ORDER BY k) FROM jsonb_object_keys(value) k
           WHERE k LIKE 'shop.%' OR k IN ('shop', 'plpgsql')) ELSE value::text END AS shop_objects
  FROM snap, jsonb_each(snapshot) WHERE label = 'built' ORDER BY key;

-- A table in detail: columns in order, constraints by name.
SELECT jsonb_pretty(snapshot->'table'->'shop.orders') FROM snap WHERE label = 'built';
SELECT jsonb_pretty(snapshot->'index'->'shop.orders_open_idx') FROM snap WHERE label = 'built';
SELECT snapshot->'type'->'shop.order_state'->>'definition' AS enum_type,
       snapshot->'type'->'shop.email'->>'definition' AS domain_type,
       snapshot->'trigger'->'shop.orders.orders_check_total'->>'table' AS trigger_table
  FROM snap WHERE label = 'built';

-- Data changes never change the fingerprint.
INSERT INTO shop.customer (email, name) VALUES ('ada@example.com', 'Ada');
INSERT INTO shop.orders (customer_id, total) SELECT id, 12.50 FROM shop.customer;
ANALYZE shop.orders;
SELECT dbschema_fingerprint() = fingerprint AS unchanged_by_data FROM snap WHERE label = 'built';

-- dbcare's own objects (and other extensions' members) are not part of it.
SELECT count(*) AS dbcare_objects
  FROM snap, jsonb_each(snapshot) s, jsonb_object_keys(s.value) k
 WHERE label = 'built' AND jsonb_typeof(s.value) = 'object'
   AND (k LIKE 'dbcare.%' OR k LIKE '%.dbschema_%' OR k LIKE '%.dbcare_%');

-- Drop everything, create and drop unrelated objects so every OID differs,
-- then build the same schema again in a different order.
SET client_min_messages = warning;
DROP SCHEMA shop CASCADE;
RESET client_min_messages;
CREATE TABLE public.scratch (a int PRIMARY KEY, b text);
CREATE TYPE public.scratch_kind AS ENUM ('x');
DROP TABLE public.scratch;
DROP TYPE public.scratch_kind;

CREATE SCHEMA shop;
CREATE FUNCTION shop.check_total() RETURNS trigger LANGUAGE plpgsql AS
    $$BEGIN IF NEW.total IS NULL THEN NEW.total := 0; END IF; RETURN NEW; END$$;
CREATE DOMAIN shop.email AS text CHECK (VALUE LIKE '%@%');
CREATE TYPE shop.order_state AS ENUM ('new', 'paid', 'shipped');
CREATE TABLE shop.orders (
    id          serial PRIMARY KEY,
    customer_id bigint NOT NULL,
    state       shop.order_state NOT NULL DEFAULT 'new',
    total       numeric(10,2) CHECK (total >= 0),
    total_cents bigint GENERATED ALWAYS AS ((total * 100)::bigint) STORED
);
CREATE TRIGGER orders_check_total BEFORE INSERT OR UPDATE ON shop.orders
    FOR EACH ROW EXECUTE FUNCTION shop.check_total();
CREATE VIEW shop.open_orders AS
    SELECT id, customer_id, total FROM shop.orders WHERE state <> 'shipped';
CREATE INDEX orders_open_idx ON shop.orders (customer_id) WHERE state <> 'shipped';
CREATE TABLE shop.customer (
    id    bigint GENERATED ALWAYS AS IDENTITY,
    email shop.email NOT NULL,
    name  text COLLATE "C"
);
ALTER TABLE shop.customer ADD PRIMARY KEY (id);
ALTER TABLE shop.customer ADD UNIQUE (email);
CREATE INDEX customer_lower_email_idx ON shop.customer (lower(email));
ALTER TABLE shop.orders ADD FOREIGN KEY (customer_id) REFERENCES shop.customer ON DELETE CASCADE;

SELECT dbschema_fingerprint() = fingerprint AS same_schema_same_fingerprint
  FROM snap WHERE label = 'built';
-- (had it differed, this would say what:)
SELECT * FROM dbschema_diff((SELECT snapshot FROM snap WHERE label = 'built'), dbschema_snapshot());

-- Any DDL changes the fingerprint, and dbschema_diff says what changed.
ALTER TABLE shop.customer ADD COLUMN phone text;
ALTER TABLE shop.customer ALTER COLUMN name TYPE varchar(80);
DROP VIEW shop.open_orders;
CREATE TABLE shop.invoice (id int PRIMARY KEY, order_id int NOT NULL REFERENCES shop.orders);
ALTER TABLE shop.orders DISABLE TRIGGER orders_check_total;
INSERT INTO snap SELECT 'changed', dbschema_fingerprint(), dbschema_snapshot();

SELECT a.fingerprint <> b.fingerprint AS ddl_changes_fingerprint
  FROM snap a, snap b WHERE a.label = 'built' AND b.label = 'changed';

SELECT object_type, object_name, change, detail
  FROM dbschema_diff((SELECT snapshot FROM snap WHERE label = 'built'),
                     (SELECT snapshot FROM snap WHERE label = 'changed'))
 ORDER BY object_type, object_name;

-- And back: the diff the other way round.
SELECT object_type, object_name, change
  FROM dbschema_diff((SELECT snapshot FROM snap WHERE label = 'changed'),
                     (SELECT snapshot FROM snap WHERE label = 'built'))
 ORDER BY object_type, object_name;

SET client_min_messages = warning;
DROP SCHEMA shop CASCADE;
RESET client_min_messages;
