#!/usr/bin/env bash
# SET NOT NULL on a column the statistics show NULLs in will fail: the lint
# says so as an error (set-not-null-nulls), not as the scan warning (issue
# 36, item 13). A column without NULLs keeps the scan warning; an UPDATE (or
# any statement the lint does not model) before it, or a column changed by an
# earlier pending statement, leaves the statistics stale: no error then.
set -eu
db=dbcare_migrate_lint_not_null
. "$(dirname "$0")/lib/pg.sh"
fresh_db

q -c "CREATE TABLE accounts (id int PRIMARY KEY, email text, plan text, region text)" \
  -c "INSERT INTO accounts SELECT g, CASE WHEN g % 10 = 0 THEN NULL ELSE 'a' || g END, 'free', CASE WHEN g = 7 THEN NULL ELSE 'eu' END FROM generate_series(1, 2000) g" \
  -c "ANALYZE accounts" > /dev/null

q -c "SELECT dbmigrate_add('1', 'emails required', 'ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;')" \
  -c "SELECT dbmigrate_add('2', 'plans required', 'ALTER TABLE accounts ALTER COLUMN plan SET NOT NULL;')" > /dev/null
q -c "SELECT version, rule, severity, message FROM dbmigrate_lint()" > "$work/lint.out"
grep -q '^1|set-not-null-nulls|error|SET NOT NULL on public.accounts.email will fail: the statistics show NULLs in about 10% of its rows$' "$work/lint.out" ||
  fail "no error for a column holding NULLs: $(cat "$work/lint.out")"
grep -q '^1|set-not-null-scan|' "$work/lint.out" && fail "the scan warning as well: $(cat "$work/lint.out")"
grep -q '^2|set-not-null-scan|warning|' "$work/lint.out" || fail "scan warning lost: $(cat "$work/lint.out")"
grep -q '^2|set-not-null-nulls|' "$work/lint.out" && fail "error for a column without NULLs: $(cat "$work/lint.out")"

# the lint is right: the migration fails
if q -c "SELECT dbmigrate_apply('1')" > "$work/apply.out" 2>&1; then fail "SET NOT NULL over NULLs applied"; fi
grep -q 'contains null values' "$work/apply.out" || fail "apply: $(cat "$work/apply.out")"
# under enforce it is refused before it runs, naming the rule
q -c "SELECT dbcare_set('migrate.lint', 'enforce')" > /dev/null
if q -c "SELECT dbmigrate_apply('1')" > "$work/enf.out" 2>&1; then fail "enforce applied"; fi
grep -q 'dbcare: migration 1 has a lint error (set-not-null-nulls, line 1)' "$work/enf.out" ||
  fail "enforce: $(cat "$work/enf.out")"

# filled first (an UPDATE the lint does not model), or by ALTER TYPE USING:
# no error, and both apply
fresh_db
q -c "CREATE TABLE accounts (id int PRIMARY KEY, email text, region text)" \
  -c "INSERT INTO accounts SELECT g, CASE WHEN g % 10 = 0 THEN NULL ELSE 'a' || g END, CASE WHEN g = 7 THEN NULL ELSE 'eu' END FROM generate_series(1, 2000) g" \
  -c "ANALYZE accounts" > /dev/null
q -c "SELECT dbmigrate_add('1', 'emails filled', \$\$UPDATE accounts SET email = 'none' WHERE email IS NULL;
ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;\$\$)" \
  -c "SELECT dbmigrate_add('2', 'regions by USING', \$\$ALTER TABLE accounts ALTER COLUMN region TYPE varchar(10) USING COALESCE(region, 'eu');
ALTER TABLE accounts ALTER COLUMN region SET NOT NULL;\$\$)" > /dev/null
q -c "SELECT version, rule, severity FROM dbmigrate_lint()" > "$work/lint2.out"
grep -q 'set-not-null-nulls' "$work/lint2.out" && fail "error after the NULLs were filled: $(cat "$work/lint2.out")"
grep -q '^1|set-not-null-scan|warning$' "$work/lint2.out" || fail "lint2: $(cat "$work/lint2.out")"
q -c "SELECT dbmigrate_apply()" > "$work/apply2.out" 2>&1 || fail "apply after filling: $(cat "$work/apply2.out")"
[ "$(q -c "SELECT count(*) FROM accounts WHERE email IS NULL OR region IS NULL")" = 0 ] || fail "rows"

# an earlier pending migration altering another column of the table (issue
# 50, item 5) leaves email's NULLs where they are: still the error, judged
# against the rows the earlier steps leave; and apply fails as it said
fresh_db
q -c "CREATE TABLE accounts (id int PRIMARY KEY, email text, plan text)" \
  -c "INSERT INTO accounts SELECT g, CASE WHEN g % 10 = 0 THEN NULL ELSE 'a' || g END, 'free' FROM generate_series(1, 2000) g" \
  -c "ANALYZE accounts" > /dev/null
q -c "SELECT dbmigrate_add('1', 'a note', 'ALTER TABLE accounts ADD COLUMN note text;')" \
  -c "SELECT dbmigrate_add('2', 'plan renamed', 'ALTER TABLE accounts RENAME COLUMN plan TO tier;')" \
  -c "SELECT dbmigrate_add('3', 'emails required', 'ALTER TABLE accounts ALTER COLUMN email SET NOT NULL;')" \
  -c "SELECT dbmigrate_add('4', 'tiers required', 'ALTER TABLE accounts ALTER COLUMN tier SET NOT NULL;')" > /dev/null
q -c "SELECT version, rule, severity FROM dbmigrate_lint()" > "$work/lint3.out"
grep -q '^3|set-not-null-nulls|error$' "$work/lint3.out" ||
  fail "an earlier ADD COLUMN turned the error back into a warning: $(cat "$work/lint3.out")"
grep -q '^3|set-not-null-scan|' "$work/lint3.out" && fail "the scan warning as well: $(cat "$work/lint3.out")"
# tier is plan renamed: the statistics do not know it by that name, no error
grep -q '^4|set-not-null-nulls|' "$work/lint3.out" && fail "error on a renamed column: $(cat "$work/lint3.out")"
grep -q '^4|set-not-null-scan|warning$' "$work/lint3.out" || fail "lint3: $(cat "$work/lint3.out")"
if q -c "SELECT dbmigrate_apply()" > "$work/apply3.out" 2>&1; then fail "SET NOT NULL over NULLs applied"; fi
grep -q 'contains null values' "$work/apply3.out" || fail "apply3: $(cat "$work/apply3.out")"
echo ok
