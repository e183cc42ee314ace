-- The rename log on SQLite (docs/schema-as-code.md, "Renames dbcare
-- recorded"): each rename and drop a migration makes, up or down, with the
-- table's identity; a temporary table and dbcare's own tables are not
-- logged; the generator follows a chain of renames back and names the
-- migrations, down scripts included.
.headers on
.mode list

CREATE TABLE person (id INTEGER PRIMARY KEY, nick TEXT, born INTEGER);
INSERT INTO person VALUES (1, 'ann', 1990), (2, 'bo', 1991);
SELECT dbmigrate_add('1', 'people', 'ALTER TABLE person RENAME TO people;
ALTER TABLE people RENAME COLUMN nick TO handle;', 'ALTER TABLE people RENAME COLUMN handle TO nick;
ALTER TABLE people RENAME TO person;') IS NOT NULL AS added;
SELECT dbmigrate_add('2', 'members', 'ALTER TABLE people RENAME TO members;
CREATE TEMP TABLE scratch (x); ALTER TABLE scratch RENAME TO scratch2;
CREATE TABLE gone (id INTEGER PRIMARY KEY); DROP TABLE gone;
ALTER TABLE dbcare_relations RENAME TO dbcare_relations_x; ALTER TABLE dbcare_relations_x RENAME TO dbcare_relations;',
'ALTER TABLE members RENAME TO people;') IS NOT NULL AS added;
SELECT dbmigrate_apply() AS applied;
SELECT version, direction, op, schema_name, table_name, column_name, new_name, identity
FROM dbcare_migrations_renames ORDER BY id;

-- the desired schema still says person.nick: renamed back, rows kept
SELECT step, statement, hazard FROM dbmigrate_generate('
CREATE TABLE person (id INTEGER PRIMARY KEY, nick TEXT, born INTEGER);') ORDER BY step;

-- a down script's renames are logged and named so
SELECT dbmigrate_rollback('0') AS rolled_back;
SELECT version, direction, op, table_name, column_name, new_name
FROM dbcare_migrations_renames WHERE direction = 'down' ORDER BY id;
SELECT step, hazard FROM dbmigrate_generate('
CREATE TABLE members (id INTEGER PRIMARY KEY, handle TEXT, born INTEGER);') ORDER BY step;
SELECT count(*) AS rows_kept FROM person;
