#!/usr/bin/env bash
# A no-transaction migration reached by CALL dbmigrate_run is refused as being
# inside the procedure dbmigrate_run, not "inside a function" (issue 36, item
# 19), with a hint naming CALL dbmigrate_run(target); dbmigrate_apply keeps
# its own words.
set -eu
db=dbcare_migrate_run_no_transaction
. "$(dirname "$0")/lib/pg.sh"
fresh_db

q -c "SELECT dbmigrate_add('1', 'table', 'CREATE TABLE t (v int)')" \
  -c "SELECT dbmigrate_add('2', 'concurrently', \$\$-- dbcare:no-transaction
CREATE INDEX CONCURRENTLY t_v ON t (v);\$\$)" > /dev/null
q -c "SELECT dbmigrate_apply('1')" > /dev/null
if q -c "CALL dbmigrate_run()" > "$work/run.out" 2>&1; then fail "run applied a no-transaction migration"; fi
grep -q 'dbcare: cannot apply 1 non-transactional migration(s) inside the procedure dbmigrate_run' "$work/run.out" ||
  fail "run: $(cat "$work/run.out")"
grep -q 'inside a function' "$work/run.out" && fail "run says function: $(cat "$work/run.out")"
grep -q 'CALL dbmigrate_run(target)' "$work/run.out" || fail "run hint: $(cat "$work/run.out")"
if q -c "SELECT dbmigrate_apply()" > "$work/apply.out" 2>&1; then fail "apply applied it"; fi
grep -q 'dbcare: cannot apply 1 non-transactional migration(s) inside a function' "$work/apply.out" ||
  fail "apply: $(cat "$work/apply.out")"
echo ok
