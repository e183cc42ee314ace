-- dbcare settings: one store of dotted keys that every dbcare feature reads.
-- A worked example: list the settings, change some, see the errors you get
-- for keys and values dbcare does not know.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dbcare;
RESET client_min_messages;

-- Which version is installed?
SELECT dbcare_version() ~ '^[0-9]+\.[0-9]+\.[0-9]+$' AS version_is_semver;

-- Every setting with its current value, default and description (also as
-- dbcare_settings()); here the general ones, each feature adds its own.
SELECT key, value, default_value FROM dbcare_settings
 WHERE key IN ('health.ignore', 'migrate.lock_timeout_ms', 'migrate.out_of_order') ORDER BY key;
SELECT count(*) AS settings_without_description FROM dbcare_settings WHERE description = '';
SELECT count(*) = (SELECT count(*) FROM dbcare_settings) AS function_and_view_agree
  FROM dbcare_settings();

-- Read one setting.
SELECT dbcare_get('migrate.out_of_order');

-- dbcare_set returns the previous value; values are normalised.
SELECT dbcare_set('migrate.out_of_order', 'ALLOW') AS previous;
SELECT dbcare_get('migrate.out_of_order') AS now;
SELECT dbcare_set('migrate.lock_timeout_ms', '2500') AS previous;
SELECT dbcare_set('migrate.lock_timeout_ms', '5000') AS previous;
SELECT dbcare_set('health.ignore', ' audit_log , , tmp_import ') AS previous;

-- Only changed settings are stored (in dbcare.config, kept by pg_dump).
SELECT key, value FROM dbcare.config ORDER BY key;
SELECT key, value, default_value FROM dbcare_settings WHERE value <> default_value ORDER BY key;

-- Mistakes are errors with SQLSTATE 22023 and a hint; nothing is stored.
SELECT dbcare_set('migrate.out_of_order', 'sometimes');
SELECT dbcare_set('migrate.lock_timeout_ms', '-1');
SELECT dbcare_set('migrate.lock_timeout_ms', 'soon');
SELECT dbcare_get('migrate.no_such_key');
SELECT dbcare_get(NULL);
SELECT dbcare_set('health.ignore', NULL);
SELECT dbcare_get('migrate.lock_timeout_ms');

-- Back to the defaults.
SELECT dbcare_set('migrate.out_of_order', 'refuse') AS previous;
DELETE FROM dbcare.config;
SELECT count(*) AS changed_settings FROM dbcare_settings WHERE value <> default_value;
