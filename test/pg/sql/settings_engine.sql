-- dbcare_settings lists only the keys that apply to PostgreSQL (issue 20,
-- item 30): no SQLite-only setting, and the four keys of every check
-- PostgreSQL runs.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dbcare;
RESET client_min_messages;
SELECT count(*) AS sqlite_only_keys FROM dbcare_settings
 WHERE key = 'schema.catalog_reader' OR key LIKE 'health.journal_mode.%';
SELECT key FROM dbcare_settings WHERE key NOT LIKE 'health.%.%' OR key = 'health.slow_queries.min_ms'
 ORDER BY key;
SELECT count(*) AS xid_wraparound_keys FROM dbcare_settings WHERE key LIKE 'health.xid_wraparound.%';
-- The health keys listed are those of the checks a report runs here.
SELECT count(*) AS checks_without_settings FROM dbhealth_checks('quick') AS c
 WHERE NOT EXISTS (SELECT 1 FROM dbcare_settings WHERE key = 'health.' || c.name || '.enabled');
SELECT count(*) = (SELECT count(*) FROM dbhealth_checks('quick')) AS one_check_per_enabled_key
  FROM dbcare_settings WHERE key LIKE 'health.%.enabled';
-- The other engine's keys are still accepted, so one settings script serves
-- both engines; they change nothing here.
BEGIN;
SELECT dbcare_set('schema.catalog_reader', 'pragma') AS previous;
SELECT dbcare_get('schema.catalog_reader') AS stored;
ROLLBACK;
