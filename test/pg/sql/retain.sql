-- dbretain_*: retention policies that delete, archive (into another
-- schema) or purge rows older than their keep interval, in atomic batches.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dbcare;
RESET client_min_messages;

CREATE SCHEMA app;
CREATE SCHEMA archive;
CREATE TABLE app.conversations (id int PRIMARY KEY, title text, created_at timestamptz NOT NULL);
CREATE INDEX conversations_created ON app.conversations (created_at);
CREATE TABLE app.messages (id int PRIMARY KEY, conversation_id int REFERENCES app.conversations,
                           body text);
INSERT INTO app.conversations
SELECT i, 'c' || i, now() - i * interval '5 days' FROM generate_series(1, 20) i;
INSERT INTO app.messages VALUES (1, 20, 'old but referenced');
CREATE TABLE app.events (id int PRIMARY KEY, at timestamp);
INSERT INTO app.events SELECT i, localtimestamp - i * interval '1 hour' FROM generate_series(1, 10) i;

SELECT count(*) AS policies FROM dbretain_policies;
SELECT dbretain_add('conv', 'app.conversations', 'created_at', '30 days', 'archive',
                    'archive.conversations');
SELECT dbretain_add('ev', 'app.events', 'at', '5 hours 30 minutes', 'delete');
-- The same definition again is a no-op; another one under the name is refused.
SELECT dbretain_add('ev', 'app.events', 'at', '5 hours 30 minutes', 'delete');
SELECT dbretain_add('ev', 'app.events', 'at', '6 hours', 'delete');
SELECT name, table_name, column_name, keep, action, target, archived_rows, deleted_rows
  FROM dbretain_policies;

-- The plan: rows due, batches, and what blocks them.
SELECT policy, table_name, action, due, oldest IS NOT NULL AS has_oldest, batches,
       jsonb_pretty(blockers) FROM dbretain_plan();

-- Apply: at most max_rows per policy; the archive is made on first use.
SELECT policy, archived, deleted, blocked, remaining FROM dbretain_apply('conv', 3);
SELECT format_type(atttypid, atttypmod), attname FROM pg_attribute
 WHERE attrelid = 'archive.conversations'::regclass AND attnum > 0 ORDER BY attnum;
SELECT policy, archived, deleted, blocked, remaining FROM dbretain_apply();
SELECT policy, archived, deleted, blocked, remaining FROM dbretain_apply(NULL, 100);
SELECT count(*) AS archived, count(DISTINCT id) AS distinct_ids,
       bool_and(created_at < now() - interval '30 days') AS all_old
  FROM archive.conversations;
SELECT count(*) AS left_in_source FROM app.conversations;
SELECT policy, due, batches FROM dbretain_plan();
SELECT name, archived_rows, deleted_rows, last_run_at IS NOT NULL AS ran FROM dbretain_policies;

-- In the caller's transaction: a rollback undoes the batch, archive included.
UPDATE app.conversations SET created_at = created_at - interval '1 year' WHERE id = 1;
BEGIN;
SELECT archived FROM dbretain_apply('conv');
ROLLBACK;
SELECT count(*) AS archived FROM archive.conversations;

-- Rows another transaction holds are skipped, not waited for (a second
-- session is in test/script/pg_retain_concurrency.sh); a lock we hold
-- ourselves does not count.

-- Bad input: every mistake is refused when the policy is added.
SELECT dbretain_add('x', 'app.conversations', 'title', '30 days', 'delete');
SELECT dbretain_add('x', 'app.conversations', 'created_at', '30 dayz', 'delete');
SELECT dbretain_add('x', 'app.conversations', 'created_at', '30 days', 'archive');
SELECT dbretain_add('x', 'app.conversations', 'created_at', '30 days', 'archive', 'nope.t');
SELECT dbretain_add('x', 'app.conversations', 'created_at', '30 days', 'archive', 'a.b.c');
SELECT dbretain_add('x', 'app.conversations', 'created_at', '30 days', 'archive',
                    'app.conversations');
SELECT dbretain_add('x', 'app.conversations', 'created_at', '30 days', 'drop');
SELECT dbretain_add('x', 'app.nope', 'created_at', '30 days', 'delete');
SELECT dbretain_add('x', 'app.conversations', 'nope', '30 days', 'delete');
SELECT dbretain_add('x', 'app.conversations', 'created_at', '30 days', 'delete', 'archive.t');
SELECT dbretain_add('x', 'app.conversations', 'created_at', '30 days', 'purge');
SELECT dbretain_add('x', 'dbcare.migrations', 'registered_at', '30 days', 'delete');
SELECT dbretain_add('', 'app.conversations', 'created_at', '30 days', 'delete');
SELECT dbretain_add('x', 'app.conversations', 'created_at', NULL, 'delete');
CREATE TABLE archive.bad (id int, title text, created_at timestamp, archived_at timestamptz);
SELECT dbretain_add('x', 'app.conversations', 'created_at', '30 days', 'archive', 'archive.bad');
CREATE TABLE app.parts (id int, at timestamptz) PARTITION BY RANGE (at);
SELECT dbretain_add('x', 'app.parts', 'at', '30 days', 'delete');
SELECT * FROM dbretain_plan('nope');
SELECT * FROM dbretain_apply('nope');
SELECT * FROM dbretain_apply(NULL, 0);
SELECT count(*) AS policies FROM dbretain_policies;

-- dbcare's own health snapshots may have a policy.
SELECT dbretain_add('snapshots', 'dbcare.health_snapshots', 'taken_at', '90 days', 'delete');
SELECT policy, due FROM dbretain_plan('snapshots');

-- Purge: soft-deleted rows older than keep go for real.
CREATE TABLE app.videos (id int PRIMARY KEY, title text);
INSERT INTO app.videos SELECT i, 'v' || i FROM generate_series(1, 4) i;
SELECT dbsoftdelete_enable('app.videos') IS NOT NULL AS enabled;
SELECT dbretain_add('x', 'app.videos', 'created', '7 days', 'delete');
SELECT dbretain_add('videos', 'app.videos', 'deleted_at', '7 days', 'delete');
SELECT dbretain_add('videos', 'app.videos', 'deleted_at', '7 days', 'purge');
DELETE FROM app.videos WHERE id <= 3;
UPDATE app.videos SET deleted_at = now() - interval '8 days' WHERE id <= 2;
SELECT policy, deleted, remaining FROM dbretain_apply('videos');
SELECT id, deleted_at IS NOT NULL AS deleted FROM app.videos ORDER BY id;
-- the trigger works again afterwards
DELETE FROM app.videos WHERE id = 4;
SELECT count(*) AS soft_deleted FROM app.videos WHERE deleted_at IS NOT NULL;
-- A purge policy's delete is real, and so is its ON DELETE CASCADE into
-- another soft-delete table; that table's trigger works again afterwards.
CREATE TABLE app.clips (id int PRIMARY KEY, video_id int REFERENCES app.videos ON DELETE CASCADE);
INSERT INTO app.clips VALUES (1, 4), (2, 3);
SELECT dbsoftdelete_enable('app.clips') IS NOT NULL AS enabled;
UPDATE app.videos SET deleted_at = now() - interval '8 days' WHERE id = 4;
SELECT policy, deleted FROM dbretain_apply('videos');
SELECT id, deleted_at IS NOT NULL AS deleted FROM app.clips ORDER BY id;
DELETE FROM app.clips WHERE id = 2;
SELECT id, deleted_at IS NOT NULL AS deleted FROM app.clips ORDER BY id;
SELECT dbsoftdelete_disable('app.clips') AS disabled;

-- dbretain_run commits per batch: not inside a transaction block.
BEGIN;
CALL dbretain_run();
ROLLBACK;
SELECT dbcare_set('retain.batch_size', '2');
UPDATE app.conversations SET created_at = created_at - interval '1 year' WHERE id <= 5;
CALL dbretain_run('conv');
SELECT count(*) AS archived, count(DISTINCT id) AS distinct_ids FROM archive.conversations;
-- remaining is counted only up to the most the next call moves (the larger
-- of max_rows and retain.batch_size), not over the whole backlog.
CREATE TABLE app.logs (id int PRIMARY KEY, at timestamptz NOT NULL);
CREATE INDEX logs_at ON app.logs (at);
INSERT INTO app.logs SELECT i, now() - interval '40 days' + i * interval '1 minute'
  FROM generate_series(1, 12) i;
SELECT dbretain_add('logs', 'app.logs', 'at', '30 days', 'delete');
SELECT policy, deleted, remaining FROM dbretain_apply('logs');
SELECT policy, deleted, remaining FROM dbretain_apply('logs', 3);
SELECT policy, deleted, remaining FROM dbretain_apply('logs', 6);
SELECT min(id) AS oldest_left, count(*) AS left_in_logs FROM app.logs;
-- Each batch after the first starts at the newest age value the previous
-- one moved, ties included: rows sharing one timestamp across the batches
-- of a call (and of a run) all go, and nothing twice.
INSERT INTO app.logs SELECT i, now() - interval '50 days' + (i / 3) * interval '1 minute'
  FROM generate_series(100, 110) i;
SELECT policy, deleted FROM dbretain_apply('logs', 7);
SELECT count(*) AS left_in_logs FROM app.logs WHERE at < now() - interval '30 days';
INSERT INTO app.logs SELECT i, now() - interval '50 days' FROM generate_series(200, 206) i;
SELECT dbretain_drop('logs') AS dropped;
SELECT dbretain_add('logs', 'app.logs', 'at', '30 days', 'archive', 'archive.logs') AS added;
CALL dbretain_run('logs');
SELECT count(*) AS archived, count(DISTINCT id) AS distinct_ids FROM archive.logs;
SELECT count(*) AS left_in_logs FROM app.logs WHERE at < now() - interval '30 days';
SELECT dbretain_drop('logs') AS dropped;
SELECT dbcare_set('retain.batch_size', '5000');

-- The health check: due batches over health.retention.warn warn; an archive
-- that lost rows against the recorded counts is critical.
SELECT name, status, value, message FROM dbhealth_checks('standard') WHERE name = 'retention';
SELECT dbcare_set('health.retention.warn', '0') IS NOT NULL AS set;
INSERT INTO app.conversations VALUES (50, 'late', now() - interval '1 year');
SELECT name, status, value, message FROM dbhealth_checks('standard') WHERE name = 'retention';
DELETE FROM archive.conversations WHERE id <> 1;
SELECT name, status, message FROM dbhealth_checks('standard') WHERE name = 'retention';

SELECT dbretain_drop('conv'), dbretain_drop('conv');
SELECT name FROM dbretain_policies ORDER BY 1;
DROP SCHEMA app CASCADE;
DROP SCHEMA archive CASCADE;
DELETE FROM dbcare.retain_policies;
DELETE FROM dbcare.softdelete;
DELETE FROM dbcare.config WHERE key LIKE 'retain.%' OR key LIKE 'health.retention.%';
