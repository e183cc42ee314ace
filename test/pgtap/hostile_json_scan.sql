-- hostile_json_scan: dbcheck_json reads a table or view it is given, and so
-- runs what the relation's owner wrote there (a view's functions, a
-- policy's expression). A role without privileges plants a view whose
-- column calls its function, which makes it superuser when it runs with a
-- superuser's rights. The superuser scans the view with dbcheck_json: the
-- function runs as the view's owner (the scan still counts its rows),
-- never with the caller's rights, and the caller's identity is back after.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
BEGIN;
CREATE EXTENSION IF NOT EXISTS dbcare;
RESET client_min_messages;

SELECT plan(6);

CREATE ROLE tap_json_attacker;
CREATE SCHEMA tap_json_attacker AUTHORIZATION tap_json_attacker;
SET ROLE tap_json_attacker;
CREATE SEQUENCE tap_json_attacker.calls;
CREATE SEQUENCE tap_json_attacker.super_calls;
GRANT USAGE ON SCHEMA tap_json_attacker TO PUBLIC;
GRANT USAGE, SELECT, UPDATE ON SEQUENCE tap_json_attacker.calls, tap_json_attacker.super_calls
  TO PUBLIC;
CREATE FUNCTION tap_json_attacker.payload(i int) RETURNS jsonb LANGUAGE plpgsql AS $$
BEGIN
  PERFORM nextval('tap_json_attacker.calls');
  IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
    PERFORM nextval('tap_json_attacker.super_calls');
    ALTER ROLE tap_json_attacker SUPERUSER;
  END IF;
  RETURN jsonb_build_object('n', i);
END $$;
CREATE VIEW tap_json_attacker.docs AS
  SELECT tap_json_attacker.payload(g) AS doc FROM generate_series(-1, 2) g;
RESET ROLE;

SELECT is((SELECT violations FROM dbcheck_json('tap_json_attacker.docs', 'doc',
                                                '{"properties": {"n": {"minimum": 0}}}')),
          1::bigint, 'the scan counts the view''s rows: one below the minimum');
SELECT ok((SELECT is_called FROM tap_json_attacker.calls), 'the planted function ran');
SELECT ok(NOT (SELECT is_called FROM tap_json_attacker.super_calls),
          'it never ran with superuser rights');
SELECT ok(NOT (SELECT rolsuper FROM pg_roles WHERE rolname = 'tap_json_attacker'),
          'the attacker is still not superuser');
SELECT is(current_user::text, 'postgres', 'current_user is the caller again');
SELECT is(current_setting('search_path'), '"$user", public', 'search_path is the caller''s again');

SELECT * FROM finish();
ROLLBACK;
