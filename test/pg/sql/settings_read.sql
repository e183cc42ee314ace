-- Settings are validated when they are read, not only by dbcare_set: a value
-- written into dbcare.config directly (by hand, a restore, an older script)
-- that dbcare_set would not have stored counts as not set. The reader uses
-- the default and says so with a WARNING naming the key and the stored text;
-- dbcare_settings shows the default as the value and the reason in "problem".
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dbcare;
RESET client_min_messages;
\set VERBOSITY default

-- Out of range, too large for any integer, hexadecimal, blank-padded.
INSERT INTO dbcare.config VALUES ('migrate.lock_timeout_ms', '-5');
SELECT dbcare_get('migrate.lock_timeout_ms');
UPDATE dbcare.config SET value = '99999999999999999999' WHERE key = 'migrate.lock_timeout_ms';
SELECT dbcare_get('migrate.lock_timeout_ms');
UPDATE dbcare.config SET value = '0x10' WHERE key = 'migrate.lock_timeout_ms';
SELECT dbcare_get('migrate.lock_timeout_ms');
UPDATE dbcare.config SET value = ' 100 ' WHERE key = 'migrate.lock_timeout_ms';
SELECT dbcare_get('migrate.lock_timeout_ms');
SELECT key, value, default_value, problem FROM dbcare_settings WHERE key = 'migrate.lock_timeout_ms';

-- A choice must be stored in the form dbcare_set stores ("allow"): "ALLOW"
-- is not taken for allow, and out-of-order migrations stay refused.
BEGIN;
INSERT INTO dbcare.config VALUES ('migrate.out_of_order', 'ALLOW');
SELECT dbcare_get('migrate.out_of_order');
SELECT dbmigrate_add('2', 'two', 'CREATE TABLE settings_read_two (a int)') IS NOT NULL AS added;
SELECT dbmigrate_apply();
SELECT dbmigrate_add('1', 'one', 'CREATE TABLE settings_read_one (a int)') IS NOT NULL AS added;
SELECT dbmigrate_apply();
ROLLBACK;

-- The health report reads its thresholds, penalties and switches the same way.
INSERT INTO dbcare.config VALUES ('health.connections.warn', '0x10'),
                                 ('health.connections.penalty', '-5'),
                                 ('health.connections.enabled', 'TRUE'),
                                 ('health.ignore', ' audit_log , tmp ');
SELECT status <> 'skipped' AS connections_checked FROM dbhealth_checks('quick') WHERE name = 'connections';
SELECT key, value, default_value, problem FROM dbcare_settings WHERE problem IS NOT NULL ORDER BY key;

-- dbcare_set replaces a bad value; the previous value it returns is the one
-- that was in effect (the default).
SELECT dbcare_set('migrate.lock_timeout_ms', '100') AS previous;
SELECT dbcare_get('migrate.lock_timeout_ms');
SELECT count(*) AS problems FROM dbcare_settings WHERE problem IS NOT NULL;

-- Valid values written directly are read as they are, without a warning.
DELETE FROM dbcare.config;
INSERT INTO dbcare.config VALUES ('migrate.out_of_order', 'allow'), ('health.connections.warn', '75');
SELECT dbcare_get('migrate.out_of_order'), dbcare_get('health.connections.warn');
SELECT count(*) AS problems FROM dbcare_settings WHERE problem IS NOT NULL;

DELETE FROM dbcare.config;
