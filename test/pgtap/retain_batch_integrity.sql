-- retain_batch_integrity: a batch of a retention policy moves exactly the
-- rows that are due, and an archive batch never loses one.
-- (a) An archive table whose BEFORE INSERT trigger skips rows (RETURN NULL):
--     the rows the batch deleted from the source must all be in the archive,
--     or the batch fails and is undone; the source never loses a row the
--     archive did not take.
-- (b) The cutoff and the point each batch resumes at are carried between
--     statements as text: that text must read back as the same moment
--     whatever the session's DateStyle and TimeZone. With DateStyle SQL a
--     timestamptz prints a zone abbreviation ("IST" in Asia/Kolkata) that
--     reads back as another zone (Israel's), which moved the cutoff 3.5
--     hours: rows younger than keep were deleted, and resumed batches
--     skipped due rows.
-- (c) A policy whose table or age column was dropped or renamed since it
--     was added: the plan of every policy failed with an error about an
--     argument no one passed, and the column's case with the engine's bare
--     "column does not exist". Now the plan shows that policy with a "gone"
--     blocker and goes on with the others; apply refuses it by name.
-- (d) dbsoftdelete_restore refuses a restore that would give a live row's
--     key in a partial unique index to a second live row: only the indexes
--     of the restored table, not those of a table of the same name in
--     another schema, and only when the index's predicate takes in both
--     rows (a restored row of another kind stays out of
--     "WHERE deleted_at IS NULL AND kind = 'a'").
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
BEGIN;
CREATE EXTENSION IF NOT EXISTS dbcare;
RESET client_min_messages;

SELECT plan(22);

-- (a) -----------------------------------------------------------------------
CREATE SCHEMA tap_arch;
CREATE TABLE tap_ev (id int PRIMARY KEY, created_at timestamptz NOT NULL);
INSERT INTO tap_ev SELECT i, now() - interval '100 days' + i * interval '1 minute'
  FROM generate_series(1, 10) i;
SELECT dbretain_add('tap_ev', 'tap_ev', 'created_at', '30 days', 'archive', 'tap_arch.ev') IS NOT NULL;
SELECT is((SELECT archived FROM dbretain_apply('tap_ev', 2)), 2::bigint,
          'an archive batch moves its rows');
CREATE FUNCTION tap_arch.skip_even() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.id % 2 = 0 THEN RETURN NULL; END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER skip_even BEFORE INSERT ON tap_arch.ev
  FOR EACH ROW EXECUTE FUNCTION tap_arch.skip_even();
SELECT throws_like($$SELECT * FROM dbretain_apply('tap_ev', 4)$$,
                   'dbcare: retention policy "tap_ev": a batch archived 2 rows but deleted 4%',
                   'a batch whose archive took fewer rows than it deleted fails');
SELECT is((SELECT count(*) FROM tap_ev), 8::bigint,
          'and the source keeps every row the archive did not take');
SELECT is((SELECT count(*) FROM tap_arch.ev), 2::bigint, 'and the archive is as it was');
SELECT is((SELECT archived_rows FROM dbretain_policies WHERE name = 'tap_ev'), 2::bigint,
          'and the policy counts only the rows really archived');

-- (b) -----------------------------------------------------------------------
CREATE TABLE tap_tz (id int PRIMARY KEY, at timestamptz NOT NULL);
INSERT INTO tap_tz VALUES (1, now() - interval '31 days'),
                          (2, now() - interval '30 days' + interval '1 hour');
SELECT dbretain_add('tap_tz', 'tap_tz', 'at', '30 days', 'delete') IS NOT NULL;
SET LOCAL DateStyle = 'SQL, DMY';
SET LOCAL TimeZone = 'Asia/Kolkata';
SELECT is((SELECT due FROM dbretain_plan('tap_tz')), 1::bigint, 'the plan counts one due row');
SELECT is((SELECT deleted FROM dbretain_apply('tap_tz')), 1::bigint,
          'with DateStyle SQL in Asia/Kolkata a policy deletes only the due row');
SELECT is((SELECT array_agg(id) FROM tap_tz), ARRAY[2],
          'and keeps the row younger than keep');

-- resumed batches (batch_size 2): each starts at the newest value the one
-- before moved, read back from text
CREATE TABLE tap_hours (id int PRIMARY KEY, at timestamptz NOT NULL);
INSERT INTO tap_hours SELECT i, now() - interval '40 days' + i * interval '1 hour'
  FROM generate_series(1, 8) i;
SELECT dbretain_add('tap_hours', 'tap_hours', 'at', '30 days', 'delete') IS NOT NULL;
SELECT dbcare_set('retain.batch_size', '2') IS NOT NULL;
SELECT is((SELECT deleted FROM dbretain_apply('tap_hours', 8)), 8::bigint,
          'resumed batches skip no due row under DateStyle SQL in Asia/Kolkata');
SELECT is((SELECT count(*) FROM tap_hours), 0::bigint, 'and every due row is gone');

-- (c) -----------------------------------------------------------------------
RESET DateStyle;
RESET TimeZone;
CREATE TABLE tap_gone (id int PRIMARY KEY, at timestamptz NOT NULL);
CREATE TABLE tap_moved (id int PRIMARY KEY, at timestamptz NOT NULL);
SELECT dbretain_add('tap_gone', 'tap_gone', 'at', '30 days', 'delete') IS NOT NULL;
SELECT dbretain_add('tap_moved', 'tap_moved', 'at', '30 days', 'delete') IS NOT NULL;
DROP TABLE tap_gone;
ALTER TABLE tap_moved RENAME COLUMN at TO created_at;
SELECT is((SELECT count(*) FROM dbretain_plan()), 5::bigint,
          'the plan shows every policy when one table is gone');
SELECT is((SELECT blockers::jsonb -> 0 ->> 'kind' FROM dbretain_plan('tap_gone')), 'gone',
          'a dropped table is the policy''s blocker');
SELECT is((SELECT blockers::jsonb -> 0 ->> 'fix' FROM dbretain_plan('tap_gone')),
          'SELECT dbretain_drop(''tap_gone'');', 'with the statement that forgets the policy');
SELECT alike((SELECT blockers::jsonb -> 0 ->> 'detail' FROM dbretain_plan('tap_moved')),
            'its age column "at" does not exist in table public.tap_moved%',
            'a renamed age column is the policy''s blocker');
SELECT throws_ok($$SELECT * FROM dbretain_apply('tap_gone')$$, '55000',
                 'dbcare: retention policy "tap_gone": its table public.tap_gone does not exist (dropped or renamed since the policy was added)',
                 'apply refuses the policy by its name');
SELECT throws_like($$SELECT * FROM dbretain_apply('tap_moved')$$,
                   'dbcare: retention policy "tap_moved": its age column "at" does not exist%',
                   'and the policy whose age column is gone');

-- (d) -----------------------------------------------------------------------
CREATE SCHEMA tap_sd_a;
CREATE SCHEMA tap_sd_b;
CREATE TABLE tap_sd_a.videos (id int PRIMARY KEY, slug text NOT NULL);
CREATE TABLE tap_sd_b.videos (id int PRIMARY KEY, slug text NOT NULL);
SELECT dbsoftdelete_enable('tap_sd_a.videos') IS NOT NULL;
SELECT dbsoftdelete_enable('tap_sd_b.videos') IS NOT NULL;
INSERT INTO tap_sd_a.videos VALUES (1, 'x'), (2, 'x');
INSERT INTO tap_sd_b.videos VALUES (1, 'x'), (2, 'x');
DELETE FROM tap_sd_a.videos WHERE id = 1;
DELETE FROM tap_sd_b.videos WHERE id = 1;
CREATE UNIQUE INDEX tap_sd_b_live ON tap_sd_b.videos (slug) WHERE deleted_at IS NULL;
SELECT is(dbsoftdelete_restore('tap_sd_a.videos', '{"id": 1}'), 1::bigint,
          'a partial unique index of a same-named table in another schema does not refuse a restore');
SELECT throws_like($$SELECT dbsoftdelete_restore('tap_sd_b.videos', '{"id": 1}')$$,
                   'dbcare: restoring {"id":1} in table tap_sd_b.videos would violate unique index "tap_sd_b_live"%',
                   'the table''s own partial unique index does');
SELECT is((SELECT count(*) FROM tap_sd_b.videos WHERE deleted_at IS NOT NULL), 1::bigint,
          'and nothing of that call was restored');

CREATE TABLE tap_sd_a.kinds (id int PRIMARY KEY, slug text NOT NULL, kind text NOT NULL);
SELECT dbsoftdelete_enable('tap_sd_a.kinds') IS NOT NULL;
INSERT INTO tap_sd_a.kinds VALUES (1, 'x', 'b'), (2, 'x', 'a'), (3, 'x', 'a'), (4, 'y', 'a'),
                                  (5, 'y', 'b');
DELETE FROM tap_sd_a.kinds WHERE id IN (1, 3, 4);
CREATE UNIQUE INDEX tap_sd_live_a ON tap_sd_a.kinds (slug) WHERE deleted_at IS NULL AND kind = 'a';
SELECT is(dbsoftdelete_restore('tap_sd_a.kinds', '{"id": 1}'), 1::bigint,
          'a restored row the partial index''s predicate leaves out is restored');
SELECT is(dbsoftdelete_restore('tap_sd_a.kinds', '{"id": 4}'), 1::bigint,
          'so is one whose key only a live row outside the index holds');
SELECT throws_like($$SELECT dbsoftdelete_restore('tap_sd_a.kinds', '{"id": 3}')$$,
                   'dbcare: restoring {"id":3} in table tap_sd_a.kinds would violate unique index "tap_sd_live_a"%',
                   'a restored row entering the index beside a live one is refused');

SELECT * FROM finish();
ROLLBACK;
