#!/usr/bin/env bash
# A cancel or statement timeout inside a health check ends the report with
# 57014 at once: it is never turned into that check's "error" row while the
# report goes on and returns late. (A lock_timeout fails the one check that
# met it: test/script/pg_health_isolation.sh.)
#
# To land the interrupt inside a check on any machine, a second session holds
# an ACCESS EXCLUSIVE lock on a table while the reports run: the schema read
# of the first catalog check (foreign_keys_enforced, in every mode) waits for
# that lock until the timeout or the cancel comes. Before each report a
# committed DDL changes the catalog, so the schema is read, not cached.
set -eu
db=dbcare_health_cancel
. "$(dirname "$0")/lib/pg.sh"

fresh_db
q -c "CREATE TABLE base (id int PRIMARY KEY, v int CHECK (v > 0))" \
  -c "CREATE VIEW base_view AS SELECT id FROM base" >/dev/null

# the holder: the lock until the test ends it (no call may wait it out)
"$B/psql" -X -q -d $db >"$work/holder.out" 2>&1 <<'SQL' &
BEGIN;
LOCK TABLE base IN ACCESS EXCLUSIVE MODE;
SELECT pg_sleep(600);
COMMIT;
SQL
pids+=($!)
for _ in $(seq 1 1200); do
  [ "$(q -c "SELECT count(*) FROM pg_locks WHERE relation = 'base'::regclass AND mode = 'AccessExclusiveLock' AND granted")" = 1 ] && break
  sleep 0.05
done
[ "$(q -c "SELECT count(*) FROM pg_locks WHERE relation = 'base'::regclass AND mode = 'AccessExclusiveLock' AND granted")" = 1 ] ||
  fail "the holder never took its lock: $(cat "$work/holder.out")"

n=0
for call in "dbhealth_report('quick')" "dbhealth_report('full')" \
            "(SELECT count(*) FROM dbhealth_checks('standard'))" "dbhealth_score('full')" \
            "dbhealth_metrics('standard')"; do
  for t in 100 300; do
    n=$((n + 1))
    out=$("$B/psql" -X -q -At -d $db 2>&1 <<SQL
CREATE TABLE churn_$n ();
SELECT clock_timestamp() AS t0 \\gset
SET statement_timeout = $t;
SELECT 'returned:' || ($call)::text;
\\echo code=:SQLSTATE
SET statement_timeout = 0;
SELECT 'took:' || (clock_timestamp() - :'t0'::timestamptz < interval '5 s');
SELECT 'alive';
SQL
)
    grep -q '^code=57014$' <<<"$out" || fail "$call with statement_timeout $t ms: not 57014: $out"
    grep -q 'canceling statement due to statement timeout' <<<"$out" || fail "$call: $out"
    ! grep -q '^returned:' <<<"$out" || fail "$call with statement_timeout $t ms returned: $out"
    grep -qx alive <<<"$out" || fail "$call: the session did not go on: $out"
    # ended at its timeout, measured in the session: not when the lock went
    grep -qx took:true <<<"$out" || fail "$call with statement_timeout $t ms: not ended at its timeout: $out"
  done
done
[ "$(q -c "SELECT count(*) FROM pg_locks WHERE relation = 'base'::regclass AND mode = 'AccessExclusiveLock' AND granted")" = 1 ] ||
  fail "the lock was released before the calls ended: $(cat "$work/holder.out")"
echo "statement_timeout inside a check: 57014 at once, no report, session usable"

# pg_cancel_backend from a second session while a full report waits inside its check
PGAPPNAME=dbcare_health_victim "$B/psql" -X -q -At -d $db >"$work/cancel.out" 2>&1 <<SQL &
CREATE TABLE churn_cancel ();
SELECT 'returned:' || dbhealth_report('full')::text;
\\echo code=:SQLSTATE
SELECT 'alive';
SQL
victim=$!
pids+=("$victim")
waiting=
for _ in $(seq 1 200); do
  waiting=$(q -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'dbcare_health_victim'
                    AND wait_event_type = 'Lock'")
  [ -n "$waiting" ] && break
  sleep 0.02
done
[ -n "$waiting" ] || fail "the report never waited for the lock: $(cat "$work/cancel.out")"
[ "$(q -c "SELECT pg_cancel_backend($waiting)")" = t ] || fail "pg_cancel_backend"
wait "$victim" || true
grep -q '^code=57014$' "$work/cancel.out" || fail "cancel: not 57014: $(cat "$work/cancel.out")"
grep -q 'canceling statement due to user request' "$work/cancel.out" || fail "cancel: $(cat "$work/cancel.out")"
! grep -q '^returned:' "$work/cancel.out" || fail "the cancelled report returned"
grep -qx alive "$work/cancel.out" || fail "cancel: the session did not go on: $(cat "$work/cancel.out")"
echo "pg_cancel_backend inside a check: 57014, no report, session usable"
q -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database()
        AND pid <> pg_backend_pid()" >/dev/null
echo ok
