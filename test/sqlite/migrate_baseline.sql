-- dbmigrate_baseline: adopting a database that existed before dbcare.
.headers on
.mode list

-- The schema was built by hand (or by another tool) long ago.
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);
CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id), body TEXT);

-- Its history is now written down as migrations 1 and 2; 3 is new work.
SELECT dbmigrate_add('1', 'create users', 'CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);') IS NOT NULL AS ok;
SELECT dbmigrate_add('2', 'create posts', 'CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id), body TEXT);') IS NOT NULL AS ok;
SELECT dbmigrate_add('3', 'index posts', 'CREATE INDEX posts_user ON posts (user_id);', 'DROP INDEX posts_user;') IS NOT NULL AS ok;

-- Mark 1 and 2 as applied without running them.
SELECT dbmigrate_baseline('2') AS baselined;
SELECT version, name, kind, state FROM dbmigrate_status;
SELECT dbmigrate_current() AS current;
SELECT * FROM dbmigrate_plan;
SELECT dbmigrate_apply() AS applied;
SELECT version, kind, direction FROM dbmigrate_history;

-- Baseline migrations never ran, so they cannot be rolled back.
SELECT dbmigrate_rollback() AS rolled_back;
SELECT dbmigrate_rollback();
