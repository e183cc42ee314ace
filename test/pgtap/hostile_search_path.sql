-- hostile_search_path: a role with CREATE on public plants functions,
-- aggregates, operators and views there that shadow what dbcare uses (every
-- one of them counts its calls in a sequence, which no rollback undoes, and
-- answers wrongly). The superuser then calls every dbcare function under
-- search_path "public, pg_catalog" and under the default path: the results
-- equal those computed before the planting and no planted object ran. This
-- includes the runners that keep the caller's search_path
-- (dbmigrate_apply, dbmigrate_rollback, dbmigrate_verify).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
BEGIN;
CREATE EXTENSION IF NOT EXISTS dbcare;
RESET client_min_messages;

SELECT plan(14);

-- Only the runners of migration SQL (and the generator, which applies the
-- desired schema's SQL as written) may keep the caller's search_path; the procedure
-- dbretain_run runs its statements under the path the host pins (a SET
-- clause would keep it from committing; test/script/pg_retain_concurrency.sh
-- runs it under a hostile path), and so do the JSON validators, which a
-- CHECK calls once a row (DBC_API_HOST_PATH: they resolve no name; their
-- only statements, the registry's, are pinned by the host), and the audit
-- trigger, called once per audited statement (or row): it resolves no name
-- and pins the path around the statements it runs (the audited writes below
-- run it under the hostile path).
SELECT is(array_agg(p.oid::regprocedure::text ORDER BY p.oid::regprocedure::text)
            FILTER (WHERE p.proname NOT IN ('dbjson_valid', 'dbjson_assert', 'dbjson_errors',
                                            'dbjson_schema_valid', 'audit_trigger')),
          ARRAY['dbmigrate_apply(text)', 'dbmigrate_apply(text,boolean)',
                'dbmigrate_generate(text,jsonb)',
                'dbmigrate_rollback(text)', 'dbmigrate_run(text)',
                'dbmigrate_trace(text)', 'dbmigrate_verify(text)', 'dbretain_run(text)'],
          'every other dbcare function pins its search_path')
  FROM pg_proc p
  JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
  JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'dbcare'
 WHERE p.proconfig IS NULL OR NOT 'search_path=pg_catalog, pg_temp' = ANY (p.proconfig);

-- The user's objects live in schema app, so everything in public is planted.
CREATE SCHEMA app;
CREATE TABLE app.parent (id int PRIMARY KEY, label text);
CREATE TABLE app.child (id int PRIMARY KEY, parent_id int, note varchar(20) CHECK (note <> 'bad'));
INSERT INTO app.parent VALUES (1, 'one'), (2, 'two');
INSERT INTO app.child VALUES (1, 1, 'ok'), (2, 3, 'orphan'), (3, 4, 'orphan');
CREATE VIEW app.v AS SELECT id, lower(label) AS l FROM app.parent;
SELECT ok(dbmigrate_add('1', 'first', 'CREATE TABLE app.one (a int)', 'DROP TABLE app.one') IS NOT NULL, 'migration 1');
SELECT ok(dbmigrate_add('2', 'second', 'CREATE TABLE app.two (a text); INSERT INTO app.two VALUES (''x'')',
                        'DROP TABLE app.two') IS NOT NULL, 'migration 2');
SELECT is(dbmigrate_apply('1'), 1, 'migration 1 applied');
CREATE TABLE app.drift (a int);  -- drift before the planting too, so the planted objects add none of their own
SELECT ok(dbcheck_add_relation('child_parent', 'app.child', 'parent_id', 'app.parent', 'id') IS NOT NULL, 'a relation');
-- Audited tables: a statement trigger's, a hash-chained one's (its head is
-- read and moved by SQL) and a partitioned table's row-level trigger.
CREATE TABLE app.ledger (k int PRIMARY KEY, label text, n numeric);
CREATE TABLE app.chained (k int PRIMARY KEY, label text);
CREATE TABLE app.parted (k int PRIMARY KEY, label text) PARTITION BY RANGE (k);
CREATE TABLE app.parted_all PARTITION OF app.parted DEFAULT;
INSERT INTO app.ledger VALUES (1, 'kept', 1.5);
SELECT dbaudit_enable('app.ledger') IS NOT NULL AND dbaudit_enable('app.parted') IS NOT NULL
       AND dbcare_set('audit.hash_chain', 'on') IS NOT NULL AND dbaudit_enable('app.chained') IS NOT NULL
       AND dbcare_set('audit.hash_chain', 'off') IS NOT NULL AS audited \gset

-- Every dbcare function, each result stored whole as jsonb. Nothing in here
-- but dbcare calls and pg_catalog-qualified functions, so the path the
-- caller set reaches dbcare only.
CREATE TEMP TABLE r (k text, v jsonb);
CREATE FUNCTION pg_temp.capture() RETURNS void LANGUAGE plpgsql AS $f$
DECLARE
  s0 jsonb;
  ck text;
BEGIN
  DELETE FROM pg_temp.r;
  s0 := dbschema_snapshot();
  INSERT INTO pg_temp.r VALUES ('version', pg_catalog.to_jsonb(dbcare_version()));
  INSERT INTO pg_temp.r VALUES ('get', pg_catalog.to_jsonb(dbcare_get('migrate.out_of_order')));
  INSERT INTO pg_temp.r SELECT 'settings', pg_catalog.jsonb_agg(pg_catalog.to_jsonb(s)) FROM dbcare_settings() s;
  INSERT INTO pg_temp.r VALUES ('snapshot0', s0);
  INSERT INTO pg_temp.r VALUES ('fingerprint0', pg_catalog.to_jsonb(dbschema_fingerprint()));
  INSERT INTO pg_temp.r SELECT 'status0', pg_catalog.jsonb_agg(pg_catalog.to_jsonb(s)) FROM dbmigrate_status() s;
  INSERT INTO pg_temp.r SELECT 'plan0', pg_catalog.jsonb_agg(pg_catalog.to_jsonb(s)) FROM dbmigrate_plan() s;
  INSERT INTO pg_temp.r SELECT 'validate0', pg_catalog.jsonb_agg(pg_catalog.to_jsonb(s)) FROM dbmigrate_validate() s;
  INSERT INTO pg_temp.r VALUES ('current0', pg_catalog.to_jsonb(dbmigrate_current()));
  INSERT INTO pg_temp.r VALUES ('assert0', pg_catalog.to_jsonb(dbmigrate_assert('1')));
  INSERT INTO pg_temp.r VALUES ('script0', pg_catalog.to_jsonb(dbmigrate_script()));
  INSERT INTO pg_temp.r SELECT 'constraints', pg_catalog.jsonb_agg(pg_catalog.to_jsonb(s)) FROM dbcheck_constraints() s;
  INSERT INTO pg_temp.r SELECT 'constraints_child', pg_catalog.jsonb_agg(pg_catalog.to_jsonb(s)) FROM dbcheck_constraints('app.child') s;
  INSERT INTO pg_temp.r SELECT 'relations', pg_catalog.jsonb_agg(pg_catalog.to_jsonb(s)) FROM dbcheck_relations() s;
  INSERT INTO pg_temp.r SELECT 'orphans', pg_catalog.jsonb_agg(pg_catalog.to_jsonb(s)) FROM dbcheck_orphans() s;
  INSERT INTO pg_temp.r SELECT 'checks', pg_catalog.jsonb_agg(pg_catalog.jsonb_build_array(s.name, s.status)) FROM dbhealth_checks('quick') s;
  INSERT INTO pg_temp.r VALUES ('score', pg_catalog.to_jsonb(dbhealth_score('quick')));
  INSERT INTO pg_temp.r VALUES ('report', pg_catalog.to_jsonb(dbhealth_report('quick') IS NOT NULL));
  INSERT INTO pg_temp.r VALUES ('metrics', pg_catalog.to_jsonb(dbhealth_metrics('quick') IS NOT NULL));
  INSERT INTO pg_temp.r VALUES ('growth', pg_catalog.to_jsonb(dbhealth_growth(30) IS NOT NULL));
  -- changing calls
  INSERT INTO pg_temp.r VALUES ('set', pg_catalog.to_jsonb(dbcare_set('migrate.out_of_order', 'allow')));
  INSERT INTO pg_temp.r VALUES ('add3', pg_catalog.to_jsonb(dbmigrate_add('3', 'third', 'CREATE TABLE app.three (a int)', 'DROP TABLE app.three')));
  ck := dbmigrate_add_repeatable('views', 'CREATE OR REPLACE VIEW app.rv AS SELECT 1 AS x');
  INSERT INTO pg_temp.r VALUES ('add_rep', pg_catalog.to_jsonb(ck));
  INSERT INTO pg_temp.r SELECT 'verify', pg_catalog.jsonb_agg(pg_catalog.to_jsonb(s)) FROM dbmigrate_verify() s;
  INSERT INTO pg_temp.r VALUES ('apply', pg_catalog.to_jsonb(dbmigrate_apply()));
  INSERT INTO pg_temp.r VALUES ('rollback', pg_catalog.to_jsonb(dbmigrate_rollback('2')));
  INSERT INTO pg_temp.r VALUES ('current1', pg_catalog.to_jsonb(dbmigrate_current()));
  INSERT INTO pg_temp.r VALUES ('apply2', pg_catalog.to_jsonb(dbmigrate_apply()));
  INSERT INTO pg_temp.r VALUES ('repair', pg_catalog.to_jsonb(dbmigrate_repair()));
  ck := dbmigrate_add_repeatable('views', 'CREATE OR REPLACE VIEW app.rv AS SELECT 2 AS x');
  INSERT INTO pg_temp.r VALUES ('step_begin', pg_catalog.to_jsonb(dbmigrate_step_begin('repeatable', 'views', ck)));
  INSERT INTO pg_temp.r VALUES ('step_end', pg_catalog.to_jsonb(dbmigrate_step_end('repeatable', 'views')));
  INSERT INTO pg_temp.r SELECT 'status1', pg_catalog.jsonb_agg(pg_catalog.to_jsonb(s)) FROM dbmigrate_status() s;
  INSERT INTO pg_temp.r SELECT 'history', pg_catalog.jsonb_agg(pg_catalog.to_jsonb(s)) FROM dbmigrate_history() s;
  INSERT INTO pg_temp.r VALUES ('snapshot1', dbschema_snapshot());
  INSERT INTO pg_temp.r VALUES ('fingerprint1', pg_catalog.to_jsonb(dbschema_fingerprint()));
  INSERT INTO pg_temp.r SELECT 'diff', pg_catalog.jsonb_agg(pg_catalog.to_jsonb(s)) FROM dbschema_diff(s0, dbschema_snapshot()) s;
  INSERT INTO pg_temp.r VALUES ('hsnap', pg_catalog.to_jsonb(dbhealth_snapshot() IS NOT NULL));
  INSERT INTO pg_temp.r VALUES ('add_rel', pg_catalog.to_jsonb(dbcheck_add_relation('child_parent2', 'app.child', 'parent_id', 'app.parent', 'id')));
  INSERT INTO pg_temp.r VALUES ('drop_rel', pg_catalog.to_jsonb(dbcheck_drop_relation('child_parent2')));
  INSERT INTO pg_temp.r VALUES ('cleanup_dry', pg_catalog.to_jsonb(dbcheck_cleanup_orphans(true)));
  INSERT INTO pg_temp.r VALUES ('cleanup', pg_catalog.to_jsonb(dbcheck_cleanup_orphans(false)));
  INSERT INTO pg_temp.r SELECT 'children', pg_catalog.jsonb_agg(pg_catalog.to_jsonb(c)) FROM app.child c;
  -- audited writes (the operators qualified: only the trigger's own
  -- lookups meet the caller's path), and the entries they wrote
  INSERT INTO app.ledger VALUES (2, 'two', 2.25), (3, 'three', 3);
  UPDATE app.ledger SET label = label OPERATOR(pg_catalog.||) '!' WHERE k OPERATOR(pg_catalog.=) 2;
  DELETE FROM app.ledger WHERE k OPERATOR(pg_catalog.=) 1;
  INSERT INTO app.chained VALUES (1, 'one');
  INSERT INTO app.chained VALUES (2, 'two');
  UPDATE app.chained SET label = 'uno' WHERE k OPERATOR(pg_catalog.=) 1;
  DELETE FROM app.chained WHERE k OPERATOR(pg_catalog.=) 2;
  INSERT INTO app.parted VALUES (1, 'one'), (2, 'two');
  UPDATE app.parted SET label = 'dos' WHERE k OPERATOR(pg_catalog.=) 2;
  DELETE FROM app.parted WHERE k OPERATOR(pg_catalog.=) 1;
  INSERT INTO pg_temp.r SELECT 'audit_log', pg_catalog.jsonb_agg(pg_catalog.jsonb_build_array(
           l.operation, l.table_name, l.key, l.old_values, l.new_values, l.db_user, l.actor,
           l.hash IS NOT NULL, l.prev_hash IS NOT NULL) ORDER BY l.id)
    FROM dbcare.audit_log l;
  INSERT INTO pg_temp.r SELECT 'audit_verify', pg_catalog.jsonb_agg(pg_catalog.to_jsonb(s)) FROM dbaudit_verify() s;
END $f$;

-- Fields that legitimately differ between runs, and what was planted.
CREATE FUNCTION pg_temp.stable(j jsonb) RETURNS jsonb LANGUAGE sql AS $$
  SELECT CASE WHEN jsonb_typeof(j) = 'array'
              THEN (SELECT coalesce(jsonb_agg(pg_temp.stable(e) ORDER BY n), '[]')
                      FROM jsonb_array_elements(j) WITH ORDINALITY AS a(e, n)
                     WHERE coalesce(e->>'name', e->>'object_name', '') NOT LIKE 'public.%')
              WHEN jsonb_typeof(j) = 'object'
              THEN (SELECT coalesce(jsonb_object_agg(key, sv), '{}')
                      FROM jsonb_each(j), LATERAL pg_temp.stable(value) AS sv
                     WHERE sv <> '{}'  -- a category that held only planted objects
                       AND key NOT IN ('id', 'applied_at', 'duration_ms', 'started_ms', 'registered_at',
                                       'fingerprint', 'snapshot', 'fingerprint0', 'fingerprint1')
                       AND key NOT LIKE 'public.%')
              ELSE j END $$;
CREATE FUNCTION pg_temp.digest() RETURNS jsonb LANGUAGE sql AS $$
  SELECT pg_temp.stable(jsonb_object_agg(k, v)) FROM pg_temp.r $$;

SAVEPOINT clean;
SELECT pg_temp.capture();
SELECT pg_temp.digest() AS before_digest \gset
ROLLBACK TO SAVEPOINT clean;

-- The attacker: an ordinary role that may create in public.
CREATE ROLE dbc_sp_attacker NOLOGIN;
GRANT USAGE, CREATE ON SCHEMA public TO dbc_sp_attacker;
SET LOCAL ROLE dbc_sp_attacker;
-- (the planting itself would be caught by what it plants without this)
SET search_path = pg_catalog;
CREATE SEQUENCE public.attack_calls;
CREATE FUNCTION public.attack_hit() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN PERFORM pg_catalog.nextval('public.attack_calls'); RETURN false; END $$;
DO $plant$
DECLARE
  f text;
  o record;
BEGIN
  -- functions: exact signatures of pg_catalog's, and overloads that match
  -- better than its variadic or polymorphic ones
  FOREACH f IN ARRAY ARRAY[
    'lower(text) RETURNS text', 'upper(text) RETURNS text', 'length(text) RETURNS integer',
    'length(character varying) RETURNS integer', 'btrim(text) RETURNS text',
    'replace(text, text, text) RETURNS text', 'substr(text, integer) RETURNS text',
    'substr(text, integer, integer) RETURNS text', '"left"(text, integer) RETURNS text',
    'split_part(text, text, integer) RETURNS text', 'strpos(text, text) RETURNS integer',
    'concat(text, text) RETURNS text', 'concat_ws(text, text, text) RETURNS text',
    'format(text) RETURNS text', 'format(text, text) RETURNS text',
    'format(text, text, text) RETURNS text', 'format(text, name, name) RETURNS text',
    'quote_ident(text) RETURNS text', 'quote_literal(text) RETURNS text', 'md5(text) RETURNS text',
    'to_jsonb(text) RETURNS jsonb', 'to_json(text) RETURNS json',
    'jsonb_build_object(text, text) RETURNS jsonb', 'jsonb_build_object(text, jsonb) RETURNS jsonb',
    'jsonb_build_array(text) RETURNS jsonb', 'json_build_object(text, text) RETURNS json',
    'array_to_string(text[], text) RETURNS text',
    'now() RETURNS timestamptz', 'clock_timestamp() RETURNS timestamptz',
    'current_setting(text) RETURNS text', 'set_config(text, text, boolean) RETURNS text',
    'pg_advisory_xact_lock(bigint) RETURNS void', 'pg_try_advisory_xact_lock(bigint) RETURNS boolean',
    'to_regclass(text) RETURNS regclass', 'pg_get_viewdef(oid) RETURNS text',
    'pg_get_viewdef(oid, boolean) RETURNS text', 'pg_get_indexdef(oid) RETURNS text',
    'pg_get_constraintdef(oid) RETURNS text', 'pg_get_constraintdef(oid, boolean) RETURNS text',
    'pg_get_functiondef(oid) RETURNS text', 'pg_get_triggerdef(oid) RETURNS text',
    'pg_get_expr(pg_node_tree, oid) RETURNS text', 'format_type(oid, integer) RETURNS text',
    'pg_relation_size(regclass) RETURNS bigint', 'pg_total_relation_size(regclass) RETURNS bigint',
    'pg_table_size(regclass) RETURNS bigint', 'pg_database_size(name) RETURNS bigint',
    'has_table_privilege(text, text) RETURNS boolean', 'has_schema_privilege(text, text) RETURNS boolean',
    'pg_is_in_recovery() RETURNS boolean', 'version() RETURNS text', 'current_database() RETURNS name']
  LOOP
    EXECUTE format('CREATE FUNCTION public.%s LANGUAGE plpgsql AS %L', f,
                   CASE WHEN f LIKE '%RETURNS void' THEN 'BEGIN PERFORM public.attack_hit(); END'
                        ELSE 'BEGIN PERFORM public.attack_hit(); RETURN NULL; END' END);
  END LOOP;
  -- operators
  FOR o IN SELECT * FROM (VALUES
      ('=', 'text', 'text'), ('<>', 'text', 'text'), ('<', 'text', 'text'), ('>', 'text', 'text'),
      ('~~', 'text', 'text'), ('=', 'bigint', 'bigint'), ('=', 'integer', 'integer'),
      ('=', 'oid', 'oid'), ('<>', 'oid', 'oid'), ('=', 'name', 'name'), ('=', 'name', 'text'),
      ('=', '"char"', '"char"'), ('=', 'boolean', 'boolean'), ('>', 'bigint', 'bigint'),
      ('=', 'jsonb', 'jsonb')) AS v(op, l, rt)
  LOOP
    EXECUTE format('CREATE FUNCTION public.attack_op_%s(%s, %s) RETURNS boolean LANGUAGE plpgsql AS %L',
                   md5(o.op || o.l || o.rt), o.l, o.rt, 'BEGIN RETURN public.attack_hit(); END');
    EXECUTE format('CREATE OPERATOR public.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = public.attack_op_%s)',
                   o.op, o.l, o.rt, md5(o.op || o.l || o.rt));
  END LOOP;
  FOR o IN SELECT * FROM (VALUES ('||', 'text', 'text', 'text'), ('+', 'bigint', 'integer', 'bigint'),
      ('-', 'jsonb', 'text', 'jsonb'), ('->>', 'jsonb', 'text', 'text')) AS v(op, l, rt, res)
  LOOP
    EXECUTE format('CREATE FUNCTION public.attack_op_%s(%s, %s) RETURNS %s LANGUAGE plpgsql AS %L',
                   md5(o.op || o.l || o.rt), o.l, o.rt, o.res,
                   'BEGIN PERFORM public.attack_hit(); RETURN NULL; END');
    EXECUTE format('CREATE OPERATOR public.%s (LEFTARG = %s, RIGHTARG = %s, FUNCTION = public.attack_op_%s)',
                   o.op, o.l, o.rt, md5(o.op || o.l || o.rt));
  END LOOP;
  -- views named like dbcare's bookkeeping and like the catalogues it reads;
  -- the hit hides every row
  FOREACH f IN ARRAY ARRAY['pg_class', 'pg_namespace', 'pg_attribute', 'pg_index', 'pg_constraint',
      'pg_proc', 'pg_type', 'pg_settings', 'pg_stat_user_tables', 'pg_stat_all_tables',
      'pg_statio_user_tables', 'pg_stat_user_indexes', 'pg_stat_activity', 'pg_database',
      'pg_extension', 'pg_depend', 'pg_locks', 'pg_roles', 'pg_stat_database', 'pg_sequences',
      'pg_views', 'pg_tables', 'pg_indexes', 'pg_trigger', 'pg_description', 'pg_inherits',
      'pg_attrdef', 'pg_available_extensions', 'pg_authid', 'pg_am', 'pg_opclass']
  LOOP
    BEGIN
      -- every column but those of a pseudo-type (a view cannot have them)
      EXECUTE format('CREATE VIEW public.%I AS SELECT %s FROM pg_catalog.%I WHERE public.attack_hit()', f,
                     (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
                        FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
                       WHERE a.attrelid = ('pg_catalog.' || f)::regclass AND a.attnum > 0
                         AND NOT a.attisdropped AND t.typtype <> 'p'), f);
    EXCEPTION WHEN insufficient_privilege THEN NULL;  -- pg_authid is not readable by the attacker
    END;
  END LOOP;
  FOREACH f IN ARRAY ARRAY['migrations', 'migrations_applied', 'migrations_history', 'migrations_lock',
      'config', 'health_snapshots', 'relations', 'settings']
  LOOP
    EXECUTE format('CREATE VIEW public.%I AS SELECT 1::bigint AS id, 1 AS generation, ''x''::text AS kind, '
                   '''1''::text AS version, ''x''::text AS name, ''x''::text AS key, ''x''::text AS value '
                   'WHERE public.attack_hit()', f);
  END LOOP;
END $plant$;
-- aggregates
CREATE FUNCTION public.attack_sf0(bigint) RETURNS bigint LANGUAGE plpgsql AS $$BEGIN PERFORM public.attack_hit(); RETURN NULL; END$$;
CREATE FUNCTION public.attack_sf1(bigint, anyelement) RETURNS bigint LANGUAGE plpgsql AS $$BEGIN PERFORM public.attack_hit(); RETURN NULL; END$$;
CREATE FUNCTION public.attack_sft(text, text, text) RETURNS text LANGUAGE plpgsql AS $$BEGIN PERFORM public.attack_hit(); RETURN NULL; END$$;
CREATE FUNCTION public.attack_sfa(text[], text) RETURNS text[] LANGUAGE plpgsql AS $$BEGIN PERFORM public.attack_hit(); RETURN NULL; END$$;
CREATE FUNCTION public.attack_sfj(jsonb, text) RETURNS jsonb LANGUAGE plpgsql AS $$BEGIN PERFORM public.attack_hit(); RETURN NULL; END$$;
CREATE FUNCTION public.attack_sfb(boolean, boolean) RETURNS boolean LANGUAGE plpgsql AS $$BEGIN PERFORM public.attack_hit(); RETURN NULL; END$$;
CREATE AGGREGATE public.count(*) (SFUNC = public.attack_sf0, STYPE = bigint);
CREATE AGGREGATE public.count(text) (SFUNC = public.attack_sf1, STYPE = bigint);
CREATE AGGREGATE public.count(bigint) (SFUNC = public.attack_sf1, STYPE = bigint);
CREATE AGGREGATE public.max(bigint) (SFUNC = public.attack_sf1, STYPE = bigint);
CREATE AGGREGATE public.min(bigint) (SFUNC = public.attack_sf1, STYPE = bigint);
CREATE AGGREGATE public.sum(bigint) (SFUNC = public.attack_sf1, STYPE = bigint);
CREATE AGGREGATE public.sum(integer) (SFUNC = public.attack_sf1, STYPE = bigint);
CREATE AGGREGATE public.string_agg(text, text) (SFUNC = public.attack_sft, STYPE = text);
CREATE AGGREGATE public.array_agg(text) (SFUNC = public.attack_sfa, STYPE = text[]);
CREATE AGGREGATE public.jsonb_agg(text) (SFUNC = public.attack_sfj, STYPE = jsonb);
CREATE AGGREGATE public.bool_and(boolean) (SFUNC = public.attack_sfb, STYPE = boolean);
RESET ROLE;
RESET search_path;
SELECT cmp_ok((SELECT count(*)::int FROM pg_proc WHERE pronamespace = 'public'::regnamespace
                  AND proowner = 'dbc_sp_attacker'::regrole), '>', 80, 'the attacker planted its functions');

SAVEPOINT planted;
SET search_path = public, pg_catalog;
SELECT pg_temp.capture();
RESET search_path;
SELECT pg_temp.digest() AS hostile_digest,
       (SELECT v->>0 FROM pg_temp.r WHERE k = 'fingerprint1') AS hostile_fp,
       (SELECT e->>'fingerprint' FROM pg_temp.r, jsonb_array_elements(v) e
         WHERE k = 'history' AND e->>'fingerprint' IS NOT NULL ORDER BY (e->>'id')::bigint DESC LIMIT 1) AS hostile_history_fp,
       dbschema_fingerprint() AS clean_fp,
       current_setting('search_path') AS path_after \gset
ROLLBACK TO SAVEPOINT planted;
SELECT pg_temp.capture();
SELECT pg_temp.digest() AS default_digest \gset
ROLLBACK TO SAVEPOINT planted;
SELECT pg_catalog.nextval('public.attack_calls') AS calls \gset

-- Positive control: the same path does reach the planted objects for plain SQL.
SET search_path = public, pg_catalog;
CREATE TEMP TABLE control AS SELECT lower('A') AS l, 'a' = 'a' AS e, (SELECT count(*) FROM pg_class) AS n;
RESET search_path;
SELECT pg_catalog.nextval('public.attack_calls') AS calls_after_control \gset

ROLLBACK TO SAVEPOINT clean;

SELECT is(:'calls'::int, 1, 'no planted function, aggregate, operator or view ran during any dbcare call');
SELECT cmp_ok(:'calls_after_control'::int, '>=', 5, 'the planted objects do capture plain SQL under that path');
SELECT is(:'path_after'::text, '"$user", public', 'the caller''s search_path is as it was');
SELECT ok((:'before_digest'::jsonb ->> 'apply')::int = 3 AND (:'before_digest'::jsonb ->> 'rollback')::int = 1
          AND pg_catalog.jsonb_array_length(:'before_digest'::jsonb -> 'audit_log') = 12,
          'the reference run applied, rolled back and logged its audited writes');
SELECT ok(:'hostile_digest'::jsonb = :'before_digest'::jsonb,
          'under search_path public, pg_catalog: every result as before the planting');
SELECT ok(:'default_digest'::jsonb = :'before_digest'::jsonb,
          'under the default search_path: every result as before the planting');
SELECT is(:'hostile_history_fp'::text, :'hostile_fp', 'the fingerprint apply recorded is the schema''s');
SELECT is(:'hostile_fp'::text, :'clean_fp', 'apply''s fingerprint equals the one read with a clean path');

-- What differs, should the comparison fail.
SELECT diag(w || ' ' || k || ': ' || left(coalesce(h.v::text, 'NULL'), 400) || ' <> ' || left(coalesce(b.v::text, 'NULL'), 400))
  FROM (VALUES ('hostile', :'hostile_digest'::jsonb), ('default', :'default_digest'::jsonb)) AS d(w, digest),
       LATERAL (SELECT k, b.v AS bv, h.v AS hv FROM jsonb_each(:'before_digest'::jsonb) b(k, v)
                  FULL JOIN jsonb_each(d.digest) h(k, v) USING (k)) x(k, b_v, h_v),
       LATERAL (SELECT x.b_v AS v) b, LATERAL (SELECT x.h_v AS v) h
 WHERE h.v IS DISTINCT FROM b.v;

SELECT * FROM finish();
ROLLBACK;
