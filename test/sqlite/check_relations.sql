-- Declared ("logical") relations: foreign keys the schema never declared,
-- checked for orphans and cleaned up like real ones.
.headers on
.mode list

-- A fresh database: reading creates no bookkeeping table.
SELECT count(*) AS relations FROM dbcheck_relations;
SELECT count(*) AS orphan_rows FROM dbcheck_orphans;
SELECT count(*) AS dbcare_tables FROM sqlite_schema WHERE name LIKE 'dbcare%';

-- An application schema without any FOREIGN KEY clause.
CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER, title TEXT);
CREATE TABLE comments (id INTEGER PRIMARY KEY, post_id INTEGER, user_id INTEGER,
                       body TEXT);
INSERT INTO users VALUES (1, 'ann'), (2, 'bob');
INSERT INTO posts VALUES (10, 1, 'hello'), (11, 3, 'orphan post'), (12, NULL, 'anonymous');
INSERT INTO comments VALUES (100, 10, 2, 'hi'), (101, 11, 1, 'on orphan'),
                            (102, 99, 5, 'double orphan'), (103, 12, 2, 'ok');

-- Declare the relations the application relies on.
SELECT dbcheck_add_relation('posts_user', 'posts', 'user_id', 'users', 'id');
SELECT dbcheck_add_relation('comments_post', 'comments', 'post_id', 'posts', 'id');
SELECT dbcheck_add_relation('comments_user', 'comments', ' user_id ', 'users', 'ID');
SELECT * FROM dbcheck_relations;

-- The same declaration again is a no-op; a different one under the same name
-- is refused.
SELECT dbcheck_add_relation('posts_user', 'posts', 'user_id', 'users', 'id');
SELECT dbcheck_add_relation('posts_user', 'comments', 'user_id', 'users', 'id');

-- Column lists must match in length and name existing columns.
SELECT dbcheck_add_relation('bad', 'comments', 'post_id, user_id', 'posts', 'id');
SELECT dbcheck_add_relation('bad', 'comments', 'post_id,', 'posts', 'id');
SELECT dbcheck_add_relation('bad', 'comments', 'post_id', 'posts', 'nope');
SELECT dbcheck_add_relation('bad', 'comments', 'post_id,post_id', 'posts', 'id,id');
SELECT dbcheck_add_relation('', 'comments', 'post_id', 'posts', 'id');

-- Orphans: child rows whose non-NULL key has no parent. The sample holds rowids.
SELECT * FROM dbcheck_orphans;

-- A dry run (the default) only counts; nothing is deleted.
SELECT dbcheck_cleanup_orphans() AS would_delete;
SELECT dbcheck_cleanup_orphans(1) AS would_delete;
SELECT count(*) AS comments FROM comments;

-- Inside a transaction the cleanup can still be undone as a whole.
BEGIN;
SELECT dbcheck_cleanup_orphans(0) AS deleted;
SELECT id FROM comments;
ROLLBACK;
SELECT count(*) AS comments_after_rollback FROM comments;

-- For real: one DELETE per relation, all or nothing. One pass only: rows that
-- become orphans because their parent was just deleted (comment 101 belonged
-- to post 11) are found by the next check.
SELECT dbcheck_cleanup_orphans(0) AS deleted;
SELECT id, user_id FROM posts;
SELECT id, post_id, user_id FROM comments;
SELECT relation, orphans FROM dbcheck_orphans;
SELECT dbcheck_cleanup_orphans(0) AS deleted_next_pass;
SELECT relation, orphans FROM dbcheck_orphans;

-- A dry run counts a row once per relation it is an orphan of (comment 102
-- above counted twice); the real cleanup deletes it once.

-- Relations can outlive the tables and columns they name. A missing parent
-- table makes every non-NULL key an orphan, and cleanup refuses to delete them.
CREATE TABLE tmp_parent (id INTEGER PRIMARY KEY);
SELECT dbcheck_add_relation('to_tmp', 'posts', 'id', 'tmp_parent', 'id');
DROP TABLE tmp_parent;
SELECT relation, orphans FROM dbcheck_orphans WHERE relation = 'to_tmp';
SELECT dbcheck_cleanup_orphans(0);
SELECT dbcheck_drop_relation('to_tmp') AS dropped, dbcheck_drop_relation('to_tmp') AS again;

-- A dropped column is reported with a hint.
SELECT dbcheck_add_relation('by_title', 'posts', 'title', 'users', 'name');
ALTER TABLE posts DROP COLUMN title;
SELECT relation, orphans FROM dbcheck_orphans;
SELECT dbcheck_drop_relation('by_title') AS dropped;
SELECT name FROM dbcheck_relations;
