#!/usr/bin/env bash
# The lint reads PostgreSQL's text as PostgreSQL does: '[' is an array's,
# not the start of a quoted name as in SQLite, so a string holding ']'
# inside ARRAY[...] ends where PostgreSQL ends it and the words after the
# CHECK's parenthesis (NOT VALID) are seen; the same check without NOT
# VALID keeps its warning.
set -eu
db=dbcare_migrate_lint_brackets
. "$(dirname "$0")/lib/pg.sh"
fresh_db

q -c "CREATE TABLE t (id int PRIMARY KEY, v text)" -c "INSERT INTO t SELECT g, 'c' FROM generate_series(1, 100) g" \
  -c "ANALYZE t" >/dev/null
q -c "SELECT dbmigrate_add('1', 'checked later', \$\$ALTER TABLE t ADD CONSTRAINT v_known CHECK (v = ANY (ARRAY['a]b'::text, 'c'])) NOT VALID;\$\$)" \
  -c "SELECT dbmigrate_add('2', 'checked now', \$\$ALTER TABLE t ADD CONSTRAINT v_known2 CHECK (v = ANY (ARRAY['a]b'::text, 'c']));\$\$)" >/dev/null
q -c "SELECT version, rule FROM dbmigrate_lint()" >"$work/lint.out"
grep -q '^1|check-not-valid$' "$work/lint.out" && fail "NOT VALID after a ']' in a string not seen: $(cat "$work/lint.out")"
grep -q '^2|check-not-valid$' "$work/lint.out" || fail "the check without NOT VALID lost its warning: $(cat "$work/lint.out")"
q -c "SELECT dbmigrate_apply()" >/dev/null || fail "the migrations do not apply"
echo ok
