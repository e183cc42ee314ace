-- domain_checks: a domain CHECK added NOT VALID constrains every column of
-- that domain (and of domains over it). dbcheck_constraints() counts, per
-- (column, domain constraint), the rows whose value breaks it, NULLs not
-- being violations, as ALTER DOMAIN ... VALIDATE CONSTRAINT judges.
-- The domain's expression is its owner's code: it runs with the domain
-- owner's rights, never the caller's nor a (superuser) table owner's.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
BEGIN;
CREATE EXTENSION IF NOT EXISTS dbcare;
RESET client_min_messages;

SELECT plan(19);

CREATE SCHEMA tap_dom;
CREATE DOMAIN tap_dom.posint AS int CHECK (VALUE > 0);
CREATE DOMAIN tap_dom.smallpos AS tap_dom.posint;  -- a domain over the domain
CREATE TABLE tap_dom.a (id int PRIMARY KEY, n tap_dom.posint, m tap_dom.smallpos);
CREATE TABLE tap_dom.b (id int PRIMARY KEY, n tap_dom.posint);
INSERT INTO tap_dom.a VALUES (1, 5, 5), (2, 150, 7), (3, 100, 200), (4, NULL, NULL), (5, 99, 300);
INSERT INTO tap_dom.b VALUES (1, 1000), (2, 2), (3, NULL);
ALTER DOMAIN tap_dom.posint ADD CONSTRAINT posint_below_100 CHECK (VALUE < 100) NOT VALID;

CREATE TEMP TABLE checks AS
  SELECT * FROM dbcheck_constraints() WHERE table_name LIKE 'tap_dom.%';

SELECT is((SELECT count(*) FROM checks WHERE constraint_name = 'posint_below_100'), 3::bigint,
          'one row per column of the domain (and of a domain over it)');
SELECT is((SELECT array_agg(violations ORDER BY violations) FROM checks
            WHERE constraint_name = 'posint_below_100' AND table_name = 'tap_dom.a'),
          ARRAY[2, 2]::bigint[], 'table a: two violations in n, two in m (domain over domain)');
SELECT is((SELECT sample FROM checks
            WHERE constraint_name = 'posint_below_100' AND table_name = 'tap_dom.b'),
          '[1]'::jsonb, 'table b: the violating row is named, NULL is no violation');
SELECT is((SELECT violations FROM checks
            WHERE constraint_name = 'posint_below_100' AND table_name = 'tap_dom.b'),
          1::bigint, 'table b: one violation');
SELECT is((SELECT DISTINCT kind FROM checks WHERE constraint_name = 'posint_below_100'), 'check',
          'domain constraints are rows of kind check');
SELECT is((SELECT count(*) FROM checks WHERE constraint_name LIKE 'posint_check%'), 0::bigint,
          'a validated domain constraint is not scanned');
SELECT is((SELECT sum(violations) FROM dbcheck_constraints('tap_dom.b')
            WHERE constraint_name = 'posint_below_100'), 1::numeric,
          'dbcheck_constraints(table) checks it too');
-- the same count PostgreSQL's own validation would refuse on
UPDATE tap_dom.a SET n = 1 WHERE n >= 100;
UPDATE tap_dom.a SET m = 1 WHERE m >= 100;
UPDATE tap_dom.b SET n = 1 WHERE n >= 100;
SELECT is((SELECT sum(violations) FROM dbcheck_constraints()
            WHERE constraint_name = 'posint_below_100'), 0::numeric,
          'after repairing the rows: no violation');
SELECT lives_ok($$ALTER DOMAIN tap_dom.posint VALIDATE CONSTRAINT posint_below_100$$,
                'and PostgreSQL validates the constraint');

-- An attacker's domain, used by a superuser's table: its check function
-- escalates whenever it runs with a superuser's rights.
CREATE ROLE tap_dom_attacker;
CREATE SCHEMA tap_dom_attacker AUTHORIZATION tap_dom_attacker;
SET ROLE tap_dom_attacker;
CREATE SEQUENCE tap_dom_attacker.calls;
CREATE SEQUENCE tap_dom_attacker.super_calls;
GRANT USAGE ON SCHEMA tap_dom_attacker TO PUBLIC;
GRANT USAGE, SELECT, UPDATE ON SEQUENCE tap_dom_attacker.calls, tap_dom_attacker.super_calls
  TO PUBLIC;
CREATE FUNCTION tap_dom_attacker.small(x int) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  PERFORM nextval('tap_dom_attacker.calls');
  IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
    PERFORM nextval('tap_dom_attacker.super_calls');
    ALTER ROLE tap_dom_attacker SUPERUSER;
  END IF;
  RETURN x < 10;
END $$;
CREATE DOMAIN tap_dom_attacker.code AS int;
GRANT USAGE ON DOMAIN tap_dom_attacker.code TO PUBLIC;
RESET ROLE;
CREATE TABLE tap_dom.victim (id int PRIMARY KEY, c tap_dom_attacker.code);
INSERT INTO tap_dom.victim VALUES (1, 1), (2, 50), (3, 70);
SET ROLE tap_dom_attacker;
ALTER DOMAIN tap_dom_attacker.code ADD CONSTRAINT code_small
  CHECK (tap_dom_attacker.small(VALUE)) NOT VALID;
RESET ROLE;
SELECT setval('tap_dom_attacker.calls', 1, false), setval('tap_dom_attacker.super_calls', 1, false);

CREATE TEMP TABLE hostile AS SELECT * FROM dbcheck_constraints('tap_dom.victim');
CREATE TEMP TABLE report_full AS SELECT dbhealth_report('full') AS r;
SELECT ok((SELECT is_called FROM tap_dom_attacker.calls), 'the domain''s check function did run');
SELECT ok(NOT (SELECT is_called FROM tap_dom_attacker.super_calls),
          'it never ran with superuser rights');
SELECT ok(NOT (SELECT rolsuper FROM pg_roles WHERE rolname = 'tap_dom_attacker'),
          'the attacker is not superuser after the checks');
SELECT is((SELECT violations FROM hostile WHERE constraint_name = 'code_small'), 2::bigint,
          'the attacker''s domain constraint: its violations are found');
SELECT is((SELECT (c->>'value')::int FROM report_full, jsonb_array_elements(r->'checks') AS c
            WHERE c->>'name' = 'constraint_violations'), 1,
          'dbhealth_report(''full''): the violated domain constraint is counted');
SELECT throws_ok($$SELECT dbcheck_domain_value_holds(50, (SELECT oid FROM pg_constraint
                                                       WHERE conname = 'code_small'))$$,
                 '42501', NULL, 'the evaluator refuses to run outside a check');
-- Nor inside a check for a domain no column of the checked table uses: a
-- table's CHECK cannot borrow another domain's owner.
CREATE TABLE tap_dom.borrower (id int PRIMARY KEY, x int);
INSERT INTO tap_dom.borrower VALUES (1, 50);
DO $$ BEGIN
  EXECUTE format('ALTER TABLE tap_dom.borrower ADD CONSTRAINT borrow CHECK '
                 '(dbcheck_domain_value_holds(x, %s::oid)) NOT VALID',
                 (SELECT oid FROM pg_constraint WHERE conname = 'code_small'));
END $$;
SELECT matches((SELECT sample->>'not_checked' FROM dbcheck_constraints('tap_dom.borrower')
                 WHERE constraint_name = 'borrow'),
               'no NOT VALID domain CHECK of the checked table',
               'the evaluator refuses a domain the checked table does not use');
-- Nor a value of another type than the domain's base type (the compiled
-- expression would read a text datum as an int), nor a validated
-- constraint, even from a table that uses the domain.
CREATE TABLE tap_dom.typer (id int PRIMARY KEY, c tap_dom_attacker.code, t text, p tap_dom.posint);
INSERT INTO tap_dom.typer VALUES (1, 5, 'x', 1);
DO $$ BEGIN
  EXECUTE format('ALTER TABLE tap_dom.typer ADD CONSTRAINT wrong_type CHECK '
                 '(dbcheck_domain_value_holds(t, %s::oid)) NOT VALID',
                 (SELECT oid FROM pg_constraint WHERE conname = 'code_small'));
  EXECUTE format('ALTER TABLE tap_dom.typer ADD CONSTRAINT validated CHECK '
                 '(dbcheck_domain_value_holds(id, %s::oid)) NOT VALID',
                 (SELECT min(oid) FROM pg_constraint WHERE contypid = 'tap_dom.posint'::regtype
                   AND convalidated));
END $$;
SELECT matches((SELECT sample->>'not_checked' FROM dbcheck_constraints('tap_dom.typer')
                 WHERE constraint_name = 'wrong_type'),
               'for a value of this type',
               'the evaluator refuses a value that is not of the domain''s base type');
SELECT matches((SELECT sample->>'not_checked' FROM dbcheck_constraints('tap_dom.typer')
                 WHERE constraint_name = 'validated'),
               'no NOT VALID domain CHECK',
               'the evaluator refuses a validated domain constraint');
SELECT is(current_user::text, 'postgres', 'current_user is the caller again');

SELECT * FROM finish();
ROLLBACK;
