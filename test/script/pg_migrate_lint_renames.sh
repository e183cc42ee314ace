#!/usr/bin/env bash
# The default lint (migrate.lint = warn) never stops a chain of migrations
# that applies (issue 36, item 16): a pending migration renames a table with
# a serial key, a later one alters it under its new name. The lint must judge
# the renamed table by the live table behind it (its sequence, its rows), and
# never look the new name up in the catalog before it exists. plan, lint and
# apply all succeed and apply reaches the last version. Also the same chain
# with the table created by a pending migration, and a table renamed twice.
set -eu
db=dbcare_migrate_lint_renames
. "$(dirname "$0")/lib/pg.sh"
fresh_db

# The live schema: user_ with a serial key and rows (what an older version
# of an application left), already applied as migration 1.
q -c "SELECT dbmigrate_add('1', 'users', \$\$CREATE TABLE user_ (id serial PRIMARY KEY, name text NOT NULL);
INSERT INTO user_ (name) SELECT 'u' || g FROM generate_series(1, 500) g;\$\$)" \
  -c "SELECT dbmigrate_apply()" -c "ANALYZE user_" > /dev/null

q -c "SELECT dbmigrate_add('2', 'rename users', 'ALTER TABLE user_ RENAME TO person;')" \
  -c "SELECT dbmigrate_add('3', 'person grows', \$\$ALTER TABLE person ADD COLUMN bio text;
CREATE INDEX person_name ON person (name);
ALTER TABLE person ALTER COLUMN name TYPE varchar(200);
ALTER TABLE person RENAME TO people;\$\$)" \
  -c "SELECT dbmigrate_add('4', 'people again', \$\$ALTER TABLE people ADD COLUMN deleted boolean NOT NULL DEFAULT false;
ALTER TABLE people ALTER COLUMN bio SET DEFAULT '';\$\$)" \
  -c "SELECT dbmigrate_add('5', 'a chain of its own', \$\$CREATE TABLE site_ (id serial PRIMARY KEY, v int);
ALTER TABLE site_ RENAME TO site;\$\$)" \
  -c "SELECT dbmigrate_add('6', 'the new name used', \$\$ALTER TABLE site ADD COLUMN w int;
CREATE INDEX site_v ON site (v);\$\$)" > /dev/null

[ "$(q -c "SELECT value FROM dbcare_settings WHERE key = 'migrate.lint'")" = warn ] ||
  fail "the lint is not on by default"
q -c "SELECT version, rule, severity FROM dbmigrate_lint()" > "$work/lint.out" 2>&1 ||
  fail "dbmigrate_lint failed: $(cat "$work/lint.out")"
# the rename is judged on user_'s rows; the later statements on person's
grep -q '^2|rename-table|warning$' "$work/lint.out" || fail "lint: no rename finding: $(cat "$work/lint.out")"
grep -q '^3|index-not-concurrent|warning$' "$work/lint.out" ||
  fail "lint: the renamed table lost its rows: $(cat "$work/lint.out")"
grep -q '^[56]|' "$work/lint.out" && fail "lint: findings on a new table: $(cat "$work/lint.out")"
q -c "SELECT version FROM dbmigrate_lint('4')" > "$work/lint4.out" 2>&1 ||
  fail "dbmigrate_lint('4') failed: $(cat "$work/lint4.out")"
[ "$(q -c "SELECT string_agg(version, ',' ORDER BY step) FROM dbmigrate_plan()" 2>"$work/plan.err")" = 2,3,4,5,6 ] ||
  fail "plan: $(cat "$work/plan.err")"
q -c "SELECT dbmigrate_apply()" > "$work/apply.out" 2>&1 || fail "apply failed: $(cat "$work/apply.out")"
[ "$(q -c "SELECT max(version::int) FROM dbmigrate_history()")" = 6 ] || fail "apply did not reach 6"
[ "$(q -c "SELECT count(*) FROM people WHERE bio = '' IS NOT TRUE AND NOT deleted")" = 500 ] ||
  fail "the rows did not follow the renames"

# A key near its limit is still found through a pending rename.
q -c "SELECT setval('user__id_seq', 2000000000)" \
  -c "SELECT dbmigrate_add('7', 'rename back', 'ALTER TABLE people RENAME TO folk;')" \
  -c "SELECT dbmigrate_add('8', 'folk', 'ALTER TABLE folk ADD COLUMN x int;')" > /dev/null
q -c "SELECT version, rule FROM dbmigrate_lint()" > "$work/lint2.out" 2>&1 ||
  fail "dbmigrate_lint failed: $(cat "$work/lint2.out")"
grep -q '^8|key-near-limit$' "$work/lint2.out" || fail "lint: key near its limit not seen: $(cat "$work/lint2.out")"
q -c "SELECT dbcare_set('migrate.lint', 'enforce')" -c "SELECT * FROM dbmigrate_plan()" > "$work/plan2.out" 2>&1 ||
  fail "plan under enforce: $(cat "$work/plan2.out")"
echo "ok"
