-- check_one_scan: dbcheck_constraints() and dbhealth_report('full') check a
-- table's CHECK constraints in one scan of the table, not one scan each (and
-- none for its integer primary key: no collation orders its index, which
-- PostgreSQL proves; a text key is counted from the table,
-- pg_check_unready_unique.sh)
-- (pg_stat_xact_user_tables.seq_scan counts this transaction's scans, those
-- of the rolled-back check scope included), with the counts and samples each
-- constraint's own query finds; a CHECK that errors at runtime is reported
-- as when it is checked alone.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
BEGIN;
CREATE EXTENSION IF NOT EXISTS dbcare;
RESET client_min_messages;

SELECT plan(7);

CREATE SCHEMA tap_scan;
CREATE TABLE tap_scan.lines (
    id int PRIMARY KEY,
    qty int NOT NULL,
    price numeric NOT NULL,
    code text NOT NULL);
INSERT INTO tap_scan.lines
SELECT i, CASE WHEN i % 97 = 0 THEN -i ELSE i END,
       CASE WHEN i % 89 = 0 THEN 5000 ELSE i / 10.0 END,
       CASE WHEN i % 83 = 0 THEN 'toolong' ELSE 'abc' END
FROM generate_series(1, 2000) AS i;
ALTER TABLE tap_scan.lines ADD CONSTRAINT c_qty CHECK (qty > 0) NOT VALID;
ALTER TABLE tap_scan.lines ADD CONSTRAINT c_price CHECK (price >= 0 AND price < 1000) NOT VALID;
ALTER TABLE tap_scan.lines ADD CONSTRAINT c_code CHECK (length(code) = 3) NOT VALID;

CREATE FUNCTION pg_temp.scans() RETURNS bigint LANGUAGE sql AS
$$SELECT seq_scan FROM pg_stat_xact_user_tables WHERE relid = 'tap_scan.lines'::regclass$$;

CREATE TEMP TABLE want AS
SELECT 'c_qty' AS name, count(*) AS n, (SELECT jsonb_agg(id) FROM (SELECT id FROM tap_scan.lines
       WHERE NOT (qty > 0) ORDER BY id LIMIT 5) s) AS sample
FROM tap_scan.lines WHERE NOT (qty > 0)
UNION ALL
SELECT 'c_price', count(*), (SELECT jsonb_agg(id) FROM (SELECT id FROM tap_scan.lines
       WHERE NOT (price >= 0 AND price < 1000) ORDER BY id LIMIT 5) s)
FROM tap_scan.lines WHERE NOT (price >= 0 AND price < 1000)
UNION ALL
SELECT 'c_code', count(*), (SELECT jsonb_agg(id) FROM (SELECT id FROM tap_scan.lines
       WHERE NOT (length(code) = 3) ORDER BY id LIMIT 5) s)
FROM tap_scan.lines WHERE NOT (length(code) = 3);

CREATE TEMP TABLE s0 AS SELECT pg_temp.scans() AS n;
CREATE TEMP TABLE got AS
SELECT constraint_name AS name, violations AS n, sample::jsonb AS sample
FROM dbcheck_constraints('tap_scan.lines') WHERE kind = 'check';
SELECT is(pg_temp.scans() - (SELECT n FROM s0), 1::bigint,
          'dbcheck_constraints: 3 CHECKs and 3 NOT NULLs of a table, one scan (its integer key proven)');
SELECT set_eq('SELECT name, n, sample FROM got', 'SELECT name, n, sample FROM want',
              'each CHECK: the count and sample of its own query');
SELECT is((SELECT count(*) FROM dbcheck_constraints('tap_scan.lines') WHERE kind = 'not_null'
           AND violations = 0), 3::bigint, 'the NOT NULLs are still reported');

UPDATE s0 SET n = pg_temp.scans();
SELECT ok((SELECT status <> 'ok' FROM dbhealth_checks('full') WHERE name = 'constraint_violations'),
          'full health sees the CHECK violations');
SELECT is(pg_temp.scans() - (SELECT n FROM s0), 1::bigint,
          'dbhealth_checks(''full''): the CHECKs of a table in one scan (its integer key proven)');

-- A CHECK that errors at runtime: the call fails naming it, as when it is
-- checked alone; without the bad row the table is one scan again.
-- (row 150 has qty 150)
ALTER TABLE tap_scan.lines ADD CONSTRAINT c_ratio CHECK (100 / (qty - 150) <> 7) NOT VALID;
SELECT throws_like($$SELECT * FROM dbcheck_constraints('tap_scan.lines')$$,
    '%division by zero%', 'a CHECK erroring at runtime fails the call as before');
DELETE FROM tap_scan.lines WHERE id = 150;
UPDATE s0 SET n = pg_temp.scans();
SELECT is((SELECT pg_temp.scans() - (SELECT n FROM s0) FROM (SELECT count(*) FROM
           dbcheck_constraints('tap_scan.lines')) AS c), 1::bigint,
          'four CHECKs, one scan once the bad row is gone');

SELECT * FROM finish();
ROLLBACK;
