-- health_privileges: a monitoring role (pg_monitor, not superuser) gets a
-- complete report; the checks it may not run are skipped with a GRANT hint,
-- never an error. pg_stat_statements absent vs created (the test cluster
-- preloads the library).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
BEGIN;
CREATE EXTENSION IF NOT EXISTS dbcare;
CREATE EXTENSION IF NOT EXISTS amcheck;
RESET client_min_messages;

SELECT plan(17);

CREATE SCHEMA tap_health;
CREATE TABLE tap_health.parent (id int PRIMARY KEY);
CREATE TABLE tap_health.child (id int PRIMARY KEY, parent_id int);
CREATE INDEX ON tap_health.child (parent_id);
INSERT INTO tap_health.parent VALUES (1);
INSERT INTO tap_health.child VALUES (1, 1), (2, 7);
ALTER TABLE tap_health.child ADD CONSTRAINT child_parent_fk FOREIGN KEY (parent_id)
  REFERENCES tap_health.parent (id) NOT VALID;

CREATE ROLE tap_monitor;
GRANT pg_monitor TO tap_monitor;
CREATE TEMP TABLE seen AS SELECT * FROM dbhealth_checks('standard') WHERE false;
GRANT ALL ON seen TO tap_monitor;

-- The superuser sees the orphan.
SELECT is((SELECT status FROM dbhealth_checks('standard') WHERE name = 'foreign_key_violations'),
          'critical', 'superuser: the orphan of the NOT VALID foreign key is found');

-- The monitoring role.
SET ROLE tap_monitor;
INSERT INTO seen SELECT * FROM dbhealth_checks('standard');
RESET ROLE;
SELECT is((SELECT count(*) FROM seen), (SELECT count(*) FROM dbhealth_checks('standard')),
          'pg_monitor: the report has every check');
SELECT is((SELECT count(*) FROM seen WHERE status = 'error'), 0::bigint,
          'pg_monitor: no check ends in error');
SELECT is((SELECT status FROM seen WHERE name = 'integrity'), 'skipped',
          'pg_monitor: amcheck not granted, integrity skipped');
SELECT matches((SELECT hint FROM seen WHERE name = 'integrity'),
               '^GRANT EXECUTE ON FUNCTION .*bt_index_check\(regclass, boolean\)',
               'pg_monitor: integrity hint names the GRANT');
SELECT is((SELECT status FROM seen WHERE name = 'foreign_key_violations'), 'skipped',
          'pg_monitor: unreadable table, foreign_key_violations skipped');
SELECT matches((SELECT message FROM seen WHERE name = 'foreign_key_violations'),
               '^permission denied for (schema|table) ', 'pg_monitor: the reason says what was denied');
SELECT matches((SELECT hint FROM seen WHERE name = 'foreign_key_violations'),
               '^GRANT pg_read_all_data TO ', 'pg_monitor: the hint names the GRANT');
SELECT is((SELECT count(*) FROM seen WHERE status <> 'skipped'
            AND name IN ('long_transactions', 'idle_in_transaction', 'replication')), 3::bigint,
          'pg_monitor: session and replication checks run (pg_read_all_stats)');

-- Granted what the hints say, the same role gets the full answer.
GRANT EXECUTE ON FUNCTION bt_index_check(regclass, boolean) TO tap_monitor;
GRANT USAGE ON SCHEMA tap_health TO tap_monitor;
GRANT SELECT ON ALL TABLES IN SCHEMA tap_health TO tap_monitor;
TRUNCATE seen;
SET ROLE tap_monitor;
INSERT INTO seen SELECT * FROM dbhealth_checks('standard');
RESET ROLE;
SELECT is((SELECT status FROM seen WHERE name = 'integrity'), 'ok', 'granted: integrity runs');
SELECT is((SELECT status FROM seen WHERE name = 'foreign_key_violations'), 'critical',
          'granted: the orphan is found');

-- A role that reads dbcare's own tables but is not in pg_monitor (so not in
-- pg_read_all_stats): the session checks are skipped with the hint.
REVOKE pg_monitor FROM tap_monitor;
GRANT USAGE ON SCHEMA dbcare TO tap_monitor;
GRANT SELECT ON ALL TABLES IN SCHEMA dbcare TO tap_monitor;
TRUNCATE seen;
SET ROLE tap_monitor;
INSERT INTO seen SELECT * FROM dbhealth_checks('standard');
RESET ROLE;
SELECT is((SELECT count(*) FROM seen WHERE status = 'skipped' AND hint = 'GRANT pg_monitor TO tap_monitor;'
            AND name IN ('long_transactions', 'idle_in_transaction', 'replication')), 3::bigint,
          'without pg_monitor: session and replication checks skipped with GRANT pg_monitor');
SELECT is((SELECT count(*) FROM seen), (SELECT count(*) FROM dbhealth_checks('standard')),
          'without pg_monitor: the report is still complete');

-- pg_stat_statements: skipped with the steps to enable it, then evaluated.
SELECT is((SELECT status FROM dbhealth_checks('quick') WHERE name = 'slow_queries'), 'skipped',
          'slow_queries skipped without pg_stat_statements');
SELECT matches((SELECT hint FROM dbhealth_checks('quick') WHERE name = 'slow_queries'),
               'CREATE EXTENSION pg_stat_statements', 'slow_queries hint says how to enable it');
CREATE EXTENSION pg_stat_statements;
SELECT is((SELECT status FROM dbhealth_checks('quick') WHERE name = 'slow_queries'), 'ok',
          'slow_queries evaluated once pg_stat_statements exists');
SELECT dbcare_set('health.slow_queries.min_ms', '0') IS NOT NULL AS set;
SELECT cmp_ok((SELECT value::numeric FROM dbhealth_checks('quick') WHERE name = 'slow_queries'), '>', 0::numeric,
              'slow_queries reads pg_stat_statements (every statement counts at min_ms 0)');

SELECT * FROM finish();
ROLLBACK;
