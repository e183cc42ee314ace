-- A policy whose table or age column was dropped or renamed since it was
-- added: the plan shows it with a "gone" blocker and goes on with the other
-- policies; apply refuses it by the policy's name, with the fix.
.headers on
.mode list
CREATE TABLE kept (id INTEGER PRIMARY KEY, at TEXT NOT NULL);
CREATE TABLE gone (id INTEGER PRIMARY KEY, at TEXT NOT NULL);
CREATE TABLE moved (id INTEGER PRIMARY KEY, at TEXT NOT NULL);
INSERT INTO kept VALUES (1, datetime('now', '-40 days')), (2, datetime('now'));
SELECT dbretain_add('kept', 'kept', 'at', '30 days', 'delete') AS added;
SELECT dbretain_add('gone', 'gone', 'at', '30 days', 'delete') AS added;
SELECT dbretain_add('moved', 'moved', 'at', '30 days', 'delete') AS added;
DROP TABLE gone;
ALTER TABLE moved RENAME COLUMN at TO created_at;
SELECT policy, due, batches, blockers FROM dbretain_plan() ORDER BY policy;
SELECT policy, deleted FROM dbretain_apply('gone');
SELECT policy, deleted FROM dbretain_apply('moved');
SELECT policy, deleted FROM dbretain_apply('kept');
SELECT count(*) AS kept_rows FROM kept;
