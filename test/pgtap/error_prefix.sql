-- error_prefix: every error a dbcare function raises starts with "dbcare: "
-- and keeps the SQLSTATE of its cause, also when the cause is PostgreSQL's
-- own refusal: a role without USAGE on schema dbcare (42501, with a hint
-- naming the missing GRANT), and a read-only transaction, where every
-- changing function (every VOLATILE one of the extension, read from pg_proc,
-- except those the API table marks read-only) refuses
-- with 25006 before it looks at its arguments.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
BEGIN;
CREATE EXTENSION IF NOT EXISTS dbcare;
RESET client_min_messages;

CREATE TABLE public.dbc_changing AS
SELECT p.oid::regprocedure::text AS signature, p.oid::regproc::text AS fn,
       CASE p.prokind WHEN 'p' THEN 'CALL' ELSE 'SELECT' END AS verb,
       (SELECT coalesce(string_agg('NULL::' || format_type(t, NULL), ', ' ORDER BY n), '')
          FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS u(t, n)) AS null_args,
       (SELECT coalesce(string_agg(CASE format_type(t, NULL) WHEN 'text' THEN quote_literal('absent')
                                   WHEN 'boolean' THEN 'true' WHEN 'jsonb' THEN quote_literal('{}')
                                   ELSE '0' END || '::' || format_type(t, NULL), ', ' ORDER BY n), '')
          FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS u(t, n)) AS harmless_args
  FROM pg_proc p
  JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'dbcare'
 WHERE p.provolatile = 'v' AND p.prorettype <> 'trigger'::regtype
   AND p.oid::regprocedure::text NOT IN (:dbc_read_only);

SELECT plan(4 + 2 * (SELECT count(*)::int FROM public.dbc_changing));

SELECT cmp_ok((SELECT count(*)::int FROM public.dbc_changing), '>=', 15,
    'the extension has its changing functions');

-- A role allowed to run three changing functions, but without USAGE on the
-- bookkeeping schema: PostgreSQL refuses the schema, dbcare says so.
CREATE TABLE public.dbc_parent (y int PRIMARY KEY);
CREATE TABLE public.dbc_child (x int);
CREATE ROLE dbc_no_usage NOLOGIN;
GRANT EXECUTE ON FUNCTION dbcare_set(text, text), dbhealth_snapshot(),
      dbcheck_add_relation(text, text, text, text, text) TO dbc_no_usage;
CREATE TABLE public.dbc_no_usage_results (call text, sqlstate text, message text, hint text);
GRANT INSERT ON public.dbc_no_usage_results TO dbc_no_usage;
SET LOCAL ROLE dbc_no_usage;
DO $$
DECLARE
  c text;
  st text;
  msg text;
  hnt text;
BEGIN
  FOREACH c IN ARRAY ARRAY['dbcare_set(''migrate.out_of_order'', ''allow'')', 'dbhealth_snapshot()',
                           'dbcheck_add_relation(''r'', ''dbc_child'', ''x'', ''dbc_parent'', ''y'')'] LOOP
    BEGIN
      EXECUTE 'SELECT ' || c;
      st := '00000';
      msg := 'succeeded';
    EXCEPTION WHEN OTHERS THEN
      GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, hnt = PG_EXCEPTION_HINT;
    END;
    INSERT INTO public.dbc_no_usage_results VALUES (c, st, msg, hnt);
  END LOOP;
END
$$;
RESET ROLE;
SELECT is(array_agg(DISTINCT sqlstate || ' ' || message), ARRAY['42501 dbcare: permission denied for schema dbcare'],
          'no USAGE on schema dbcare: 42501 with the dbcare: prefix')
  FROM public.dbc_no_usage_results;
SELECT ok(bool_and(hint LIKE 'GRANT USAGE ON SCHEMA dbcare TO dbc_no_usage;%'),
          'the hint names the missing GRANT')
  FROM public.dbc_no_usage_results;

-- A read-only transaction: every changing function, with NULL arguments and
-- with harmless ones, fails with 25006 and a dbcare: message.
-- (a temporary table can be written in a read-only transaction)
CREATE TEMPORARY TABLE dbc_read_only_results (signature text, args text, kind text, sqlstate text, message text);
SAVEPOINT read_only;
SET LOCAL transaction_read_only = on;
DO $$
DECLARE
  f record;
  st text;
  msg text;
BEGIN
  FOR f IN SELECT c.signature, c.fn, c.verb, k.kind, CASE k.kind WHEN 'NULL' THEN c.null_args ELSE c.harmless_args END AS args
             FROM public.dbc_changing c CROSS JOIN (VALUES ('NULL'), ('harmless')) AS k(kind) LOOP
    BEGIN
      EXECUTE format('%s %s(%s)', f.verb, f.fn, f.args);
      st := '00000';
      msg := 'succeeded';
    EXCEPTION WHEN OTHERS THEN
      GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT;
    END;
    INSERT INTO pg_temp.dbc_read_only_results VALUES (f.signature, f.args, f.kind, st, msg);
  END LOOP;
END
$$;
RELEASE SAVEPOINT read_only;
SELECT is(sqlstate || ' ' || left(message, 8), '25006 dbcare: ',
          'read-only transaction: ' || signature || ' with ' || kind || ' arguments')
  FROM pg_temp.dbc_read_only_results ORDER BY signature, kind;

-- Nothing was written, and the session goes on.
SELECT is((SELECT count(*)::int FROM dbcare.config) + (SELECT count(*)::int FROM dbcare.relations)
          + (SELECT count(*)::int FROM dbcare.health_snapshots), 0, 'the refused calls changed nothing');

SELECT * FROM finish();
ROLLBACK;
