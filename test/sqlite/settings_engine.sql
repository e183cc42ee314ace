-- dbcare_settings lists only the keys that apply to SQLite (issue 20, item 30):
-- no PostgreSQL-only setting, and the four keys of every check SQLite runs.
SELECT count(*) AS postgresql_only_keys FROM dbcare_settings
 WHERE key IN ('migrate.trusted_registrants', 'health.slow_queries.min_ms')
    OR key LIKE 'health.invalid_indexes.%' OR key LIKE 'health.xid_wraparound.%'
    OR key LIKE 'health.replication.%' OR key LIKE 'health.cache_hit_ratio.%';
SELECT key FROM dbcare_settings WHERE key NOT LIKE 'health.%.%' ORDER BY key;
SELECT count(*) AS journal_mode_keys FROM dbcare_settings WHERE key LIKE 'health.journal_mode.%';
SELECT count(*) AS integrity_keys FROM dbcare_settings WHERE key LIKE 'health.integrity.%';
-- The health keys listed are those of the checks a report runs here.
SELECT count(*) AS checks_without_settings FROM dbhealth_checks('quick') AS c
 WHERE NOT EXISTS (SELECT 1 FROM dbcare_settings WHERE key = 'health.' || c.name || '.enabled');
SELECT count(DISTINCT substr(key, 8, length(key) - 7 - length('.enabled'))) =
       (SELECT count(*) FROM dbhealth_checks('quick')) AS one_check_per_enabled_key
  FROM dbcare_settings WHERE key LIKE 'health.%.enabled';
-- The other engine's keys are still accepted, so one settings script serves both
-- engines; they change nothing here.
SELECT dbcare_set('migrate.trusted_registrants', 'deployer') AS previous;
SELECT dbcare_get('migrate.trusted_registrants') AS stored;
