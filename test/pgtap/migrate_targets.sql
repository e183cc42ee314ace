-- migrate_targets: a target must name a migration exactly (apply, plan,
-- verify, script up to a registered version; rollback to an applied one or
-- 0), an assert for a version nobody registered does not hint at applying,
-- a COPY from the client is refused at registration, and dbcare's own
-- constraints, indexes and triggers carry names no application gives.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
BEGIN;
CREATE EXTENSION IF NOT EXISTS dbcare;
RESET client_min_messages;

SELECT plan(20);

CREATE FUNCTION pg_temp.hint_of(sql text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE h text;
BEGIN
    EXECUTE sql;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS h = PG_EXCEPTION_HINT;
    RETURN h;
END
$$;

SELECT lives_ok($$SELECT dbmigrate_add('1', 'one', 'CREATE TABLE t1 (x int)', 'DROP TABLE t1');
                  SELECT dbmigrate_add('2', 'two', 'CREATE TABLE t2 (x int)', 'DROP TABLE t2')$$,
    'register 1 and 2');

-- 16: 1.5 is neither 1 nor 2; 1.0 is 1.
SELECT throws_ok($$SELECT dbmigrate_apply('1.5')$$, '22023',
    'dbcare: target version 1.5 names no registered migration', 'apply to an unregistered version');
SELECT is((SELECT count(*)::int FROM dbmigrate_history()), 0, 'nothing applied by the refusal');
SELECT throws_ok($$SELECT * FROM dbmigrate_plan('3')$$, '22023',
    'dbcare: target version 3 names no registered migration', 'plan to an unregistered version');
SELECT throws_ok($$SELECT * FROM dbmigrate_verify('0.5')$$, '22023',
    'dbcare: target version 0.5 names no registered migration', 'verify to an unregistered version');
SELECT throws_ok($$SELECT dbmigrate_script('9')$$, '22023',
    'dbcare: target version 9 names no registered migration', 'script to an unregistered version');
SELECT is(dbmigrate_apply('1.0'), 1, 'apply to 1.0 is apply to 1');
SELECT is(dbmigrate_apply(), 1, 'apply the rest');

SELECT throws_ok($$SELECT dbmigrate_rollback('6')$$, '22023',
    'dbcare: target version 6 is above the current version 2; nothing to roll back',
    'rollback above the current version');
SELECT throws_ok($$SELECT dbmigrate_rollback('1.5')$$, '22023',
    'dbcare: target version 1.5 names no applied migration', 'rollback to an unapplied version');
SELECT is(dbmigrate_rollback('2'), 0, 'rollback to the current version: nothing to do');
SELECT is(dbmigrate_rollback('0'), 2, 'rollback to 0 undoes everything');

-- 17: nothing is pending, so the hint does not say to apply.
SELECT throws_ok($$SELECT dbmigrate_assert('7')$$, '55000',
    'dbcare: database is at migration version (none), the application needs 7 or later',
    'assert of an unregistered version');
SELECT is(pg_temp.hint_of($$SELECT dbmigrate_apply(); SELECT dbmigrate_assert('7')$$),
    'No migration is pending: register the migration of version 7 (dbmigrate_add, dbmigrate_load) and apply it. A migration run in another session is not visible until it commits: if one is in progress, try again when it ends.',
    'assert hint without pending migrations');

-- 21: COPY from the client cannot run inside a function, nor psql's
-- meta-commands; both are refused when registered, with a hint.
SELECT throws_ok($$SELECT dbmigrate_add('3', 'seed', E'CREATE TABLE t3 (x int);\ncopy t3 (x) FROM STDIN;')$$, '22023',
    'dbcare: migration 3 (seed) runs COPY FROM STDIN at line 2, which only a client can feed',
    'COPY FROM STDIN refused');
SELECT matches(pg_temp.hint_of($$SELECT dbmigrate_add('3', 'seed', E'COPY t3 FROM stdin WITH (FORMAT csv);\n1\n\\.\n')$$),
    'INSERT', 'COPY FROM STDIN with its data: the hint says what to do instead');
SELECT matches(pg_temp.hint_of($$SELECT dbmigrate_add('3', 'vars', E'\\set n 5\nSELECT :n;')$$),
    'Remove the line', 'a psql meta-command is refused with a hint');

-- A COPY block written into the registry by hand never reaches a script:
-- psql would read the data up to \. and then whatever followed it.
INSERT INTO dbcare.migrations (kind, version, version_text, name, script, checksum)
VALUES ('versioned', '5', '5', 'by hand', E'COPY t3 FROM stdin;\n1\n\\.\n', 'v1:sha256:00');
SELECT throws_ok($$SELECT dbmigrate_script()$$, '22023',
    'dbcare: migration 5 (by hand) runs COPY FROM STDIN at line 1, which only a client can feed',
    'dbmigrate_script refuses a registered COPY block');

-- 22: dbcare's own names carry its prefix.
SELECT is((SELECT string_agg(conname, ', ' ORDER BY conname) FROM pg_constraint
            WHERE connamespace = 'dbcare'::regnamespace AND conname NOT LIKE 'dbcare\_%'),
    NULL, 'every constraint of dbcare is named dbcare_*');
SELECT is((SELECT string_agg(c.relname || ' ' || coalesce(t.tgname, ''), ', ')
             FROM pg_class c LEFT JOIN pg_trigger t ON t.tgrelid = c.oid AND NOT t.tgisinternal
            WHERE c.relnamespace = 'dbcare'::regnamespace
              AND ((c.relkind = 'i' AND c.relname NOT LIKE 'dbcare\_%')
                OR (t.tgname IS NOT NULL AND t.tgname NOT LIKE 'dbcare\_%'))),
    NULL, 'every index and trigger of dbcare is named dbcare_*');

SELECT * FROM finish();
ROLLBACK;
