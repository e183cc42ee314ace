-- dbhealth_*: a scored report of the database, each problem planted, caught, fixed.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dbcare;
RESET client_min_messages;
-- Only the checks about this database's own objects (sessions, cache and
-- replication depend on the server and are shown in their own tests).
CREATE VIEW checks AS
  SELECT name, status, value, message FROM dbhealth_checks('quick')
   WHERE name IN ('foreign_keys_enforced', 'tables_without_primary_key', 'unindexed_foreign_keys',
                  'duplicate_indexes', 'invalid_indexes', 'not_valid_constraints',
                  'sequence_exhaustion', 'disabled_triggers');

-- The report's keys, exactly, and the rows of dbhealth_checks.
SELECT string_agg(k, ',' ORDER BY k) AS report_keys FROM jsonb_object_keys(dbhealth_report()) k;
SELECT string_agg(k, ',' ORDER BY k) AS metric_keys FROM jsonb_object_keys(dbhealth_report() -> 'metrics') k;
SELECT dbhealth_report('quick') ->> 'mode' AS mode, dbhealth_report() ->> 'engine' AS engine;
-- The cheap numbers alone (dbcare serve reads them on every scrape): the
-- report's metrics without the checks, the same numbers.
SELECT string_agg(k, ',' ORDER BY k) AS gauge_keys FROM jsonb_object_keys(dbhealth_gauges()) k;
SELECT (dbhealth_gauges() - 'size_bytes') = (dbhealth_report('quick') -> 'metrics') - 'size_bytes' - 'schema_fingerprint'
       AS gauges_match_report,
       (dbhealth_gauges() ->> 'size_bytes')::bigint > 0 AS has_size;
SELECT name, status FROM checks ORDER BY name;

-- A table without a primary key.
CREATE TABLE events (at timestamptz, what text);
SELECT name, status, message FROM checks WHERE status <> 'ok';
ALTER TABLE events ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;

-- A foreign key without an index, then a NOT VALID one with orphans: it is
-- enforced for new rows, so only not_valid_constraints reports it (once).
CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE orders (id int PRIMARY KEY, customer_id int, total numeric);
INSERT INTO customers VALUES (1, 'Ada');
INSERT INTO orders VALUES (1, 1, 10), (2, 99, 5);
ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id)
  REFERENCES customers (id) NOT VALID;
SELECT name, status, message FROM checks WHERE status <> 'ok' ORDER BY name;
CREATE INDEX orders_customer ON orders (customer_id);
DELETE FROM orders WHERE id = 2;
ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_fk;
SELECT name, status FROM checks WHERE status <> 'ok' ORDER BY name;

-- A duplicate index; a different column order is not one.
CREATE INDEX orders_customer_again ON orders (customer_id);
CREATE INDEX orders_customer_total ON orders (total, customer_id);
SELECT name, status, message FROM checks WHERE status <> 'ok' ORDER BY name;
DROP INDEX orders_customer_again;

-- A failed CREATE UNIQUE INDEX CONCURRENTLY leaves an invalid index behind.
INSERT INTO customers VALUES (2, 'Ada');
CREATE UNIQUE INDEX CONCURRENTLY customers_name ON customers (name);
SELECT name, status, message FROM checks WHERE status <> 'ok' ORDER BY name;
DROP INDEX customers_name;

-- A smallint sequence at 97 % of its range is critical.
CREATE SEQUENCE ticket_no AS smallint;
SELECT setval('ticket_no', 31784) IS NOT NULL AS set;
SELECT name, status, message FROM checks WHERE status <> 'ok' ORDER BY name;
SELECT dbhealth_report('quick') ->> 'status' AS status;
-- Numbers keep their JSON form: a real rounded to two decimals (97.0, not
-- 97), an integer threshold and penalty.
SELECT c -> 'value' AS value, c -> 'threshold' AS threshold, c -> 'penalty' AS penalty
  FROM jsonb_array_elements(dbhealth_report('quick') -> 'checks') c
 WHERE c ->> 'name' = 'sequence_exhaustion';
ALTER SEQUENCE ticket_no AS integer;
SELECT name, status FROM checks WHERE name = 'sequence_exhaustion';

-- A disabled trigger; disabling all triggers also stops enforcing the foreign key.
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER orders_touch BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION touch();
ALTER TABLE orders DISABLE TRIGGER ALL;
SELECT name, status, message FROM checks WHERE status <> 'ok' ORDER BY name;
ALTER TABLE orders ENABLE TRIGGER ALL;
SELECT name, status FROM checks WHERE status <> 'ok' ORDER BY name;

-- health.ignore and settings.
CREATE TABLE scratch (a int);
SELECT dbcare_set('health.ignore', 'scratch') AS previous;
SELECT name, status FROM checks WHERE status <> 'ok' ORDER BY name;
SELECT dbcare_set('health.ignore', '') AS previous;
SELECT dbcare_set('health.tables_without_primary_key.enabled', 'off') AS previous;
SELECT name, status, message FROM dbhealth_checks('quick') WHERE name = 'tables_without_primary_key';
SELECT dbcare_set('health.tables_without_primary_key.enabled', 'on') AS previous;

-- amcheck: skipped with a hint until installed, then it checks every btree.
SELECT name, status, message, hint FROM dbhealth_checks() WHERE name = 'integrity';
CREATE EXTENSION amcheck;
SELECT name, status, value, message FROM dbhealth_checks() WHERE name = 'integrity';
-- A partitioned table's index has no storage of its own: only its
-- partitions' indexes are checked (amcheck refuses the parent's).
CREATE TABLE integrity_parted (id int, at date) PARTITION BY RANGE (at);
CREATE TABLE integrity_parted_2026 PARTITION OF integrity_parted
    FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE INDEX integrity_parted_id ON integrity_parted (id);
SELECT name, status, value, message FROM dbhealth_checks() WHERE name = 'integrity';
DROP TABLE integrity_parted;
SELECT name, status, value FROM dbhealth_checks('full') WHERE name = 'integrity';
SELECT name, status FROM dbhealth_checks('quick') WHERE name = 'integrity';

-- Snapshots and growth.
SELECT dbhealth_growth() ->> 'samples' AS samples, dbhealth_growth() -> 'bytes_per_day' AS per_day;
SELECT s ->> 'mode' AS mode, (s ->> 'size_bytes')::bigint > 0 AS has_size
  FROM dbhealth_snapshot() s;
INSERT INTO dbcare.health_snapshots (taken_at, mode, score, status, size_bytes)
  SELECT now() - d * interval '1 day', 'quick', 100, 'healthy', 1000000 - d * 100000
  FROM generate_series(1, 9) d;
UPDATE dbcare.health_snapshots SET size_bytes = 1000000 WHERE taken_at > now() - interval '1 hour';
SELECT g ->> 'samples' AS samples, round((g ->> 'bytes_per_day')::numeric) AS per_day,
       g ->> 'projected_size_bytes_30d' AS in_30d
  FROM dbhealth_growth(30) g;

-- Metrics in the Prometheus text format.
SELECT line FROM regexp_split_to_table(dbhealth_metrics('quick'), E'\n') line
 WHERE line LIKE '# TYPE%' ORDER BY line;

-- Bad arguments.
SELECT dbhealth_report('fast');
SELECT dbhealth_growth(0);

DROP VIEW checks;
DROP TABLE scratch, orders, customers, events;
DROP SEQUENCE ticket_no;
DROP FUNCTION touch();
DROP EXTENSION amcheck;
DELETE FROM dbcare.config WHERE key LIKE 'health.%';
DELETE FROM dbcare.health_snapshots;
