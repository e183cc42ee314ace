-- Hostile input to dbcheck_*: NULL in each argument, empty strings, names
-- crafted for injection, nonexistent objects, 1 MB names. A clear "dbcare:"
-- error or a correct result; unrelated tables stay untouched.
.headers on
.mode list
CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);
INSERT INTO t (v) VALUES ('keep me');
CREATE TABLE "pa""rent; --" ("i d" INTEGER PRIMARY KEY);
CREATE TABLE "ch'ild" (id INTEGER PRIMARY KEY, "p;id" INTEGER);
INSERT INTO "pa""rent; --" VALUES (1);
INSERT INTO "ch'ild" VALUES (1, 1), (2, 2), (3, NULL);

-- NULL in each argument.
SELECT dbcheck_add_relation(NULL, 'ch''ild', 'p;id', 'pa"rent; --', 'i d');
SELECT dbcheck_add_relation('r', NULL, 'p;id', 'pa"rent; --', 'i d');
SELECT dbcheck_add_relation('r', 'ch''ild', NULL, 'pa"rent; --', 'i d');
SELECT dbcheck_add_relation('r', 'ch''ild', 'p;id', NULL, 'i d');
SELECT dbcheck_add_relation('r', 'ch''ild', 'p;id', 'pa"rent; --', NULL);
SELECT dbcheck_drop_relation(NULL);
SELECT dbcheck_cleanup_orphans(NULL);
SELECT count(*) FROM dbcheck_constraints(NULL);

-- Empty strings and nonexistent objects.
SELECT dbcheck_add_relation('', 'ch''ild', 'p;id', 'pa"rent; --', 'i d');
SELECT dbcheck_add_relation('r', '', 'p;id', 'pa"rent; --', 'i d');
SELECT dbcheck_add_relation('r', 'ch''ild', '', 'pa"rent; --', 'i d');
SELECT dbcheck_add_relation('r', 'nosuch', 'p;id', 'pa"rent; --', 'i d');
SELECT dbcheck_add_relation('r', 'ch''ild', 'nosuch', 'pa"rent; --', 'i d');
SELECT dbcheck_add_relation('r', 'ch''ild', 'p;id', 'pa"rent; --', 'i d, extra');
SELECT dbcheck_drop_relation('nosuch');
SELECT count(*) AS rows FROM dbcheck_constraints('nosuch');
SELECT count(*) AS rows FROM dbcheck_constraints('');

-- Injection-shaped names are only names.
SELECT dbcheck_add_relation('x"; DROP TABLE t; --', 'ch''ild', 'p;id', 'pa"rent; --', 'i d') AS added;
SELECT relation, child_table, parent_table, orphans, sample FROM dbcheck_orphans;
SELECT dbcheck_cleanup_orphans() AS would_delete;
SELECT dbcheck_cleanup_orphans(0) AS deleted;
SELECT * FROM "ch'ild" ORDER BY id;
SELECT count(*) AS rows FROM dbcheck_constraints('x"; DROP TABLE t; --');
SELECT dbcheck_drop_relation('x"; DROP TABLE t; --') AS dropped;

-- Invalid UTF-8 and 1 MB names.
SELECT dbcheck_add_relation(CAST(x'ff' AS TEXT), 'ch''ild', 'p;id', 'pa"rent; --', 'i d') AS added;
SELECT dbcheck_drop_relation(CAST(x'ff' AS TEXT)) AS dropped;
SELECT dbcheck_add_relation('r', printf('%.*c', 1000000, 'x'), 'a', 't', 'id');
SELECT count(*) FROM dbcheck_constraints(printf('%.*c', 1000000, 'x'));

-- Nothing else changed.
SELECT * FROM t;
SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT GLOB 'dbcare_*' AND name NOT GLOB 'sqlite_*' ORDER BY name;
