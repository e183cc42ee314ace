-- Retention: soft delete, a policy that archives old rows, the plan before and after
-- the table comes with a migration, as every change of the schema should
SELECT dbmigrate_add('5', 'sessions',
  'CREATE TABLE sessions (id INTEGER PRIMARY KEY, user_name TEXT, started_at TEXT NOT NULL);
   CREATE INDEX sessions_started ON sessions (started_at);',
  'DROP TABLE sessions;') AS registered;
SELECT dbmigrate_apply() AS applied;
WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 12)
INSERT INTO sessions SELECT i, 'user' || i, datetime('now', '-' || (i * 7 - 2) || ' days') FROM g;
-- deleting a soft-delete table's row only marks it
SELECT json_extract(dbsoftdelete_enable('sessions'), '$.column') AS soft_delete_column;
DELETE FROM sessions WHERE id = 1;
SELECT id, deleted_at IS NOT NULL AS deleted FROM sessions WHERE id <= 2;
SELECT dbsoftdelete_restore('sessions', '{"id": 1}') AS restored;
SELECT dbsoftdelete_disable('sessions') AS soft_delete_disabled;
-- sessions older than 30 days move to sessions_archive, which the first run
-- makes: a retention archive is dbcare's table, not schema drift
SELECT dbretain_add('old_sessions', 'sessions', 'started_at', '30 days', 'archive',
                    'sessions_archive') AS policy;
SELECT policy, action, due, batches, blockers FROM dbretain_plan();
SELECT policy, archived, deleted, blocked, remaining FROM dbretain_apply();
SELECT policy, due FROM dbretain_plan();
SELECT count(*) AS archived_sessions FROM sessions_archive;
