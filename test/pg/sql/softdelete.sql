-- dbsoftdelete_*: DELETE sets a timestamp column (a C trigger running as the
-- writer), restore clears it by primary key, purge deletes for real with the
-- foreign keys' actions.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dbcare;
RESET client_min_messages;

CREATE SCHEMA media;
CREATE TABLE media.videos (id int PRIMARY KEY, slug text NOT NULL UNIQUE, title text,
                           created timestamptz NOT NULL DEFAULT now());
CREATE UNIQUE INDEX videos_title ON media.videos (title);
CREATE TABLE media.comments (id int PRIMARY KEY,
                             video_id int REFERENCES media.videos ON DELETE CASCADE, body text);
INSERT INTO media.videos (id, slug, title) VALUES (1, 'cats', 'Cats'), (2, 'dogs', 'Dogs'),
                                                  (3, 'owls', 'Owls');
INSERT INTO media.comments VALUES (10, 1, 'nice'), (11, 2, 'woof');

SELECT count(*) AS enabled FROM dbsoftdelete_tables;
-- Enabling adds the column and reports (and warns about) the unique keys a
-- soft-deleted row keeps taking, with the statements that make each partial.
SELECT jsonb_pretty(dbsoftdelete_enable('media.videos'));
SELECT format_type(atttypid, atttypmod), attnotnull FROM pg_attribute
 WHERE attrelid = 'media.videos'::regclass AND attname = 'deleted_at';
SELECT table_name, column_name, deleted_rows FROM dbsoftdelete_tables;
SELECT tgname, tgfoid::regprocedure FROM pg_trigger WHERE tgrelid = 'media.videos'::regclass
   AND NOT tgisinternal;

-- A plain DELETE now sets deleted_at; the children stay; DELETE reports 0 rows.
DELETE FROM media.videos WHERE id = 1;
SELECT id, deleted_at IS NOT NULL AS deleted FROM media.videos ORDER BY id;
SELECT count(*) AS comments FROM media.comments;
UPDATE media.videos SET deleted_at = '2000-01-01 00:00:00+00' WHERE id = 1;
DELETE FROM media.videos WHERE id = 1;
SELECT deleted_at = '2000-01-01 00:00:00+00' AS first_time_kept FROM media.videos WHERE id = 1;

-- Restore by primary key: an object or an array of them.
SELECT dbsoftdelete_restore('media.videos', '{"id": 1}') AS restored;
SELECT dbsoftdelete_restore('media.videos', '{"id": 1}') AS restored;
DELETE FROM media.videos WHERE id IN (1, 2);
SELECT dbsoftdelete_restore('videos', '[{"id": 1}, {"id": "2"}, {"id": 99}]') AS restored;
-- Bad keys and tables.
SELECT dbsoftdelete_restore('media.videos', '{"slug": "cats"}');
SELECT dbsoftdelete_restore('media.videos', '[1]');
SELECT dbsoftdelete_restore('media.videos', '{"id": null}');
SELECT dbsoftdelete_restore('media.videos', '{"id": "x"}');
SELECT dbsoftdelete_restore('media.videos', NULL);
SELECT dbsoftdelete_restore('media.comments', '{"id": 10}');
SELECT dbsoftdelete_restore('media.nope', '{"id": 10}');

-- A partial unique key lets a live row take a deleted row's slug; restoring
-- the deleted one is then refused, naming the index, and nothing is restored.
CREATE TABLE media.clips (id int PRIMARY KEY, slug text NOT NULL, deleted_at timestamptz);
CREATE UNIQUE INDEX clips_slug_live ON media.clips (slug) WHERE deleted_at IS NULL;
SELECT dbsoftdelete_enable('media.clips')->'unique_blockers' AS blockers;
INSERT INTO media.clips (id, slug) VALUES (1, 'cats'), (2, 'dogs');
DELETE FROM media.clips;
INSERT INTO media.clips (id, slug) VALUES (3, 'cats');
BEGIN;
SELECT dbsoftdelete_restore('media.clips', '[{"id": 2}, {"id": 1}]');
ROLLBACK;
BEGIN;
SAVEPOINT s;
SELECT dbsoftdelete_restore('media.clips', '[{"id": 2}, {"id": 1}]');
ROLLBACK TO SAVEPOINT s;
SELECT id, deleted_at IS NOT NULL AS deleted FROM media.clips ORDER BY id;
COMMIT;

-- Purge: older_than keeps recent deletions; ON DELETE CASCADE applies.
DELETE FROM media.videos WHERE id = 1;
SELECT dbsoftdelete_purge('media.videos', '7 days') AS purged;
UPDATE media.videos SET deleted_at = now() - interval '8 days' WHERE id = 1;
SELECT dbsoftdelete_purge('media.videos', '1 week') AS purged;
SELECT id FROM media.videos ORDER BY id;
SELECT id, video_id FROM media.comments ORDER BY id;
-- A cascade into another soft-delete table deletes there too during a purge.
SELECT dbsoftdelete_enable('media.comments') IS NOT NULL AS enabled;
DELETE FROM media.videos WHERE id = 2;
SELECT dbsoftdelete_purge('media.videos') AS purged;
SELECT count(*) AS comments FROM media.comments;
-- The trigger works again after the purge, and after a failed one.
CREATE TABLE media.likes (video_id int REFERENCES media.videos ON DELETE RESTRICT);
INSERT INTO media.likes VALUES (3);
DELETE FROM media.videos WHERE id = 3;
SELECT dbsoftdelete_purge('media.videos');
DELETE FROM media.likes;
INSERT INTO media.videos (id, slug) VALUES (4, 'bats');
DELETE FROM media.videos WHERE id = 4;
SELECT id, deleted_at IS NOT NULL AS deleted FROM media.videos ORDER BY id;
SELECT dbsoftdelete_purge('media.videos', '7 fortnights');
SELECT dbsoftdelete_purge('media.videos', '0 days');
SELECT dbsoftdelete_purge('media.videos', '');

-- The cascade of a purge deletes for real also in soft-delete tables it
-- reaches through another one (children of children).
CREATE TABLE media.shows (id int PRIMARY KEY, name text);
CREATE TABLE media.episodes (id int PRIMARY KEY,
                             show_id int REFERENCES media.shows ON DELETE CASCADE);
CREATE TABLE media.scenes (id int PRIMARY KEY,
                           episode_id int REFERENCES media.episodes ON DELETE CASCADE);
INSERT INTO media.shows VALUES (1, 'a'), (2, 'b');
INSERT INTO media.episodes VALUES (10, 1), (20, 2);
INSERT INTO media.scenes VALUES (100, 10), (200, 20);
SELECT dbsoftdelete_enable('media.shows') IS NOT NULL AS enabled;
SELECT dbsoftdelete_enable('media.episodes') IS NOT NULL AS enabled;
SELECT dbsoftdelete_enable('media.scenes') IS NOT NULL AS enabled;
DELETE FROM media.shows WHERE id = 1;
SELECT dbsoftdelete_purge('media.shows') AS purged;
SELECT id FROM media.shows ORDER BY id;
SELECT id, deleted_at IS NOT NULL AS deleted FROM media.episodes ORDER BY id;
SELECT id, deleted_at IS NOT NULL AS deleted FROM media.scenes ORDER BY id;
DELETE FROM media.episodes WHERE id = 20;
DELETE FROM media.scenes WHERE id = 200;
SELECT id, deleted_at IS NOT NULL AS deleted FROM media.episodes ORDER BY id;
SELECT id, deleted_at IS NOT NULL AS deleted FROM media.scenes ORDER BY id;
-- A purge a cancel ends (a statement timeout in a trigger of the purged
-- table) takes its scope along with its savepoint: afterwards, in the same
-- transaction, a DELETE is soft again, in the purged table and in the
-- tables its cascade reaches.
CREATE FUNCTION media.stall() RETURNS trigger LANGUAGE plpgsql AS
  $$BEGIN PERFORM pg_sleep(10); RETURN OLD; END$$;
INSERT INTO media.shows VALUES (3, 'c');
INSERT INTO media.episodes VALUES (30, 3);
DELETE FROM media.shows WHERE id = 3;
CREATE TRIGGER a_stall BEFORE DELETE ON media.shows
  FOR EACH ROW EXECUTE FUNCTION media.stall();
BEGIN;
SAVEPOINT before_purge;
SET LOCAL statement_timeout = '500ms';
\set VERBOSITY terse
SELECT dbsoftdelete_purge('media.shows');
\set VERBOSITY default
ROLLBACK TO SAVEPOINT before_purge;
DROP TRIGGER a_stall ON media.shows;
DELETE FROM media.shows WHERE id = 2;
DELETE FROM media.episodes WHERE id = 30;
SELECT id, deleted_at IS NOT NULL AS deleted FROM media.shows ORDER BY id;
SELECT id, deleted_at IS NOT NULL AS deleted FROM media.episodes ORDER BY id;
COMMIT;
SELECT dbsoftdelete_disable('media.shows') AND dbsoftdelete_disable('media.episodes') AND
       dbsoftdelete_disable('media.scenes') AS disabled;

-- Bad tables and columns.
CREATE TABLE media.people (id int PRIMARY KEY, name text, gone timestamptz NOT NULL DEFAULT now());
CREATE VIEW media.people_v AS SELECT * FROM media.people;
SELECT dbsoftdelete_enable('media.people', 'name');
SELECT dbsoftdelete_enable('media.people', 'gone');
SELECT dbsoftdelete_enable('media.people_v');
SELECT dbsoftdelete_enable('media.videos', 'removed_at');
SELECT dbsoftdelete_enable('media.people', NULL);
-- The trigger function refuses to run as anything but its trigger.
SELECT dbcare.softdelete_row();
CREATE TRIGGER wrong AFTER INSERT ON media.people FOR EACH ROW
  EXECUTE FUNCTION dbcare.softdelete_row('gone');
INSERT INTO media.people (id) VALUES (1);
DROP TRIGGER wrong ON media.people;

-- The trigger gives the writer no rights: a role that may DELETE but not
-- UPDATE cannot soft-delete.
CREATE ROLE sd_writer;
GRANT USAGE ON SCHEMA media TO sd_writer;
GRANT SELECT, DELETE ON media.videos TO sd_writer;
INSERT INTO media.videos (id, slug) VALUES (5, 'eels');
SET ROLE sd_writer;
DELETE FROM media.videos WHERE id = 5;
RESET ROLE;
GRANT UPDATE (deleted_at) ON media.videos TO sd_writer;
SET ROLE sd_writer;
DELETE FROM media.videos WHERE id = 5;
RESET ROLE;
SELECT id, deleted_at IS NOT NULL AS deleted FROM media.videos ORDER BY id;

-- Disable: the trigger goes, the column and its values stay.
SELECT dbsoftdelete_disable('media.videos') AS was_enabled;
SELECT dbsoftdelete_disable('media.videos') AS was_enabled;
DELETE FROM media.videos WHERE id = 3;
SELECT count(*) AS videos FROM media.videos;
SELECT table_name FROM dbsoftdelete_tables ORDER BY 1;

DROP SCHEMA media CASCADE;
DROP ROLE sd_writer;
DELETE FROM dbcare.softdelete;
