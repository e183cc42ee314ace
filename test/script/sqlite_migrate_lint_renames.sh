#!/usr/bin/env bash
# The default lint never stops a chain of migrations that applies (issue 36,
# item 16), SQLite's side: a pending migration renames a table with an
# INTEGER PRIMARY KEY AUTOINCREMENT key, later ones alter and index it under
# its new name (and rename it again); a table created, renamed and used by
# pending migrations too. plan, lint and apply all succeed, apply reaches the
# last version, and the renamed table keeps the rows of the live one.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
db="$work/app.db"

q "SELECT dbmigrate_add('1', 'users', 'CREATE TABLE user_ (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL);
WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 500) INSERT INTO user_ (name) SELECT ''u'' || i FROM g;');
SELECT dbmigrate_apply();" > /dev/null
q "SELECT dbmigrate_add('2', 'rename users', 'ALTER TABLE user_ RENAME TO person;');
SELECT dbmigrate_add('3', 'person grows', 'ALTER TABLE person ADD COLUMN bio TEXT;
CREATE INDEX person_name ON person (name);
ALTER TABLE person RENAME TO people;');
SELECT dbmigrate_add('4', 'people again', 'ALTER TABLE people ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE people RENAME COLUMN bio TO about;');
SELECT dbmigrate_add('5', 'a chain of its own', 'CREATE TABLE site_ (id INTEGER PRIMARY KEY AUTOINCREMENT, v INTEGER);
ALTER TABLE site_ RENAME TO site;');
SELECT dbmigrate_add('6', 'the new name used', 'ALTER TABLE site ADD COLUMN w INTEGER;
CREATE INDEX site_v ON site (v);
ALTER TABLE site DROP COLUMN w;');" > /dev/null

[ "$(q "SELECT value FROM dbcare_settings WHERE key = 'migrate.lint'")" = warn ] ||
  fail "the lint is not on by default"
q "SELECT version, rule, severity FROM dbmigrate_lint()" > "$work/lint.out" 2>&1 ||
  fail "dbmigrate_lint failed: $(cat "$work/lint.out")"
grep -q '^2|rename-table|warning$' "$work/lint.out" || fail "lint: no rename finding: $(cat "$work/lint.out")"
grep -q '^4|rename-column|warning$' "$work/lint.out" ||
  fail "lint: the renamed table lost its rows: $(cat "$work/lint.out")"
grep -q '^[56]|' "$work/lint.out" && fail "lint: findings on a new table: $(cat "$work/lint.out")"
q "SELECT count(*) FROM dbmigrate_lint('4')" > "$work/lint4.out" 2>&1 ||
  fail "dbmigrate_lint('4') failed: $(cat "$work/lint4.out")"
[ "$(q "SELECT group_concat(version, ',') FROM (SELECT version FROM dbmigrate_plan() ORDER BY step)" 2> "$work/plan.err")" = 2,3,4,5,6 ] ||
  fail "plan: $(cat "$work/plan.err")"
q "SELECT dbmigrate_apply()" > "$work/apply.out" 2>&1 || fail "apply failed: $(cat "$work/apply.out")"
[ "$(q "SELECT max(CAST(version AS INTEGER)) FROM dbmigrate_history()")" = 6 ] || fail "apply did not reach 6"
[ "$(q "SELECT count(*) FROM people WHERE about IS NULL AND deleted = 0")" = 500 ] ||
  fail "the rows did not follow the renames"
echo ok
