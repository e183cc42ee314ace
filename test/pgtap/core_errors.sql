-- core_errors: every way to call the core functions wrongly gets a specific
-- SQLSTATE and a "dbcare:" message, and privileges are as documented.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
BEGIN;
CREATE EXTENSION IF NOT EXISTS dbcare;
RESET client_min_messages;

SELECT plan(27);

-- NULL arguments name the argument (22023), never a silent NULL.
SELECT throws_ok($$SELECT dbcare_get(NULL)$$, '22023',
    'dbcare: argument "key" must not be NULL', 'dbcare_get(NULL) is an error naming "key"');
SELECT throws_ok($$SELECT dbcare_set(NULL, 'allow')$$, '22023',
    'dbcare: argument "key" must not be NULL', 'dbcare_set(NULL, ...) names "key"');
SELECT throws_ok($$SELECT dbcare_set('migrate.out_of_order', NULL)$$, '22023',
    'dbcare: argument "value" must not be NULL', 'dbcare_set(..., NULL) names "value"');
SELECT throws_ok($$SELECT * FROM dbschema_diff(NULL, dbschema_snapshot())$$, '22023',
    'dbcare: argument "from" must not be NULL', 'dbschema_diff(NULL, ...) names "from"');
SELECT throws_ok($$SELECT * FROM dbschema_diff(dbschema_snapshot(), NULL)$$, '22023',
    'dbcare: argument "to" must not be NULL', 'dbschema_diff(..., NULL) names "to"');

-- Unknown keys and bad values.
SELECT throws_ok($$SELECT dbcare_get('no.such.key')$$, '22023',
    'dbcare: unknown setting "no.such.key"', 'dbcare_get of an unknown key');
SELECT throws_ok($$SELECT dbcare_set('no.such.key', '1')$$, '22023',
    'dbcare: unknown setting "no.such.key"', 'dbcare_set of an unknown key');
SELECT throws_ok($$SELECT dbcare_set('migrate.out_of_order', 'sometimes')$$, '22023',
    'dbcare: invalid value "sometimes" for setting "migrate.out_of_order"', 'a choice outside its list');
SELECT throws_ok($$SELECT dbcare_set('migrate.lock_timeout_ms', 'soon')$$, '22023',
    'dbcare: invalid value "soon" for setting "migrate.lock_timeout_ms"', 'an integer setting given text');
SELECT throws_ok($$SELECT dbcare_set('migrate.lock_timeout_ms', '1.5')$$, '22023',
    'dbcare: invalid value "1.5" for setting "migrate.lock_timeout_ms"', 'an integer setting given a fraction');
SELECT throws_ok($$SELECT dbcare_set('migrate.lock_timeout_ms', '99999999999')$$, '22023',
    'dbcare: invalid value "99999999999" for setting "migrate.lock_timeout_ms"', 'an integer out of range');
SELECT is(dbcare_get('migrate.out_of_order'), 'refuse', 'failed dbcare_set calls stored nothing');
SELECT is(dbcare_set('migrate.out_of_order', 'allow'), 'refuse', 'dbcare_set returns the previous value');
SELECT is(dbcare_get('migrate.out_of_order'), 'allow', 'and the new value is read back');

-- dbschema_diff wants two dbcare snapshots.
SELECT throws_ok($$SELECT * FROM dbschema_diff('{"format":', '{}')$$, '22P02', NULL,
    'text that is not JSON is refused by the jsonb parameter');
SELECT throws_ok($$SELECT * FROM dbschema_diff('[1, 2]', dbschema_snapshot())$$, '22023',
    'dbcare: argument "from" is not a dbcare schema snapshot (an object with "format")',
    'a JSON array is not a snapshot');
SELECT throws_ok($$SELECT * FROM dbschema_diff(dbschema_snapshot(), '{"table": {}}')$$, '22023',
    'dbcare: argument "to" is not a dbcare schema snapshot (an object with "format")',
    'an object without "format" is not a snapshot');
SELECT throws_ok($$SELECT * FROM dbschema_diff(dbschema_snapshot(), '{"format": 1, "table": []}')$$, '22023',
    'dbcare: argument "to" is not a dbcare schema snapshot: section "table" is not an object',
    'a section of the wrong type is refused');
SELECT throws_like($$SELECT * FROM dbschema_diff('{"format": 1, "engine": "sqlite"}', dbschema_snapshot())$$,
    'dbcare: the two snapshots come from different engines%', 'snapshots of two engines are not compared');
SELECT is_empty($$SELECT * FROM dbschema_diff(dbschema_snapshot(), dbschema_snapshot())$$,
    'a snapshot has no difference with itself');
SELECT matches(dbschema_fingerprint(), '^[0-9a-f]{64}$', 'the fingerprint is 64 lowercase hex digits');

-- Privileges: PUBLIC cannot change settings; a pg_monitor member can read them.
CREATE ROLE dbcare_tap_nobody;
CREATE ROLE dbcare_tap_monitor IN ROLE pg_monitor;
SET ROLE dbcare_tap_nobody;
SELECT throws_ok($$SELECT dbcare_set('migrate.out_of_order', 'refuse')$$, '42501', NULL,
    'PUBLIC cannot execute dbcare_set');
SELECT lives_ok($$SELECT dbschema_fingerprint()$$, 'anyone may take the schema fingerprint');
RESET ROLE;
SET ROLE dbcare_tap_monitor;
SELECT is(dbcare_get('migrate.out_of_order'), 'allow', 'a monitoring role reads a setting');
SELECT ok((SELECT count(*) FROM dbcare_settings) >= 3, 'a monitoring role lists the settings');
SELECT throws_ok($$SELECT dbcare_set('migrate.out_of_order', 'refuse')$$, '42501', NULL,
    'a monitoring role cannot change settings');
RESET ROLE;

-- Every function of the extension pins its search_path, except those
-- that run migration scripts or the generator's desired schema (dbmigrate_run,
-- a procedure, cannot have SET): their unqualified names must resolve
-- with the caller's search_path (docs/migrations.md, "search_path"); and the
-- procedure dbretain_run, whose statements run under the path the host pins,
-- and the JSON validators, which run no other statement, and the audit
-- trigger, which pins the path around the statements it runs
-- (DBC_API_HOST_PATH: a SET clause would cost a GUC save and restore per call).
SELECT is((SELECT count(*)::int FROM pg_proc p
             JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
             JOIN pg_extension x ON x.oid = d.refobjid AND x.extname = 'dbcare'
            WHERE NOT coalesce('search_path=pg_catalog, pg_temp' = ANY (p.proconfig), false)
              AND p.proname NOT IN ('dbmigrate_apply', 'dbmigrate_rollback', 'dbmigrate_verify',
                                   'dbmigrate_run', 'dbmigrate_trace', 'dbmigrate_generate',
                                   'dbretain_run', 'dbjson_valid', 'dbjson_assert',
                                   'dbjson_errors', 'dbjson_schema_valid', 'audit_trigger')),
          0, 'every dbcare function runs with search_path = pg_catalog, pg_temp');

SELECT * FROM finish();
ROLLBACK;
