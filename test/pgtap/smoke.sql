-- smoke: an application's start-up journey in one file, the file
-- test/script/pg_minors.sh also runs on older PostgreSQL 15 minors: the
-- extension is created, a migration with a JSON Schema CHECK is applied and
-- asserted, the health report runs in every mode, an audited write is
-- logged and its chain verifies, a set-returning function answers (a
-- materialised result), and a restore point is written.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
BEGIN;
CREATE EXTENSION IF NOT EXISTS dbcare;
RESET client_min_messages;

SELECT plan(14);

SELECT ok(dbcare_version() ~ '^[0-9]+\.[0-9]+\.[0-9]+', 'the module answers its version');

SELECT is(dbmigrate_add('1', 'create account', $sql$
CREATE TABLE account (
  id int PRIMARY KEY,
  doc jsonb NOT NULL CHECK (dbjson_valid(doc,
    '{"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}'))
);$sql$) IS NOT NULL, true, 'a migration is added');
SELECT is(dbmigrate_apply(), 1, 'the migration is applied');
SELECT lives_ok($$SELECT dbmigrate_assert('1')$$, 'dbmigrate_assert accepts the applied version');
SELECT throws_like($$SELECT dbmigrate_assert('2')$$, 'dbcare:%',
    'dbmigrate_assert refuses a version not applied');

SELECT is(dbhealth_report('quick')->>'mode', 'quick', 'the quick health report');
SELECT ok((dbhealth_report('full')->>'score')::int BETWEEN 0 AND 100, 'the full health report scores');
SELECT ok((SELECT count(*) FROM dbhealth_checks()) > 5, 'dbhealth_checks returns its rows');

SELECT lives_ok($$SELECT dbaudit_enable('account')$$, 'auditing starts');
INSERT INTO account VALUES (1, '{"name": "ada"}');
UPDATE account SET doc = '{"name": "grace"}' WHERE id = 1;
SELECT is((SELECT count(*)::int FROM dbaudit_log('account')), 2, 'the audited writes are logged');
SELECT is((SELECT count(*)::int FROM dbaudit_verify() WHERE broken_id IS NOT NULL), 0,
    'the audit chain verifies');

SELECT throws_ok($$INSERT INTO account VALUES (2, '{"name": 7}')$$, '23514', NULL,
    'the JSON Schema CHECK refuses a bad document');

SELECT is(dbbackup_mark('smoke')::jsonb->>'label', 'smoke', 'a restore point is written');
SELECT ok((SELECT count(*) FROM dbmigrate_status()) >= 1, 'dbmigrate_status lists the migration');

SELECT * FROM finish();
ROLLBACK;
