-- Soft delete: DELETE sets a timestamp column, restore clears it, purge
-- deletes for real with the foreign keys' actions.
.headers on
.mode list
PRAGMA foreign_keys = ON;
-- The trigger calls only built-in functions: it runs with trusted_schema off.
PRAGMA trusted_schema = OFF;

-- A fresh database: nothing enabled, no bookkeeping table made by a read.
SELECT count(*) AS enabled FROM dbsoftdelete_tables;
SELECT count(*) AS dbcare_tables FROM sqlite_schema WHERE name LIKE 'dbcare%';

CREATE TABLE videos (id INTEGER PRIMARY KEY, slug TEXT NOT NULL UNIQUE, title TEXT,
                     created TEXT NOT NULL);
CREATE UNIQUE INDEX videos_title ON videos (title);
CREATE TABLE comments (id INTEGER PRIMARY KEY,
                       video_id INTEGER REFERENCES videos ON DELETE CASCADE, body TEXT);
INSERT INTO videos VALUES (1, 'cats', 'Cats', '2026-01-01'), (2, 'dogs', 'Dogs', '2026-01-02'),
                          (3, 'owls', 'Owls', '2026-01-03');
INSERT INTO comments VALUES (10, 1, 'nice'), (11, 2, 'woof');

-- Enabling adds the column and reports the unique keys a soft-deleted row
-- keeps taking, each with the statements that make it partial.
SELECT dbsoftdelete_enable('videos') AS report;
SELECT name, type, "notnull" FROM pragma_table_info('videos') WHERE name = 'deleted_at';
SELECT table_name, column_name, deleted_rows FROM dbsoftdelete_tables;

-- A plain DELETE now sets deleted_at; the children stay.
DELETE FROM videos WHERE id = 1;
SELECT id, deleted_at IS NOT NULL AS deleted FROM videos ORDER BY id;
SELECT count(*) AS comments FROM comments;
-- Deleting it again keeps the first time.
UPDATE videos SET deleted_at = '2000-01-01 00:00:00.000' WHERE id = 1;
DELETE FROM videos WHERE id = 1;
SELECT deleted_at FROM videos WHERE id = 1;
SELECT table_name, column_name, deleted_rows FROM dbsoftdelete_tables;

-- Restore by primary key, as an object or an array; a second time finds nothing.
SELECT dbsoftdelete_restore('videos', '{"id": 1}') AS restored;
SELECT dbsoftdelete_restore('videos', '{"id": 1}') AS restored;
DELETE FROM videos WHERE id IN (1, 2);
SELECT dbsoftdelete_restore('videos', '[{"id": 1}, {"id": 2}, {"id": 99}]') AS restored;
SELECT count(*) AS deleted FROM videos WHERE deleted_at IS NOT NULL;

-- Bad keys.
SELECT dbsoftdelete_restore('videos', '{"slug": "cats"}');
SELECT dbsoftdelete_restore('videos', '{"id": 1, "slug": "cats"}');
SELECT dbsoftdelete_restore('videos', '[1]');
SELECT dbsoftdelete_restore('videos', '{"id": null}');
SELECT dbsoftdelete_restore('videos', 'not json');
SELECT dbsoftdelete_restore('videos', NULL);
SELECT dbsoftdelete_restore('comments', '{"id": 10}');
SELECT dbsoftdelete_restore('nope', '{"id": 10}');

-- With the slug key made partial, a live row may take a deleted row's slug;
-- restoring the deleted one is then refused, naming the index, and nothing
-- of the call is restored.
CREATE UNIQUE INDEX videos_slug_live ON videos (slug) WHERE deleted_at IS NULL;
CREATE TABLE videos2 (id INTEGER PRIMARY KEY, slug TEXT NOT NULL, deleted_at TIMESTAMP);
CREATE UNIQUE INDEX videos2_slug_live ON videos2 (slug) WHERE deleted_at IS NULL;
SELECT dbsoftdelete_enable('videos2') AS report;
INSERT INTO videos2 (id, slug) VALUES (1, 'cats'), (2, 'dogs');
DELETE FROM videos2;
INSERT INTO videos2 (id, slug) VALUES (3, 'cats');
BEGIN;
SELECT dbsoftdelete_restore('videos2', '[{"id": 2}, {"id": 1}]');
SELECT id, deleted_at IS NOT NULL AS deleted FROM videos2 ORDER BY id;
COMMIT;
SELECT dbsoftdelete_restore('videos2', '{"id": 2}') AS restored;

-- Purge: older_than keeps recent deletions; without it every soft-deleted
-- row goes, and ON DELETE CASCADE removes its children.
DELETE FROM videos WHERE id = 1;
SELECT dbsoftdelete_purge('videos', '7 days') AS purged;
UPDATE videos SET deleted_at = '2000-01-01 00:00:00.000' WHERE id = 1;
SELECT dbsoftdelete_purge('videos', '7 days') AS purged;
SELECT id FROM videos ORDER BY id;
SELECT id, video_id FROM comments ORDER BY id;
DELETE FROM videos WHERE id = 2;
SELECT dbsoftdelete_purge('videos') AS purged;
SELECT count(*) AS comments FROM comments;
-- The trigger is back after the purge.
DELETE FROM videos WHERE id = 3;
SELECT id, deleted_at IS NOT NULL AS deleted FROM videos;
SELECT dbsoftdelete_purge('videos', '7 fortnights');
SELECT dbsoftdelete_purge('videos', '0 days');
SELECT dbsoftdelete_purge('videos', '-1 day');
SELECT dbsoftdelete_purge('videos', '');

-- A purge is a real delete, and so is the ON DELETE CASCADE it sets off:
-- in the soft-delete tables the cascade reaches (children of children too)
-- the rows go for real; their triggers work again afterwards.
CREATE TABLE shows (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE episodes (id INTEGER PRIMARY KEY,
                       show_id INTEGER REFERENCES shows ON DELETE CASCADE);
CREATE TABLE scenes (id INTEGER PRIMARY KEY,
                     episode_id INTEGER REFERENCES episodes ON DELETE CASCADE);
INSERT INTO shows VALUES (1, 'a'), (2, 'b');
INSERT INTO episodes VALUES (10, 1), (20, 2);
INSERT INTO scenes VALUES (100, 10), (200, 20);
SELECT json_extract(dbsoftdelete_enable('shows'), '$.column') AS enabled;
SELECT json_extract(dbsoftdelete_enable('episodes'), '$.column') AS enabled;
SELECT json_extract(dbsoftdelete_enable('scenes'), '$.column') AS enabled;
DELETE FROM shows WHERE id = 1;
SELECT dbsoftdelete_purge('shows') AS purged;
SELECT id FROM shows ORDER BY id;
SELECT id, deleted_at IS NOT NULL AS deleted FROM episodes ORDER BY id;
SELECT id, deleted_at IS NOT NULL AS deleted FROM scenes ORDER BY id;
DELETE FROM episodes WHERE id = 20;
DELETE FROM scenes WHERE id = 200;
SELECT id, deleted_at IS NOT NULL AS deleted FROM episodes ORDER BY id;
SELECT id, deleted_at IS NOT NULL AS deleted FROM scenes ORDER BY id;
SELECT dbsoftdelete_disable('shows') AND dbsoftdelete_disable('episodes') AND
       dbsoftdelete_disable('scenes') AS disabled;

-- Bad tables and columns.
CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT, gone TIMESTAMP NOT NULL DEFAULT 0);
CREATE VIEW people_v AS SELECT * FROM people;
SELECT dbsoftdelete_enable('people', 'name');
SELECT dbsoftdelete_enable('people', 'gone');
SELECT dbsoftdelete_enable('people_v');
SELECT dbsoftdelete_enable('nope');
SELECT dbsoftdelete_enable('people', '');
SELECT dbsoftdelete_enable('videos', 'removed_at');
-- Enabling again with the same column is a no-op.
SELECT json_extract(dbsoftdelete_enable('videos'), '$.column_added') AS added;

-- Disable: the trigger goes, the column and its values stay.
SELECT dbsoftdelete_disable('videos') AS was_enabled;
SELECT dbsoftdelete_disable('videos') AS was_enabled;
SELECT id, deleted_at IS NOT NULL AS deleted FROM videos;
DELETE FROM videos WHERE id = 3;
SELECT count(*) AS videos FROM videos;
SELECT table_name FROM dbsoftdelete_tables;
SELECT count(*) AS triggers FROM sqlite_schema WHERE type = 'trigger' AND name LIKE 'dbcare_softdelete%';
