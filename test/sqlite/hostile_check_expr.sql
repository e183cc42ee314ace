-- Which CHECK expressions dbcheck_constraints evaluates: only those made of
-- SQLite's own built-in pure functions, however a call is spelled. Every
-- other one is reported as not checked (violations NULL, the reason in the
-- sample), and its function is never called. The sqlite3 shell itself
-- defines application functions (writefile, readfile, sha3_query, ...);
-- test/script/sqlite_hostile_check_expr.sh shows none of them runs.
.headers on
.mode list
CREATE TABLE t (id INTEGER PRIMARY KEY, x INTEGER, s TEXT);
PRAGMA writable_schema = ON;
UPDATE sqlite_schema SET sql = 'CREATE TABLE t (id INTEGER PRIMARY KEY, x INTEGER, s TEXT,
  CONSTRAINT b_quoted CHECK ("abs"(x) < 5 AND [upper](s) = `upper`  (s)),
  CONSTRAINT b_keywords CHECK (x IN (1, 2) AND NOT (x BETWEEN 7 AND 9) AND CAST(x AS TEXT) IS NOT ''3'' AND x IS NOT DISTINCT FROM x),
  CONSTRAINT b_case CHECK (CASE WHEN x > 1 THEN (s GLOB ''[A-Z]*'') ELSE (x = 1) END),
  CONSTRAINT b_strings CHECK (s <> ''writefile(1)'' AND "s" IS NOT NULL -- readfile(2)
  ),
  CONSTRAINT h_writefile CHECK (x = 1 OR writefile(''pwned'', ''x'') IS NULL),
  CONSTRAINT h_regexp CHECK (s REGEXP ''^[A-Z]''),
  CONSTRAINT h_comment CHECK (x = 1 OR readfile /* hidden */ (''pwned'') IS NULL),
  CONSTRAINT h_nondeterministic CHECK (random() IS NOT NULL),
  CONSTRAINT h_side_effect CHECK (load_extension(''nosuch'') IS NULL),
  CONSTRAINT h_time CHECK (CURRENT_TIMESTAMP IS NOT NULL)
)' WHERE name = 't';
PRAGMA writable_schema = RESET;
PRAGMA ignore_check_constraints = ON;
INSERT INTO t (x, s) VALUES (1, 'A'), (2, 'b'), (8, 'C'), (3, 'writefile(1)');
SELECT constraint_name, violations, sample FROM dbcheck_constraints('t') WHERE kind = 'check';
-- The health report says so instead of counting them as clean.
SELECT json_extract(value, '$.status') AS status, json_extract(value, '$.message') AS message
  FROM json_each(dbhealth_report('full'), '$.checks')
 WHERE json_extract(value, '$.name') = 'constraint_violations';
