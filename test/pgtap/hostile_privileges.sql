-- hostile_privileges: PUBLIC cannot execute anything of dbcare that changes
-- state: every VOLATILE function of the extension, read from pg_proc, except
-- the ones the API table marks read-only (volatile because they read live
-- statistics), so a new function cannot slip through unclassified. A role
-- without grants gets 42501 from each; a monitoring role (pg_monitor plus the documented GRANTs) gets a
-- complete health report.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
BEGIN;
CREATE EXTENSION IF NOT EXISTS dbcare;
RESET client_min_messages;

CREATE TABLE public.dbc_functions AS
SELECT p.oid, p.oid::regprocedure::text AS signature, p.proname, p.provolatile, p.pronargs, p.prokind,
       EXISTS (SELECT 1 FROM aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
                WHERE a.grantee = 0 AND a.privilege_type = 'EXECUTE') AS public_exec
  FROM pg_proc p
  JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'dbcare';
-- VOLATILE but read-only: they work on a hot standby (test/script/pg_standby.sh).
-- The list is the API table's (core/api/functions.h), given by the suite as
-- the psql variable dbc_read_only.
DELETE FROM public.dbc_functions WHERE signature IN (:dbc_read_only);
-- The trigger functions (schema dbcare, not on the search_path) run only as
-- a trigger; that PUBLIC cannot execute it is the second test's.
CREATE TABLE public.dbc_trigger_functions AS
SELECT * FROM public.dbc_functions WHERE signature IN ('dbcare.migrations_changed()', 'dbcare.migrations_registrant()',
                                             'dbcare.audit_trigger()', 'dbcare.softdelete_row()',
                                             'dbcare.database_identity_replace()', 'dbcare.json_registry_changed()');
DELETE FROM public.dbc_functions WHERE signature IN ('dbcare.migrations_changed()', 'dbcare.migrations_registrant()',
                                             'dbcare.audit_trigger()', 'dbcare.softdelete_row()',
                                             'dbcare.database_identity_replace()', 'dbcare.json_registry_changed()');

SELECT plan(8 + (SELECT count(*)::int FROM dbc_functions WHERE provolatile = 'v'));

SELECT cmp_ok((SELECT count(*)::int FROM dbc_functions WHERE provolatile = 'v'), '>=', 15,
    'the extension has its changing functions');
-- What changes state is VOLATILE: a STABLE or IMMUTABLE function may not write.
SELECT is(array_agg(signature ORDER BY signature), NULL,
    'no PUBLIC-executable VOLATILE function')
  FROM (SELECT * FROM dbc_functions UNION ALL SELECT * FROM dbc_trigger_functions) f
 WHERE provolatile = 'v' AND public_exec;

-- A role with no grants calls each with NULL arguments: 42501 before anything runs.
CREATE ROLE dbc_nobody NOLOGIN;
CREATE TABLE public.dbc_priv_results (signature text, sqlstate text, message text);
GRANT INSERT ON public.dbc_priv_results TO dbc_nobody;
GRANT SELECT ON public.dbc_functions TO dbc_nobody;
SET LOCAL ROLE dbc_nobody;
DO $$
DECLARE
  f record;
  st text;
  msg text;
BEGIN
  FOR f IN SELECT proname, signature, pronargs, prokind FROM dbc_functions WHERE provolatile = 'v' LOOP
    BEGIN
      EXECUTE format('%s %I(%s)', CASE f.prokind WHEN 'p' THEN 'CALL' ELSE 'SELECT' END, f.proname,
                     (SELECT string_agg('NULL', ', ') FROM generate_series(1, f.pronargs)));
      st := '00000';
      msg := 'succeeded';
    EXCEPTION WHEN OTHERS THEN
      GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
    END;
    INSERT INTO public.dbc_priv_results VALUES (f.signature, st, msg);
  END LOOP;
END
$$;
RESET ROLE;
SELECT is(sqlstate || ' ' || message, '42501 permission denied for '
          || CASE f.prokind WHEN 'p' THEN 'procedure ' ELSE 'function ' END || split_part(r.signature, '(', 1),
          'no grant: ' || r.signature || ' is refused')
  FROM public.dbc_priv_results r JOIN public.dbc_functions f USING (signature) ORDER BY r.signature;

-- Nothing ran: no settings, migrations, relations or snapshots appeared.
SELECT is((SELECT count(*)::int FROM dbcare.config) + (SELECT count(*)::int FROM dbcare.migrations)
          + (SELECT count(*)::int FROM dbcare.relations) + (SELECT count(*)::int FROM dbcare.health_snapshots),
          0, 'the refused calls changed nothing');

-- A monitoring role: pg_monitor plus the documented grants (docs/health.md,
-- docs/security.md) sees every check the superuser sees.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS amcheck;
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
RESET client_min_messages;
CREATE TABLE public.dbc_checks_super AS SELECT name, status FROM dbhealth_checks('standard');
CREATE ROLE dbc_monitor NOLOGIN;
GRANT pg_monitor TO dbc_monitor;
GRANT EXECUTE ON FUNCTION dbhealth_snapshot() TO dbc_monitor;
GRANT INSERT ON dbcare.health_snapshots TO dbc_monitor;
GRANT INSERT, DELETE ON dbcare.health_table_sizes TO dbc_monitor;
GRANT EXECUTE ON FUNCTION bt_index_check(regclass, boolean) TO dbc_monitor;
GRANT SELECT ON public.dbc_checks_super TO dbc_monitor;
SET LOCAL ROLE dbc_monitor;
SELECT lives_ok($$SELECT dbhealth_report('standard')$$, 'monitor: dbhealth_report(standard) works');
SELECT set_eq($$SELECT name, status FROM dbhealth_checks('standard')$$,
              $$SELECT name, status FROM public.dbc_checks_super$$,
    'monitor: the same checks and verdicts as the superuser (nothing skipped for privileges)');
SELECT lives_ok($$SELECT * FROM dbmigrate_status()$$, 'monitor: dbmigrate_status works');
SELECT lives_ok($$SELECT dbhealth_snapshot()$$, 'monitor: dbhealth_snapshot with its documented grants');
SELECT throws_ok($$SELECT dbcare_set('migrate.out_of_order', 'allow')$$, '42501', NULL,
    'monitor: dbcare_set is refused');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
