-- dbhealth_*: a scored report of the database, each problem planted, caught, fixed.
.headers on
.mode list

-- A fresh, empty database is healthy.
SELECT dbhealth_score() AS score, json_extract(dbhealth_report(), '$.status') AS status;
SELECT json_extract(dbhealth_report(), '$.engine') AS engine,
       json_extract(dbhealth_report('quick'), '$.mode') AS mode,
       json_array_length(dbhealth_report(), '$.checks') AS checks;
-- The report's keys, exactly.
SELECT group_concat(key, ',') AS report_keys FROM json_each(dbhealth_report());
SELECT group_concat(key, ',') AS metric_keys FROM json_each(dbhealth_report(), '$.metrics');
SELECT group_concat(key, ',') AS check_keys FROM json_each(dbhealth_report(), '$.checks[0]');
-- The cheap numbers alone (dbcare serve reads them on every scrape): the
-- report's metrics without the checks, the same numbers.
SELECT dbhealth_gauges() AS gauges;
SELECT json_extract(dbhealth_gauges(), '$.tables') = json_extract(dbhealth_report('quick'), '$.metrics.tables')
       AND json_extract(dbhealth_gauges(), '$.size_bytes') = json_extract(dbhealth_report('quick'), '$.metrics.size_bytes')
       AS gauges_match_report;
-- Reading the report creates nothing.
SELECT count(*) AS dbcare_tables FROM sqlite_schema WHERE name LIKE 'dbcare\_%' ESCAPE '\';

-- Every check of SQLite's own, with its status, in standard mode (the checks
-- answered by dbcheck and dbmigrate have their own tests).
SELECT name, status FROM dbhealth_checks
 WHERE name NOT IN ('foreign_key_violations', 'constraint_violations', 'orphans',
                    'migrations', 'schema_drift');
-- quick never reads user data: the integrity pass is left for standard and full.
SELECT name, status, message FROM dbhealth_checks('quick') WHERE name = 'integrity';

-- A table without a primary key warns; with one it clears.
CREATE TABLE events (at TEXT, what TEXT);
SELECT name, status, value, message FROM dbhealth_checks WHERE name = 'tables_without_primary_key';
DROP TABLE events;
CREATE TABLE events (id INTEGER PRIMARY KEY, at TEXT, what TEXT);
SELECT name, status, value FROM dbhealth_checks WHERE name = 'tables_without_primary_key';

-- Foreign keys declared while PRAGMA foreign_keys is off (the default) warn.
CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE orders (id INTEGER PRIMARY KEY,
                     customer_id INTEGER REFERENCES customers (id),
                     total REAL);
SELECT name, status, message FROM dbhealth_checks WHERE name = 'foreign_keys_enforced';
PRAGMA foreign_keys = ON;
SELECT name, status, message FROM dbhealth_checks WHERE name = 'foreign_keys_enforced';
PRAGMA foreign_keys = OFF;

-- orders.customer_id has no index: deleting a customer scans all orders.
SELECT name, status, message FROM dbhealth_checks WHERE name = 'unindexed_foreign_keys';
CREATE INDEX orders_customer ON orders (customer_id);
SELECT name, status FROM dbhealth_checks WHERE name = 'unindexed_foreign_keys';

-- A second index on the same column is a duplicate.
CREATE INDEX orders_customer_again ON orders (customer_id);
SELECT name, status, message FROM dbhealth_checks WHERE name = 'duplicate_indexes';
-- A different column order is not a duplicate.
DROP INDEX orders_customer_again;
CREATE INDEX orders_customer_total ON orders (customer_id, total);
CREATE INDEX orders_total_customer ON orders (total, customer_id);
SELECT name, status FROM dbhealth_checks WHERE name = 'duplicate_indexes';

-- Fill the tables; never analysed, the planner has no statistics.
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
INSERT INTO customers (id, name) SELECT i, 'customer ' || i FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
INSERT INTO orders (customer_id, total, id) SELECT 1 + i % 2000, i * 1.5, i FROM n;
SELECT name, status, message FROM dbhealth_checks WHERE name = 'statistics';
ANALYZE;
SELECT name, status FROM dbhealth_checks WHERE name = 'statistics';

-- Mass deletes leave a large freelist: fragmentation.
DELETE FROM orders WHERE id > 1000;
SELECT name, status FROM dbhealth_checks WHERE name = 'fragmentation';
VACUUM;
SELECT name, status FROM dbhealth_checks WHERE name = 'fragmentation';

-- The journal mode is informational.
-- journal_mode's value is a word, not a number: NULL in value, said in the message.
SELECT name, status, quote(value) AS value, message FROM dbhealth_checks WHERE name = 'journal_mode';

-- A table without a key, a duplicate index and rows but no statistics: four warnings, score 75.
CREATE TABLE audit_log (at TEXT, line TEXT);
CREATE INDEX audit_at ON audit_log (at);
CREATE INDEX audit_at2 ON audit_log (at); INSERT INTO audit_log VALUES ('2024-05-01', 'start');
SELECT dbhealth_score() AS score, json_extract(dbhealth_report(), '$.status') AS status;
SELECT name, status, penalty FROM dbhealth_checks WHERE status NOT IN ('ok', 'skipped');

-- health.ignore skips named objects; penalties, thresholds and switches are settings.
SELECT dbcare_set('health.ignore', 'audit_log') AS previous;
SELECT name, status FROM dbhealth_checks WHERE status NOT IN ('ok', 'skipped');
SELECT dbcare_set('health.foreign_keys_enforced.penalty', '30') AS previous;
SELECT dbhealth_score() AS score, json_extract(dbhealth_report(), '$.status') AS status;
SELECT dbcare_set('health.foreign_keys_enforced.enabled', 'off') AS previous;
SELECT name, status, message FROM dbhealth_checks WHERE name = 'foreign_keys_enforced';
SELECT dbhealth_score() AS score;
SELECT key, value, default_value FROM dbcare_settings WHERE key LIKE 'health.integrity.%';

-- Bad arguments name themselves.
SELECT dbhealth_report('fast');
SELECT dbcare_set('health.integrity.penalty', '101');
SELECT dbcare_set('health.fragmentation.warn', 'lots');
