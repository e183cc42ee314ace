-- Migration lint: a pending migration judged against the live tables before it runs
SELECT dbmigrate_add('90', 'drop the phone column',
  'ALTER TABLE customers DROP COLUMN phone;
ALTER TABLE customers ADD COLUMN seen_at TEXT DEFAULT CURRENT_TIMESTAMP;') IS NOT NULL AS registered;
SELECT line, rule, severity, message FROM dbmigrate_lint('90');
DELETE FROM dbcare_migrations WHERE version = '90';
