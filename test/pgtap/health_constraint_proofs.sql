-- health_constraint_proofs: which constraints dbcheck_constraints trusts to
-- PostgreSQL's own proof (attnotnull; a non-deferrable key of integers,
-- whose index no collation orders) and which it always scans (keys ordered
-- by a collation, from the table: an index that lost entries when the
-- collation changed lets duplicates in; deferrable keys; foreign keys and
-- CHECKs even when validated, since rows let in with triggers off stay behind).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
BEGIN;
CREATE EXTENSION IF NOT EXISTS dbcare;
RESET client_min_messages;

SELECT plan(9);

CREATE SCHEMA tap_proof;
CREATE TABLE tap_proof.parent (id int PRIMARY KEY, code text NOT NULL UNIQUE);
CREATE TABLE tap_proof.child (id int PRIMARY KEY, parent_id int REFERENCES tap_proof.parent (id),
                              qty int CHECK (qty > 0),
                              ref int UNIQUE DEFERRABLE INITIALLY DEFERRED);
INSERT INTO tap_proof.parent VALUES (1, 'a');
INSERT INTO tap_proof.child VALUES (1, 1, 1, 10);

SELECT set_eq($$SELECT constraint_name, kind, violations FROM dbcheck_constraints('tap_proof.parent')$$,
              $$VALUES ('parent_pkey', 'primary_key', 0::bigint), ('parent_code_key', 'unique', 0),
                       ('parent_code_not_null', 'not_null', 0)$$,
              'every constraint of a clean table is listed with 0 violations');

-- A deferred unique constraint may hold duplicates until commit: it is scanned.
INSERT INTO tap_proof.child VALUES (2, 1, 1, 10);
SELECT is((SELECT violations FROM dbcheck_constraints('tap_proof.child') WHERE constraint_name = 'child_ref_key'),
          2::bigint, 'a deferred UNIQUE constraint is scanned: both rows of the duplicate');
SELECT is((SELECT sample FROM dbcheck_constraints('tap_proof.child') WHERE constraint_name = 'child_ref_key'),
          '[10]'::jsonb, 'the sample names the duplicated key');
DELETE FROM tap_proof.child WHERE id = 2;
SET CONSTRAINTS ALL IMMEDIATE;

-- A validated, enforced foreign key is still scanned: rows let in while its
-- triggers were disabled remain after they are enabled again.
ALTER TABLE tap_proof.child DISABLE TRIGGER ALL;
INSERT INTO tap_proof.child VALUES (3, 42, 1, 30);
ALTER TABLE tap_proof.child ENABLE TRIGGER ALL;
SELECT is((SELECT violations FROM dbcheck_constraints('tap_proof.child') WHERE kind = 'foreign_key'),
          1::bigint, 'an orphan let in with triggers disabled is found after ENABLE TRIGGER ALL');
SELECT is((SELECT sample FROM dbcheck_constraints('tap_proof.child') WHERE kind = 'foreign_key'),
          '[3]'::jsonb, 'its sample is the child''s primary key');

-- Same in replica mode (logical replication apply, pg_restore --disable-triggers).
DELETE FROM tap_proof.child WHERE id = 3;
SET session_replication_role = replica;
INSERT INTO tap_proof.child VALUES (4, 43, 1, 40);
RESET session_replication_role;
SELECT is((SELECT violations FROM dbcheck_constraints('tap_proof.child') WHERE kind = 'foreign_key'),
          1::bigint, 'an orphan let in under session_replication_role = replica is found afterwards');

-- The health report: standard mode trusts the validated, enforced foreign key
-- (no scan); full mode scans it like dbcheck_constraints and finds the orphan.
SELECT is((SELECT status FROM dbhealth_checks('standard') WHERE name = 'foreign_key_violations'), 'ok',
          'standard: a validated foreign key with enabled triggers is trusted');
SELECT is((SELECT status FROM dbhealth_checks('full') WHERE name = 'foreign_key_violations'), 'critical',
          'full: the orphan left by replica mode is found');

-- The primary key of integers is there, answered by its index without a scan.
SELECT is((SELECT violations FROM dbcheck_constraints('tap_proof.child') WHERE kind = 'primary_key'),
          0::bigint, 'the primary key (an index of integers) reports 0');

SELECT * FROM finish();
ROLLBACK;
