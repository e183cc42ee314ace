-- The JSON the SQLite audit triggers write (sqlite/audit/audit_json.c): every
-- value type, escapes, a row that outgrows the builder's stack buffer, base
-- objects, the changed-columns form and the argument errors. The expected
-- output was made by the first version (an sqlite3_str built character by
-- character): the faster builder writes the same bytes, so existing logs
-- and the keys dbaudit_history compares stay as they were.
.mode list
SELECT dbaudit_json(NULL);
SELECT dbaudit_json('{}');
SELECT dbaudit_json('{}', 'a', 1);
SELECT dbaudit_json('{"x":1}', 'a', 1);
SELECT dbaudit_json('garbage', 'a', 1);
SELECT dbaudit_json(NULL, 'i', 0, 'neg', -9223372036854775808, 'max', 9223372036854775807,
                    'f', 1.5, 'f2', 0.1, 'f3', 1e300, 'f4', -0.0, 'f5', 1.0,
                    'f6', 123456789012345678.0, 'f7', 1e-7, 'inf', 9e999, 'ninf', -9e999);
SELECT dbaudit_json(NULL, 't', 'plain', 'e', '', 'q', 'a"b\c', 'ctl', char(1, 2, 8, 9, 10, 12, 13, 31, 127),
                    'u', 'Zoë ✓ 😀', 'nul', NULL);
SELECT dbaudit_json(NULL, 'b', x'00ff10ab', 'eb', x'', 'k"ey\', 1, NULL, 2, 3, 'x');
SELECT dbaudit_json(NULL, 'z', 'a' || char(0) || 'b');
SELECT dbaudit_json(NULL, 'z', cast('a' || x'00' || 'b' AS text));
SELECT dbaudit_json(NULL, 'n', 1e15, 'n2', 1e16, 'n3', 3.14159265358979);
-- longer than the stack buffer: the builder moves to the heap
SELECT length(j), substr(j, 1, 12), substr(j, -6) FROM (SELECT dbaudit_json(NULL, 'long', printf('%.*c', 5000, 'x')) AS j);
SELECT length(j), substr(j, 1, 12), substr(j, -6) FROM (SELECT dbaudit_json(NULL, 'quotes', printf('%.*c', 3000, '"'), 'blob', zeroblob(700)) AS j);
SELECT dbaudit_json(dbaudit_json(NULL, 'a', 1), 'b', 2);
SELECT dbaudit_json(dbaudit_json(NULL), 'b', 2);
SELECT dbaudit_json('x');
SELECT dbaudit_json(1, 'b', 2);
SELECT dbaudit_json(NULL, 'a');
SELECT dbaudit_json();
SELECT dbaudit_json_changed(NULL, 0, 'a', 1, 1, 'b', 1, 2, 'c', NULL, NULL, 'd', NULL, 1, 'e', 1, 1.0,
                            'f', 'x', 'x', 'g', x'01', x'01', 'h', 'x', x'78', 'i', '1', 1);
SELECT dbaudit_json_changed(NULL, 1, 'a', 1, 1, 'b', 1, 2, 'c', NULL, NULL, 'd', NULL, 1, 'e', 1, 1.5,
                            'f', 'x', 'y', 'g', x'01', x'02', 'h', 'x', x'78', 'i', '1', 1);
SELECT dbaudit_json_changed('{"p":0}', 1, 'a', 1, 1);
SELECT dbaudit_json_changed('{"p":0}', 1, 'a', 1, 2);
SELECT dbaudit_json_changed(NULL, 1, 'a', 1);
SELECT dbaudit_json_changed(NULL);
SELECT dbaudit_json_changed(NULL, 1, 'a', 1.0, 1, 'b', 2, 2.0000001, 'c', 9007199254740993, 9007199254740992.0);
SELECT dbaudit_json_changed(NULL, 0, 'a', '', NULL, 'b', x'', '', 'c', '', x'');
-- through a trigger: a wide row of every type, inserted, updated, deleted
CREATE TABLE w (id INTEGER PRIMARY KEY, i INTEGER, r REAL, t TEXT, b BLOB, n);
SELECT dbaudit_enable('w', '{"updates": "full"}');
INSERT INTO w VALUES (-7, 9223372036854775807, -2.5e-3, 'tab	"q" \ é', x'0a0B', NULL);
UPDATE w SET t = printf('%.*c', 600, 'y'), r = 1e100 WHERE id = -7;
DELETE FROM w;
SELECT operation, key, length(old_values), length(new_values), substr(new_values, 1, 70) FROM dbcare_audit_log ORDER BY id;
-- the TEMP update triggers' pair: dbaudit_json_changes keeps what
-- dbaudit_json_changed(NULL, 0, ...) and (NULL, 1, ...) write, each side for
-- one dbaudit_json_kept(side), taken in either order (the trigger's INSERT
-- computes its values in an order nothing promises); wide enough for the
-- builder's heap
SELECT dbaudit_json_changes('a', 1, 1, 'b', 1, 2, 'c', NULL, NULL, 'd', NULL, 1, 'e', 1, 1.5,
                            'f', 'x', 'y', 'g', x'01', x'02', 'h', 'x', x'78', 'i', '1', 1) IS NULL;
SELECT dbaudit_json_kept(1) || '|' || dbaudit_json_kept(0);
-- the trigger's form into a table whose columns come in the other order:
-- SQLite computes an INSERT's values in the table's column order, not the
-- list's (the pair once handed the new side out from the old side's call)
CREATE TABLE sides (new_values TEXT, old_values TEXT);
SELECT dbaudit_json_changes('a', 1, 2) IS NULL;
INSERT INTO sides (old_values, new_values) VALUES (dbaudit_json_kept(0), dbaudit_json_kept(1));
SELECT old_values, new_values FROM sides;
SELECT dbaudit_json_changes('t', '', printf('%.*c', 3000, '"'), 'same', 1, 1) IS NULL;
SELECT length(n), length(o), substr(n, 1, 8), substr(n, -4) FROM (SELECT dbaudit_json_kept(1) AS n, dbaudit_json_kept(0) AS o);
SELECT dbaudit_json_changes() IS NULL, dbaudit_json_kept(0) || dbaudit_json_kept(1);
SELECT dbaudit_json_kept(0);
SELECT dbaudit_json_kept(2);
SELECT dbaudit_json_changes('a', 1);
-- through a trigger recording the changed columns alone: each row its own
CREATE TABLE c (id INTEGER PRIMARY KEY, r REAL, t TEXT, b BLOB);
SELECT dbaudit_enable('c');
INSERT INTO c VALUES (1, 1.5, 'a', x'01'), (2, NULL, 'b', NULL);
UPDATE c SET r = 2.5, t = NULL;
UPDATE c SET b = x'02' WHERE id = 2;
UPDATE c SET t = t;
SELECT operation, key, old_values, new_values FROM dbcare_audit_log WHERE table_name = 'c' ORDER BY id;
-- a view of the file cannot call them (DIRECTONLY)
CREATE VIEW kept AS SELECT dbaudit_json_kept(1) AS k;
SELECT k FROM kept;
