-- Retention policies: delete, archive (into an ATTACHed database) or purge
-- rows older than keep, in atomic batches, each checked when added.
.headers on
.mode list
PRAGMA foreign_keys = ON;
ATTACH ':memory:' AS archive;

-- A fresh database: no policy, nothing made by a read.
SELECT count(*) AS policies FROM dbretain_policies;
SELECT count(*) AS plans FROM dbretain_plan();
SELECT count(*) AS dbcare_tables FROM sqlite_schema WHERE name LIKE 'dbcare%';

CREATE TABLE conversations (id INTEGER PRIMARY KEY, title TEXT, created_at TEXT NOT NULL);
CREATE INDEX conversations_created ON conversations (created_at);
CREATE TABLE messages (id INTEGER PRIMARY KEY, conversation_id INTEGER REFERENCES conversations,
                       body TEXT);
WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 20)
INSERT INTO conversations SELECT i, 'c' || i, datetime('now', '-' || (i * 5 + 1) || ' days') FROM g;
INSERT INTO messages VALUES (1, 20, 'old but referenced');
CREATE TABLE events (id INTEGER PRIMARY KEY, at TIMESTAMP);
WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 10)
INSERT INTO events SELECT i, datetime('now', '-' || i || ' hours', '-1 minute') FROM g;

SELECT dbretain_add('conv', 'conversations', 'created_at', '30 days', 'archive',
                    'archive.conversations') AS added;
SELECT dbretain_add('ev', 'events', 'at', '5 hours', 'delete') AS added;
SELECT dbretain_add('ev', 'events', 'at', '5 hours', 'delete') AS same_again;
SELECT dbretain_add('ev', 'events', 'at', '6 hours', 'delete');
SELECT * FROM dbretain_policies;

-- The plan: due rows, batches, and what blocks them.
SELECT policy, table_name, action, due, oldest IS NOT NULL AS has_oldest, batches, blockers
  FROM dbretain_plan();

-- Apply: at most max_rows per policy; the archive is made on first use.
SELECT policy, archived, deleted, blocked, remaining FROM dbretain_apply('conv', 3);
SELECT name, type, "notnull" FROM pragma_table_info('conversations', 'archive');
SELECT policy, archived, deleted, blocked, remaining FROM dbretain_apply();
SELECT policy, archived, deleted, blocked, remaining FROM dbretain_apply(NULL, 100);
SELECT count(*) AS archived, count(DISTINCT id) AS distinct_ids,
       sum(created_at < datetime('now', '-30 days')) AS old FROM archive.conversations;
SELECT count(*) AS left_in_source FROM conversations;
SELECT policy, due, batches FROM dbretain_plan();
SELECT name, archived_rows, deleted_rows, last_run_at IS NOT NULL AS ran FROM dbretain_policies;

-- In the caller's transaction: a rollback undoes the batch, archive included.
UPDATE conversations SET created_at = datetime(created_at, '-1 year') WHERE id = 1;
BEGIN;
SELECT archived FROM dbretain_apply('conv');
ROLLBACK;
SELECT count(*) AS archived FROM archive.conversations;

-- remaining is counted only up to the most the next call moves (the larger
-- of max_rows and retain.batch_size), not over the whole backlog.
CREATE TABLE logs (id INTEGER PRIMARY KEY, at TEXT NOT NULL);
CREATE INDEX logs_at ON logs (at);
WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 12)
INSERT INTO logs SELECT i, datetime('now', '-40 days', '+' || i || ' minutes') FROM g;
SELECT dbretain_add('logs', 'logs', 'at', '30 days', 'delete') AS added;
SELECT dbcare_set('retain.batch_size', '2') AS previous;
SELECT policy, deleted, remaining FROM dbretain_apply('logs');
SELECT policy, deleted, remaining FROM dbretain_apply('logs', 3);
SELECT policy, deleted, remaining FROM dbretain_apply('logs', 6);
SELECT min(id) AS oldest_left, count(*) AS left_in_logs FROM logs;
SELECT dbcare_set('retain.batch_size', '5000') AS previous;
SELECT dbretain_drop('logs') AS dropped;

-- Bad input: refused when the policy is added.
SELECT dbretain_add('x', 'conversations', 'title', '30 days', 'delete');
SELECT dbretain_add('x', 'conversations', 'created_at', '30 dayz', 'delete');
SELECT dbretain_add('x', 'conversations', 'created_at', '30 days', 'archive');
SELECT dbretain_add('x', 'conversations', 'created_at', '30 days', 'archive', 'nope.t');
SELECT dbretain_add('x', 'conversations', 'created_at', '30 days', 'archive', 'conversations');
SELECT dbretain_add('x', 'conversations', 'created_at', '30 days', 'drop');
SELECT dbretain_add('x', 'nope', 'created_at', '30 days', 'delete');
SELECT dbretain_add('x', 'conversations', 'nope', '30 days', 'delete');
SELECT dbretain_add('x', 'conversations', 'created_at', '30 days', 'delete', 'archive.t');
SELECT dbretain_add('x', 'conversations', 'created_at', '30 days', 'purge');
SELECT dbretain_add('x', 'dbcare_migrations', 'applied_at', '30 days', 'delete');
SELECT dbretain_add('x', 'conversations', 'created_at', NULL, 'delete');
CREATE TABLE archive.bad (id INTEGER, title TEXT);
SELECT dbretain_add('x', 'conversations', 'created_at', '30 days', 'archive', 'archive.bad');
CREATE TABLE wr (k TEXT PRIMARY KEY, at TEXT) WITHOUT ROWID;
SELECT dbretain_add('x', 'wr', 'at', '30 days', 'delete');
SELECT * FROM dbretain_plan('nope');
SELECT * FROM dbretain_apply('nope');
SELECT * FROM dbretain_apply(NULL, 0);
SELECT count(*) AS policies FROM dbretain_policies;

-- dbcare's own health snapshots may have a policy.
SELECT dbretain_add('snapshots', 'dbcare_health_snapshots', 'taken_at', '90 days', 'delete')
    AS added;

-- Purge: soft-deleted rows older than keep go for real; the trigger stays.
CREATE TABLE videos (id INTEGER PRIMARY KEY, title TEXT);
INSERT INTO videos VALUES (1, 'a'), (2, 'b'), (3, 'c'), (4, 'd');
SELECT json_extract(dbsoftdelete_enable('videos'), '$.column') AS enabled;
SELECT dbretain_add('videos', 'videos', 'deleted_at', '7 days', 'delete');
SELECT dbretain_add('videos', 'videos', 'deleted_at', '7 days', 'purge') AS added;
DELETE FROM videos WHERE id <= 3;
UPDATE videos SET deleted_at = datetime('now', '-8 days') WHERE id <= 2;
SELECT policy, deleted, remaining FROM dbretain_apply('videos');
SELECT id, deleted_at IS NOT NULL AS deleted FROM videos ORDER BY id;
DELETE FROM videos WHERE id = 4;
SELECT count(*) AS soft_deleted FROM videos WHERE deleted_at IS NOT NULL;
-- A purge policy's delete is real, and so is its ON DELETE CASCADE into
-- another soft-delete table; that table's trigger works again afterwards.
CREATE TABLE clips (id INTEGER PRIMARY KEY, video_id INTEGER REFERENCES videos ON DELETE CASCADE);
INSERT INTO clips VALUES (1, 4), (2, 3);
SELECT json_extract(dbsoftdelete_enable('clips'), '$.column') AS enabled;
UPDATE videos SET deleted_at = datetime('now', '-8 days') WHERE id = 4;
SELECT policy, deleted FROM dbretain_apply('videos');
SELECT id, deleted_at IS NOT NULL AS deleted FROM clips ORDER BY id;
DELETE FROM clips WHERE id = 2;
SELECT id, deleted_at IS NOT NULL AS deleted FROM clips ORDER BY id;
SELECT dbsoftdelete_disable('clips') AS disabled;

SELECT dbretain_drop('conv') AS dropped, dbretain_drop('conv') AS again;
SELECT name FROM dbretain_policies;

-- The health check: due batches over health.retention.warn warn; an archive
-- that lost rows against the recorded counts is critical.
SELECT name, status, value, message FROM dbhealth_checks('standard') WHERE name = 'retention';
SELECT dbcare_set('health.retention.warn', '0') AS previous;
UPDATE conversations SET created_at = datetime(created_at, '-1 year') WHERE id = 2;
SELECT dbretain_add('conv2', 'conversations', 'created_at', '30 days', 'archive',
                    'archive.conversations') AS added;
SELECT name, status, value, message FROM dbhealth_checks('standard') WHERE name = 'retention';
SELECT count(*) FROM dbretain_apply('conv2');
DELETE FROM archive.conversations WHERE id <> 1;
SELECT name, status, message, hint FROM dbhealth_checks('standard') WHERE name = 'retention';
SELECT name, status FROM dbhealth_checks('quick') WHERE name = 'retention';

-- An archive that is gone is critical too: each archive is looked at once,
-- however many policies feed it.
DROP TABLE archive.conversations;
SELECT name, status, message FROM dbhealth_checks('standard') WHERE name = 'retention';
