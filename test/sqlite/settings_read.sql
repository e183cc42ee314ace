-- Settings are validated when they are read, not only by dbcare_set: a value
-- written into dbcare_config directly that dbcare_set would not have stored
-- counts as not set. SQLite has no warnings a statement returns: the reader
-- uses the default, reports the stored text through SQLite's error log
-- (sqlite3_log, SQLITE_WARNING; the shell's .log shows it), and
-- dbcare_settings shows the default as the value and the reason in "problem".
.headers on
.mode list

-- The bookkeeping tables appear with the first changing call.
SELECT dbcare_set('migrate.lock_timeout_ms', '10000') AS previous;
.log stdout

-- Out of range, too large for any integer, hexadecimal, blank-padded.
UPDATE dbcare_config SET value = '-5' WHERE key = 'migrate.lock_timeout_ms';
SELECT dbcare_get('migrate.lock_timeout_ms') AS effective;
UPDATE dbcare_config SET value = '99999999999999999999' WHERE key = 'migrate.lock_timeout_ms';
SELECT dbcare_get('migrate.lock_timeout_ms') AS effective;
UPDATE dbcare_config SET value = '0x10' WHERE key = 'migrate.lock_timeout_ms';
SELECT dbcare_get('migrate.lock_timeout_ms') AS effective;
UPDATE dbcare_config SET value = ' 100 ' WHERE key = 'migrate.lock_timeout_ms';
SELECT dbcare_get('migrate.lock_timeout_ms') AS effective;
-- SQLite's flexible typing: a number stored as a real or an integer value
UPDATE dbcare_config SET value = 100.0 WHERE key = 'migrate.lock_timeout_ms';
SELECT dbcare_get('migrate.lock_timeout_ms') AS effective;
SELECT key, value, default_value, problem FROM dbcare_settings WHERE key = 'migrate.lock_timeout_ms';

-- A choice must be stored in the form dbcare_set stores ("allow"): "ALLOW"
-- is not taken for allow, and out-of-order migrations stay refused.
INSERT INTO dbcare_config VALUES ('migrate.out_of_order', 'ALLOW');
SELECT dbcare_get('migrate.out_of_order') AS effective;
SELECT dbmigrate_add('2', 'two', 'CREATE TABLE two (a)') IS NOT NULL AS added;
SELECT dbmigrate_apply() AS applied;
SELECT dbmigrate_add('1', 'one', 'CREATE TABLE one (a)') IS NOT NULL AS added;
.log off
SELECT dbmigrate_apply() AS applied;
.log stdout

-- The health report and the catalog reader read their settings the same way.
INSERT INTO dbcare_config VALUES ('health.integrity.warn', '0x10'),
                                 ('health.integrity.penalty', '-5'),
                                 ('health.integrity.enabled', 'OFF'),
                                 ('health.ignore', ' audit_log , tmp '),
                                 ('schema.catalog_reader', 'PRAGMA');
SELECT status <> 'skipped' AS integrity_checked FROM dbhealth_checks('standard') WHERE name = 'integrity';
SELECT dbschema_fingerprint() IS NOT NULL AS fingerprint;
SELECT key, value, default_value, problem FROM dbcare_settings WHERE problem IS NOT NULL ORDER BY key;

-- dbcare_set replaces a bad value; the previous value it returns is the one
-- that was in effect (the default).
SELECT dbcare_set('migrate.lock_timeout_ms', '100') AS previous;
SELECT dbcare_get('migrate.lock_timeout_ms') AS effective;

-- Valid values written directly are read as they are, without a warning.
DELETE FROM dbcare_config;
INSERT INTO dbcare_config VALUES ('migrate.out_of_order', 'allow'), ('health.integrity.warn', '75');
SELECT dbcare_get('migrate.out_of_order') AS out_of_order, dbcare_get('health.integrity.warn') AS warn;
SELECT count(*) AS problems FROM dbcare_settings WHERE problem IS NOT NULL;
