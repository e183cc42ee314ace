-- hostile_owner_rights: a role without privileges plants code that makes
-- itself superuser when a superuser runs it, in the two places a constraint
-- check evaluates other people's code: (a) a CHECK calling its function,
-- (b) its IMPLICIT cast that a NOT VALID foreign key's comparison would pick
-- by cast resolution. The superuser runs dbcheck_constraints(),
-- dbcheck_orphans(), dbhealth_report() and dbhealth_report('full'). The
-- planted code runs (as its owner: the checks still find its violations),
-- never with the caller's rights, and the attacker stays what it was.
-- Sequences count the calls: nextval survives the rollback of a subtransaction.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
BEGIN;
CREATE EXTENSION IF NOT EXISTS dbcare;
RESET client_min_messages;

SELECT plan(26);

CREATE ROLE tap_attacker;
CREATE SCHEMA tap_attacker AUTHORIZATION tap_attacker;
-- the victim's table the attacker may reference but not read
CREATE SCHEMA tap_victim;
CREATE TABLE tap_victim.accounts (id int PRIMARY KEY);
INSERT INTO tap_victim.accounts VALUES (1), (2);
GRANT USAGE ON SCHEMA tap_victim TO tap_attacker;
GRANT REFERENCES ON tap_victim.accounts TO tap_attacker;
-- an ordinary table with real violations, owned by the superuser
CREATE TABLE tap_victim.orders (id int PRIMARY KEY, account_id int, qty int);
INSERT INTO tap_victim.orders VALUES (1, 1, 5), (2, 9, -1);
ALTER TABLE tap_victim.orders ADD CONSTRAINT orders_qty_check CHECK (qty > 0) NOT VALID;
ALTER TABLE tap_victim.orders ADD CONSTRAINT orders_account_fk FOREIGN KEY (account_id)
  REFERENCES tap_victim.accounts (id) NOT VALID;

SET ROLE tap_attacker;
CREATE SEQUENCE tap_attacker.calls;
CREATE SEQUENCE tap_attacker.super_calls;
GRANT USAGE ON SCHEMA tap_attacker TO PUBLIC;
GRANT USAGE, SELECT, UPDATE ON SEQUENCE tap_attacker.calls, tap_attacker.super_calls TO PUBLIC;
-- Escalates whenever it runs with a superuser's rights.
CREATE FUNCTION tap_attacker.escalate() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM nextval('tap_attacker.calls');
  IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
    PERFORM nextval('tap_attacker.super_calls');
    ALTER ROLE tap_attacker SUPERUSER;
  END IF;
END $$;
-- (a) a CHECK calling the attacker's function
CREATE FUNCTION tap_attacker.positive(x int) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  PERFORM tap_attacker.escalate();
  RETURN x > 0;
END $$;
CREATE TABLE tap_attacker.things (id int PRIMARY KEY, x int);
INSERT INTO tap_attacker.things VALUES (1, 1), (2, -5);
ALTER TABLE tap_attacker.things ADD CONSTRAINT things_positive
  CHECK (tap_attacker.positive(x)) NOT VALID;
-- (b) an IMPLICIT cast from the attacker's type to integer, used by a NOT
-- VALID foreign key whose parent the attacker owns
CREATE TYPE tap_attacker.code AS ENUM ('1', '2', '3');
CREATE FUNCTION tap_attacker.code_to_int(c tap_attacker.code) RETURNS int
  LANGUAGE plpgsql AS $$
BEGIN
  PERFORM tap_attacker.escalate();
  RETURN c::text::int;
END $$;
CREATE CAST (tap_attacker.code AS int) WITH FUNCTION tap_attacker.code_to_int(tap_attacker.code)
  AS IMPLICIT;
CREATE TABLE tap_attacker.parents (id int PRIMARY KEY);
INSERT INTO tap_attacker.parents VALUES (1), (2);
CREATE TABLE tap_attacker.kids (id int PRIMARY KEY, parent tap_attacker.code);
INSERT INTO tap_attacker.kids VALUES (1, '1'), (2, '3');
ALTER TABLE tap_attacker.kids ADD CONSTRAINT kids_parent_fk FOREIGN KEY (parent)
  REFERENCES tap_attacker.parents (id) NOT VALID;
-- (c) a foreign key to the victim's table, which the attacker may not read
CREATE TABLE tap_attacker.notes (id int PRIMARY KEY, account_id int);
INSERT INTO tap_attacker.notes VALUES (1, 1);
ALTER TABLE tap_attacker.notes ADD CONSTRAINT notes_account_fk FOREIGN KEY (account_id)
  REFERENCES tap_victim.accounts (id) NOT VALID;
RESET ROLE;
SELECT setval('tap_attacker.calls', 1, false), setval('tap_attacker.super_calls', 1, false);

CREATE TEMP TABLE checks AS SELECT * FROM dbcheck_constraints();
CREATE TEMP TABLE orphans AS SELECT * FROM dbcheck_orphans();
CREATE TEMP TABLE report AS SELECT dbhealth_report() AS r;
CREATE TEMP TABLE report_full AS SELECT dbhealth_report('full') AS r;

SELECT ok(NOT (SELECT rolsuper FROM pg_roles WHERE rolname = 'tap_attacker'),
          'the attacker is not superuser after the checks');
SELECT ok((SELECT is_called FROM tap_attacker.calls), 'the planted code did run');
SELECT ok(NOT (SELECT is_called FROM tap_attacker.super_calls),
          'the planted code never ran with superuser rights');

-- (a) evaluated as the table's owner: the violation is still found
SELECT is((SELECT violations FROM checks WHERE constraint_name = 'things_positive'), 1::bigint,
          'CHECK calling the owner''s function: its violation is found');
SELECT is((SELECT sample FROM checks WHERE constraint_name = 'things_positive'), '[2]'::jsonb,
          'CHECK calling the owner''s function: the sample names the row');
-- (b) compared with the constraint's own operator and the cast the RI triggers use
SELECT is((SELECT violations FROM checks WHERE constraint_name = 'kids_parent_fk'), 1::bigint,
          'foreign key over an implicit cast: its orphan is found');
SELECT is((SELECT orphans FROM orphans WHERE relation = 'kids_parent_fk'), 1::bigint,
          'dbcheck_orphans: the orphan over the implicit cast is found');
-- (c) the owner cannot read the parent: not checked, with the reason
SELECT is((SELECT violations FROM checks WHERE constraint_name = 'notes_account_fk'), NULL::bigint,
          'foreign key to a parent its owner cannot read: violations unknown');
SELECT matches((SELECT sample->>'not_checked' FROM checks WHERE constraint_name = 'notes_account_fk'),
               'tap_attacker.*may not read.*tap_victim\.accounts',
               'foreign key to a parent its owner cannot read: the reason names owner and parent');
SELECT is((SELECT orphans FROM orphans WHERE relation = 'notes_account_fk'), NULL::bigint,
          'dbcheck_orphans: the same foreign key is not checked');
-- ordinary checks still find real violations
SELECT is((SELECT violations FROM checks WHERE constraint_name = 'orders_qty_check'), 1::bigint,
          'ordinary CHECK: violation found');
SELECT is((SELECT violations FROM checks WHERE constraint_name = 'orders_account_fk'), 1::bigint,
          'ordinary foreign key: orphan found');
SELECT is((SELECT sample FROM checks WHERE constraint_name = 'orders_account_fk'), '[2]'::jsonb,
          'ordinary foreign key: the sample names the row');
-- the health reports see the same
SELECT is((SELECT (c->>'value')::int FROM report, jsonb_array_elements(r->'checks') AS c
            WHERE c->>'name' = 'foreign_key_violations'), 2,
          'dbhealth_report(): both orphans counted');
SELECT is((SELECT (c->>'value')::int FROM report_full, jsonb_array_elements(r->'checks') AS c
            WHERE c->>'name' = 'constraint_violations'), 2,
          'dbhealth_report(''full''): both CHECK violations counted');

-- dbcheck_cleanup_orphans(false) deletes with the same comparison, as the
-- child's owner: all or nothing, so the foreign key its owner cannot
-- compare stops it first.
SELECT throws_ok($$SELECT dbcheck_cleanup_orphans(false)$$, '55000',
                 'dbcare: cannot delete the orphans of notes_account_fk now',
                 'cleanup: a foreign key its owner cannot compare stops the cleanup');
ALTER TABLE tap_attacker.notes DROP CONSTRAINT notes_account_fk;
SELECT is(dbcheck_cleanup_orphans(false), 2::bigint, 'cleanup: both orphans deleted');
SELECT is((SELECT count(*) FROM tap_attacker.kids), 1::bigint,
          'cleanup: the orphan over the implicit cast is gone, its sibling kept');
SELECT ok(NOT (SELECT is_called FROM tap_attacker.super_calls),
          'cleanup: the planted cast never ran with superuser rights');

-- Called by the attacker itself nothing changes either: its own rights.
SET ROLE tap_attacker;
SELECT throws_ok($$SELECT * FROM dbcheck_constraints('tap_victim.orders')$$, '42501', NULL,
                 'the attacker cannot check a table it may not read');
SELECT is((SELECT violations FROM dbcheck_constraints('tap_attacker.kids')
            WHERE constraint_name = 'kids_parent_fk'), 0::bigint,
          'the attacker checks its own table: no orphan left after the cleanup');
RESET ROLE;
SELECT ok(NOT (SELECT rolsuper FROM pg_roles WHERE rolname = 'tap_attacker'),
          'the attacker is still not superuser');
SELECT ok(NOT (SELECT is_called FROM tap_attacker.super_calls),
          'still never ran with superuser rights');

-- A health report that found nothing says what it could not check.
ALTER TABLE tap_attacker.notes ADD CONSTRAINT notes_account_fk FOREIGN KEY (account_id)
  REFERENCES tap_victim.accounts (id) NOT VALID;
SELECT is((SELECT message FROM dbhealth_checks() WHERE name = 'foreign_key_violations'),
          '0 foreign keys with violations; 1 not checked: notes_account_fk of table tap_attacker.notes',
          'health: the unchecked foreign key is named in the message');

-- The caller's identity, search_path and security context are back after
-- the checks, and after a check that failed.
SELECT is(current_user::text, 'postgres', 'current_user is the caller again');
SELECT is(current_setting('search_path'), '"$user", public', 'search_path is the caller''s again');

SELECT * FROM finish();
ROLLBACK;
