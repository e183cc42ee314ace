-- dbmigrate_lint against squawk's rules (docs/lint.md, "Compared with
-- squawk"): for each squawk rule with a dbcare counterpart, a fixture
-- written from the rule's documented unsafe example. dbcare must give the
-- same verdict on a table with rows, and no finding at all when the same
-- statement touches a table created earlier in the pending migrations or an
-- empty table. Everything is rolled back at the end.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dbcare;
RESET client_min_messages;
BEGIN;

CREATE TABLE parent (id int PRIMARY KEY);
INSERT INTO parent VALUES (1);
CREATE TABLE pop (id int, a int, b text, c varchar(5), cust int);
INSERT INTO pop SELECT g, g, 'x', 'y', 1 FROM generate_series(1, 100) g;
CREATE INDEX pop_a_idx ON pop (a);
CREATE TABLE empty_e (id int, a int, b text, c varchar(5), cust int);
CREATE INDEX empty_e_a_idx ON empty_e (a);
ANALYZE parent, pop, empty_e;

-- %1$s is the table. no_tx: the migration is marked -- dbcare:no-transaction.
CREATE TEMP TABLE fixtures (n int, squawk text, dbcare text, stmt text, no_tx bool DEFAULT false);
INSERT INTO fixtures (n, squawk, dbcare, stmt, no_tx) VALUES
 (1, 'require-concurrent-index-creation', 'index-not-concurrent', 'CREATE INDEX %1$s_b_idx ON %1$s (b);', false),
 (2, 'require-concurrent-index-deletion', 'drop-index-not-concurrent', 'DROP INDEX %1$s_a_idx;', false),
 (3, 'adding-field-with-default', 'add-column-volatile-default', 'ALTER TABLE %1$s ADD COLUMN token uuid DEFAULT gen_random_uuid();', false),
 (4, 'changing-column-type', 'alter-type-rewrite', 'ALTER TABLE %1$s ALTER COLUMN a TYPE bigint;', false),
 (5, 'adding-not-nullable-field', 'set-not-null-scan', 'ALTER TABLE %1$s ALTER COLUMN b SET NOT NULL;', false),
 (6, 'adding-foreign-key-constraint', 'foreign-key-not-valid', 'ALTER TABLE %1$s ADD CONSTRAINT %1$s_fk FOREIGN KEY (cust) REFERENCES parent (id);', false),
 (7, 'constraint-missing-not-valid', 'check-not-valid', 'ALTER TABLE %1$s ADD CONSTRAINT %1$s_ck CHECK (a > 0);', false),
 (8, 'disallowed-unique-constraint', 'unique-without-index', 'ALTER TABLE %1$s ADD CONSTRAINT %1$s_u UNIQUE (b);', false),
 (9, 'adding-serial-primary-key-field', 'unique-without-index', 'ALTER TABLE %1$s ADD PRIMARY KEY (id);', false),
 (10, 'ban-drop-column', 'drop-column-data', 'ALTER TABLE %1$s DROP COLUMN b;', false),
 (11, 'ban-drop-table', 'drop-table-data', 'DROP TABLE %1$s;', false),
 (12, 'renaming-column', 'rename-column', 'ALTER TABLE %1$s RENAME COLUMN b TO b2;', false),
 (13, 'renaming-table', 'rename-table', 'ALTER TABLE %1$s RENAME TO %1$s_renamed;', false),
 (14, 'require-timeout-settings', 'lock-timeout', 'ALTER TABLE %1$s ADD COLUMN e int;', false),
 (15, 'prefer-repack', 'vacuum-full', 'VACUUM FULL %1$s;', true);

-- The rules dbmigrate_lint reports for script as the only pending migration.
CREATE FUNCTION pg_temp.lint_of(script text) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
  PERFORM dbmigrate_add('1', 'fixture', script);
  RETURN QUERY SELECT rule FROM dbmigrate_lint();
  DELETE FROM dbcare.migrations;
END $$;
CREATE FUNCTION pg_temp.script(f fixtures, t text, fresh bool) RETURNS text LANGUAGE sql AS $$
  SELECT CASE WHEN f.no_tx THEN E'-- dbcare:no-transaction\n' ELSE '' END
      || CASE WHEN fresh THEN format('CREATE TABLE %1$s (id int, a int, b text, c varchar(5), cust int); '
                                     'CREATE INDEX %1$s_a_idx ON %1$s (a); ', t) ELSE '' END
      || format(f.stmt, t) $$;

SELECT f.n, f.squawk, f.dbcare,
       f.dbcare IN (SELECT pg_temp.lint_of(pg_temp.script(f, 'pop', false))) AS same_verdict,
       (SELECT count(*) FROM pg_temp.lint_of(pg_temp.script(f, 'fresh', true))) AS on_new,
       (SELECT count(*) FROM pg_temp.lint_of(pg_temp.script(f, 'empty_e', false))) AS on_empty
FROM fixtures f ORDER BY f.n;

-- squawk's own safe recipes get no finding from dbcare either.
SELECT count(*) AS safe_findings FROM pg_temp.lint_of($$
SET lock_timeout = '2s';
ALTER TABLE pop ADD CONSTRAINT pop_b_nn CHECK (b IS NOT NULL) NOT VALID;
ALTER TABLE pop VALIDATE CONSTRAINT pop_b_nn;
ALTER TABLE pop ALTER COLUMN b SET NOT NULL;
ALTER TABLE pop ADD CONSTRAINT pop_fk FOREIGN KEY (cust) REFERENCES parent (id) NOT VALID;
ALTER TABLE pop ALTER COLUMN c TYPE varchar(10);
ALTER TABLE pop ALTER COLUMN c TYPE text;
ALTER TABLE pop ADD COLUMN created timestamptz DEFAULT now();
ALTER TABLE pop ADD CONSTRAINT pop_u UNIQUE USING INDEX pop_a_idx;
$$);
ROLLBACK;
