#!/usr/bin/env bash
# CALL dbmigrate_run([target]): commits after each migration, so a migration
# may use an enum value an earlier one added (dbmigrate_apply cannot: "unsafe
# use of new value"); same bookkeeping and checks as apply; the migration lock
# is a session-level one held across the commits and released on success,
# failure and cancel; refused inside a transaction block and for unknown targets;
# dbmigrate_verify says the enum step cannot be proven in one transaction.
set -eu
db=dbcare_migrate_run
. "$(dirname "$0")/lib/pg.sh"
fresh_db

q -c "SELECT dbmigrate_add('1', 'mood', \$\$CREATE TYPE mood AS ENUM ('ok')\$\$, 'DROP TYPE mood')" \
  -c "SELECT dbmigrate_add('2', 'great', \$\$ALTER TYPE mood ADD VALUE 'great'\$\$)" \
  -c "SELECT dbmigrate_add('3', 'use it', \$\$CREATE TABLE feelings (m mood DEFAULT 'great'); INSERT INTO feelings VALUES ('great')\$\$)" > /dev/null

# in one transaction the third cannot use the value the second added
if q -c "SELECT dbmigrate_apply()" > "$work/apply.out" 2>&1; then fail "apply used an uncommitted enum value"; fi
grep -q 'unsafe use of new value' "$work/apply.out" || fail "apply: $(cat "$work/apply.out")"
q -c "SELECT version, up_ok, detail FROM dbmigrate_verify()" > "$work/verify.out"
grep -q '^3|f|' "$work/verify.out" && fail "verify reports the enum step as failed: $(cat "$work/verify.out")"
grep -q "^3||not provable in one transaction.*dbmigrate_run" "$work/verify.out" || fail "verify: $(cat "$work/verify.out")"

# not inside a transaction block, not to a version nobody registered
if q -c "BEGIN" -c "CALL dbmigrate_run()" > "$work/tx.out" 2>&1; then fail "run inside BEGIN"; fi
grep -q 'dbcare: dbmigrate_run must be called with CALL outside a transaction block' "$work/tx.out" || fail "tx: $(cat "$work/tx.out")"
if q -c "CALL dbmigrate_run('2.5')" > "$work/target.out" 2>&1; then fail "run to 2.5"; fi
grep -q 'names no registered migration' "$work/target.out" || fail "target: $(cat "$work/target.out")"
[ "$(q -c "SELECT count(*) FROM dbmigrate_history()")" = 0 ] || fail "refusals changed the history"

# up to 2, then the rest
q -c "CALL dbmigrate_run('2')" > /dev/null 2>&1 || fail "run to 2"
[ "$(q -c "SELECT dbmigrate_current()")" = 2 ] || fail "current after run('2')"
"$B/psql" -X -q -d $db -c "CALL dbmigrate_run()" > "$work/run.out" 2>&1 || { cat "$work/run.out"; fail "run"; }
grep -q 'applied 1 migration' "$work/run.out" || fail "run notice: $(cat "$work/run.out")"
[ "$(q -c "SELECT m FROM feelings")" = great ] || fail "third migration not applied"
[ "$(q -c "SELECT count(*) FROM dbmigrate_history() WHERE direction = 'up' AND success AND fingerprint IS NOT NULL")" = 3 ] \
  || fail "history: $(q -c 'SELECT * FROM dbmigrate_history()')"
[ "$(q -c "SELECT count(*) FROM dbmigrate_validate()")" = 0 ] || fail "validate: $(q -c 'SELECT * FROM dbmigrate_validate()')"

# the lock is held between the commits: a session that looks while the
# second of two slow migrations runs finds it taken at session level
q -c "SELECT dbmigrate_add('4', 'slow a', 'SELECT pg_sleep(1.5)')" \
  -c "SELECT dbmigrate_add('5', 'slow b', 'SELECT pg_sleep(1.5)')" > /dev/null
"$B/psql" -X -q -d $db -c "CALL dbmigrate_run()" > "$work/slow.out" 2>&1 &
runner=$!
# "current held" in one statement, until 4 is committed (bounded: a loaded
# machine starts psql late); the second migration sleeps 1.5 s meanwhile
for _ in $(seq 1 1200); do
  seen=$(q -c "SELECT dbmigrate_current() || ' ' || (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid() AND classid::bigint = (x'64626361')::bigint)")
  case "$seen" in 4\ *|5\ *) break ;; esac
  sleep 0.05
done
case "$seen" in 4\ *) ;; *) fail "the first slow migration is not seen committed while the second runs: $seen" ;; esac
wait $runner || { cat "$work/slow.out"; fail "slow run"; }
[ "${seen#4 }" -ge 1 ] || fail "lock not held between the commits"

# a cancel during a step: the lock is released as well
q -c "SELECT dbmigrate_add('6', 'slow c', 'SELECT pg_sleep(3)')" > /dev/null
"$B/psql" -X -q -d $db -c "SET statement_timeout = 400" -c "CALL dbmigrate_run()" \
  -c "SELECT 'locks=' || count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()" > "$work/cancel.out" 2>&1 || true
grep -q 'statement timeout' "$work/cancel.out" || fail "cancel: $(cat "$work/cancel.out")"
grep -q 'locks=0' "$work/cancel.out" || fail "lock kept after the cancel: $(cat "$work/cancel.out")"
[ "$(q -c "SELECT dbmigrate_current()")" = 5 ] || fail "current after the cancel"

# a failure: the steps before it stay committed, the lock is released
q -c "SELECT dbmigrate_add('6', 'fine', 'CREATE TABLE six (x int)')" \
  -c "SELECT dbmigrate_add('7', 'broken', 'INSERT INTO nowhere VALUES (1)')" > /dev/null
"$B/psql" -X -q -d $db -c "CALL dbmigrate_run()" \
  -c "SELECT 'locks=' || count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()" > "$work/fail.out" 2>&1 || true
grep -q 'migration 7 (broken) failed' "$work/fail.out" || fail "failure: $(cat "$work/fail.out")"
grep -q 'locks=0' "$work/fail.out" || fail "lock kept after the failure: $(cat "$work/fail.out")"
[ "$(q -c "SELECT dbmigrate_current()")" = 6 ] || fail "current after the failure"
[ "$(q -c "SELECT pg_try_advisory_lock(x'6462636172650001'::bigint)")" = t ] || fail "another session cannot take the lock"
echo "dbmigrate_run: ok"
"$B/psql" -X -q -d postgres -c "DROP DATABASE $db"
