-- hostile_retain: retention and soft delete on tables others own or shaped
-- oddly. (a) A role without privileges references a superuser's table
-- through a foreign key whose comparison "=" would resolve through the
-- role's IMPLICIT cast; the superuser's dbretain_apply tests that key for
-- every batch and must never run the role's code with its rights: it refuses
-- the key, naming the function, and the role stays what it was. (b) Soft
-- delete refuses a table with inheritance children, whose rows a DELETE of
-- the parent would remove for real.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
BEGIN;
CREATE EXTENSION IF NOT EXISTS dbcare;
RESET client_min_messages;

SELECT plan(21);

CREATE ROLE tap_attacker;
CREATE SCHEMA tap_attacker AUTHORIZATION tap_attacker;
CREATE SCHEMA tap_victim;
CREATE TABLE tap_victim.events (id int PRIMARY KEY, created_at timestamptz NOT NULL);
INSERT INTO tap_victim.events VALUES (1, now() - interval '90 days'),
                                     (2, now() - interval '80 days'), (3, now());
GRANT USAGE ON SCHEMA tap_victim TO tap_attacker;
GRANT REFERENCES ON tap_victim.events TO tap_attacker;

SET ROLE tap_attacker;
CREATE SEQUENCE tap_attacker.calls;
CREATE SEQUENCE tap_attacker.super_calls;
GRANT USAGE ON SCHEMA tap_attacker TO PUBLIC;
GRANT USAGE, SELECT, UPDATE ON SEQUENCE tap_attacker.calls, tap_attacker.super_calls TO PUBLIC;
CREATE FUNCTION tap_attacker.escalate() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM nextval('tap_attacker.calls');
  IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
    PERFORM nextval('tap_attacker.super_calls');
    ALTER ROLE tap_attacker SUPERUSER;
  END IF;
END $$;
CREATE TYPE tap_attacker.code AS ENUM ('1', '2', '3');
CREATE FUNCTION tap_attacker.code_to_int(c tap_attacker.code) RETURNS int
  LANGUAGE plpgsql AS $$
BEGIN
  PERFORM tap_attacker.escalate();
  RETURN c::text::int;
END $$;
CREATE CAST (tap_attacker.code AS int) WITH FUNCTION tap_attacker.code_to_int(tap_attacker.code)
  AS IMPLICIT;
-- (rows first: the key's own check of an insert would run the cast as the
-- referenced table's owner)
CREATE TABLE tap_attacker.kids (id int PRIMARY KEY, event tap_attacker.code);
INSERT INTO tap_attacker.kids VALUES (1, '1');
ALTER TABLE tap_attacker.kids ADD CONSTRAINT kids_event_fkey FOREIGN KEY (event)
  REFERENCES tap_victim.events (id) NOT VALID;
RESET ROLE;

SELECT dbretain_add('events', 'tap_victim.events', 'created_at', '30 days', 'delete');
SELECT setval('tap_attacker.calls', 1, false), setval('tap_attacker.super_calls', 1, false);

SELECT throws_like($$SELECT * FROM dbretain_apply('events')$$,
                   'dbcare: foreign key kids_event_fkey of table tap_attacker.kids compares its keys through tap_attacker.code_to_int(tap_attacker.code) owned by tap_attacker%',
                   'dbretain_apply refuses a key compared through a function a non-superuser owns');
SELECT ok(NOT (SELECT rolsuper FROM pg_roles WHERE rolname = 'tap_attacker'),
          'the attacker is not superuser after dbretain_apply');
SELECT ok(NOT (SELECT is_called FROM tap_attacker.super_calls),
          'the planted cast never ran with superuser rights');
SELECT is((SELECT count(*) FROM tap_victim.events), 3::bigint, 'nothing was deleted');
-- the health check counts due rows with the same test: an error row, not a run
SELECT results_eq($$SELECT status, rolsuper FROM dbhealth_checks('standard'), pg_roles
                    WHERE name = 'retention' AND rolname = 'tap_attacker'$$,
                  $$VALUES ('error'::text, false)$$,
                  'the health check reports the refusal; the attacker is still no superuser');

-- An ordinary key of two types compares with the constraint's own operator:
-- rows it references are blocked, the others go.
CREATE TABLE tap_victim.logs (id bigint PRIMARY KEY, at timestamptz NOT NULL);
CREATE TABLE tap_victim.log_refs (id int PRIMARY KEY, log int REFERENCES tap_victim.logs (id));
INSERT INTO tap_victim.logs VALUES (1, now() - interval '90 days'), (2, now() - interval '90 days');
INSERT INTO tap_victim.log_refs VALUES (1, 1);
SELECT dbretain_add('logs', 'tap_victim.logs', 'at', '30 days', 'delete');
SELECT results_eq($$SELECT deleted, blocked FROM dbretain_apply('logs')$$,
                  $$VALUES (1::bigint, 1::bigint)$$,
                  'a cross-type key blocks the rows it references');

-- (b) inheritance children: refused, naming the child; a partitioned table
-- is fine.
CREATE TABLE tap_victim.docs (id int PRIMARY KEY, body text);
CREATE TABLE tap_victim.old_docs () INHERITS (tap_victim.docs);
INSERT INTO tap_victim.old_docs VALUES (1, 'kept?');
SELECT throws_like($$SELECT dbsoftdelete_enable('tap_victim.docs')$$,
                   'dbcare: table tap_victim.docs has inheritance child tap_victim.old_docs%',
                   'dbsoftdelete_enable refuses a table with inheritance children');
SELECT hasnt_trigger('tap_victim', 'docs', 'dbcare_softdelete', 'and installs no trigger');
CREATE TABLE tap_victim.parts (id int, body text) PARTITION BY RANGE (id);
CREATE TABLE tap_victim.parts_1 PARTITION OF tap_victim.parts FOR VALUES FROM (0) TO (100);
INSERT INTO tap_victim.parts VALUES (1, 'x');
SELECT lives_ok($$SELECT dbsoftdelete_enable('tap_victim.parts')$$,
                'a partitioned table may be soft-delete enabled');
DELETE FROM tap_victim.parts;
SELECT is((SELECT count(*) FROM tap_victim.parts WHERE deleted_at IS NOT NULL), 1::bigint,
          'and a DELETE of the parent marks the partition''s row');

-- (c) during a purge the trigger lets a DELETE through only in the tables
-- the purge may delete from for real: the purged table, its partitions and
-- those an ON DELETE CASCADE reaches from them (documented: What a purge
-- deletes elsewhere). A trigger's DELETE on an unrelated soft-delete table
-- stays soft, in dbsoftdelete_purge and in a purge policy's batch alike.
CREATE TABLE tap_victim.posts (id int PRIMARY KEY);
CREATE TABLE tap_victim.notes (id int PRIMARY KEY);
INSERT INTO tap_victim.posts VALUES (1), (2);
INSERT INTO tap_victim.notes VALUES (1), (2);
SELECT dbsoftdelete_enable('tap_victim.posts') IS NOT NULL AS enabled,
       dbsoftdelete_enable('tap_victim.notes') IS NOT NULL AS enabled;
CREATE FUNCTION tap_victim.drop_note() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM tap_victim.notes WHERE id = OLD.id;
  RETURN OLD;
END $$;
CREATE TRIGGER posts_drop_note AFTER DELETE ON tap_victim.posts
  FOR EACH ROW EXECUTE FUNCTION tap_victim.drop_note();
DELETE FROM tap_victim.posts WHERE id = 1;
SELECT is((SELECT count(*) FROM tap_victim.notes WHERE deleted_at IS NOT NULL), 0::bigint,
          'a soft delete fires no AFTER DELETE trigger: the note stays live');
-- three levels of ON DELETE CASCADE below posts, all soft-delete tables,
-- the middle one partitioned
CREATE TABLE tap_victim.comments (id int PRIMARY KEY,
  post_id int NOT NULL REFERENCES tap_victim.posts ON DELETE CASCADE);
CREATE TABLE tap_victim.replies (id int PRIMARY KEY,
  comment_id int NOT NULL REFERENCES tap_victim.comments ON DELETE CASCADE)
  PARTITION BY RANGE (id);
CREATE TABLE tap_victim.replies_1 PARTITION OF tap_victim.replies FOR VALUES FROM (0) TO (100);
CREATE TABLE tap_victim.votes (id int PRIMARY KEY,
  reply_id int NOT NULL REFERENCES tap_victim.replies ON DELETE CASCADE);
INSERT INTO tap_victim.comments VALUES (10, 1), (20, 2);
INSERT INTO tap_victim.replies VALUES (11, 10), (21, 20);
INSERT INTO tap_victim.votes VALUES (12, 11), (22, 21);
SELECT dbsoftdelete_enable('tap_victim.comments') IS NOT NULL AS enabled,
       dbsoftdelete_enable('tap_victim.replies') IS NOT NULL AS enabled,
       dbsoftdelete_enable('tap_victim.votes') IS NOT NULL AS enabled;
SELECT is(dbsoftdelete_purge('tap_victim.posts'), 1::bigint, 'the purge deletes the post');
SELECT results_eq($$SELECT id, deleted_at IS NOT NULL FROM tap_victim.notes ORDER BY id$$,
                  $$VALUES (1, true), (2, false)$$,
                  'a trigger''s DELETE during the purge on an unrelated soft-delete table '
                  'stays a soft delete');
SELECT results_eq($$SELECT (SELECT array_agg(id) FROM tap_victim.comments),
                           (SELECT array_agg(id) FROM tap_victim.replies),
                           (SELECT array_agg(id) FROM tap_victim.votes)$$,
                  $$VALUES (ARRAY[20], ARRAY[21], ARRAY[22])$$,
                  'the cascade deletes for real three levels deep, through a partition');
-- a purge policy's batch: the same scope
UPDATE tap_victim.posts SET deleted_at = now() - interval '2 days' WHERE id = 2;
SELECT dbretain_add('tap_posts', 'tap_victim.posts', 'deleted_at', '1 day', 'purge');
SELECT results_eq($$SELECT deleted FROM dbretain_apply('tap_posts')$$, $$VALUES (1::bigint)$$,
                  'a purge policy deletes the post');
SELECT results_eq($$SELECT id, deleted_at IS NOT NULL FROM tap_victim.notes ORDER BY id$$,
                  $$VALUES (1, true), (2, true)$$,
                  'and the trigger''s DELETE on the unrelated table stays soft there too');
SELECT is((SELECT count(*) FROM tap_victim.comments) + (SELECT count(*) FROM tap_victim.replies)
          + (SELECT count(*) FROM tap_victim.votes), 0::bigint,
          'while its cascade deletes for real');
-- a subtransaction an application trigger rolls back during the purge (a
-- PL/pgSQL EXCEPTION block) leaves the purge's scope open
CREATE FUNCTION tap_victim.try_note() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  BEGIN
    PERFORM 1 / 0;
  EXCEPTION WHEN division_by_zero THEN NULL;
  END;
  RETURN OLD;
END $$;
CREATE TRIGGER a_try_note BEFORE DELETE ON tap_victim.posts
  FOR EACH ROW EXECUTE FUNCTION tap_victim.try_note();
INSERT INTO tap_victim.posts VALUES (3), (4);
DELETE FROM tap_victim.posts;
SELECT is(dbsoftdelete_purge('tap_victim.posts'), 2::bigint,
          'a subtransaction a trigger rolls back during the purge leaves the purge whole');
DELETE FROM tap_victim.notes;
SELECT is((SELECT count(*) FROM tap_victim.notes), 2::bigint,
          'after the purges, a DELETE of the unrelated table is soft again');

-- purges a trigger runs during the purge nest: one that succeeds and one
-- that fails (its savepoint rolled back) both leave the outer purge whole
CREATE TABLE tap_victim.tags (id int PRIMARY KEY);
CREATE TABLE tap_victim.tag_uses (tag_id int REFERENCES tap_victim.tags ON DELETE RESTRICT);
INSERT INTO tap_victim.tags VALUES (1);
INSERT INTO tap_victim.tag_uses VALUES (1);
SELECT dbsoftdelete_enable('tap_victim.tags') IS NOT NULL AS enabled;
DELETE FROM tap_victim.tags;
INSERT INTO tap_victim.posts VALUES (5), (6);
DELETE FROM tap_victim.posts;
CREATE FUNCTION tap_victim.purge_inside() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM public.dbsoftdelete_purge('tap_victim.notes');
  BEGIN
    PERFORM public.dbsoftdelete_purge('tap_victim.tags');
  EXCEPTION WHEN OTHERS THEN NULL;
  END;
  RETURN OLD;
END $$;
CREATE TRIGGER b_purge_inside BEFORE DELETE ON tap_victim.posts
  FOR EACH ROW EXECUTE FUNCTION tap_victim.purge_inside();
SELECT is(dbsoftdelete_purge('tap_victim.posts'), 2::bigint,
          'purges nested in a trigger, one failing, leave the outer purge whole');
SELECT is((SELECT count(*) FROM tap_victim.tags), 1::bigint,
          'and the failed one deleted nothing');

SELECT * FROM finish();
ROLLBACK;
