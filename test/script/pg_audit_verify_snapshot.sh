#!/usr/bin/env bash
# dbaudit_verify (and the health check audit in full mode) walks the log,
# then reads each chain's head. Each read took a snapshot of its own, so a
# writer committing between them made a head name entries the walk had not
# seen: "the newest entries of the chain ... were deleted", a critical
# tampering report under ordinary concurrent writes at READ COMMITTED. Here
# a writer holds the heads' table while the walk runs, then writes and
# commits before the heads are read. Both reads now share one snapshot.
set -eu
db=dbcare_audit_verify_snapshot
. "$(dirname "$0")/lib/pg.sh"
fresh_db

q -c "SELECT dbcare_set('audit.hash_chain', 'on')" \
  -c "CREATE TABLE t (id int PRIMARY KEY, v int)" -c "SELECT dbaudit_enable('t')" \
  -c "INSERT INTO t SELECT g, g FROM generate_series(1, 100) g" >/dev/null
[ "$(q -c "SELECT count(*) FROM dbaudit_verify() WHERE problem IS NULL")" = 1 ] ||
  fail "not clean before: $(q -c "SELECT * FROM dbaudit_verify()")"

# checks: verify or the full report, each in a session of its own (so its
# statements are planned afresh) while the writer holds the heads' table
check() {
  long_lived_session
  s "BEGIN; LOCK TABLE dbcare.audit_chain IN ACCESS EXCLUSIVE MODE;" >/dev/null
  "$B/psql" -X -q -At -d "$db" -c "$1" >"$work/check" 2>&1 &
  local checker=$!
  pids+=("$checker")
  # the check waits for the heads: its walk of the log is done
  for _ in $(seq 1 600); do
    [ "$(q -c "SELECT count(*) FROM pg_locks WHERE relation = 'dbcare.audit_chain'::regclass AND NOT granted")" = 1 ] && break
    sleep 0.05
  done
  [ "$(q -c "SELECT count(*) FROM pg_locks WHERE relation = 'dbcare.audit_chain'::regclass AND NOT granted")" = 1 ] ||
    fail "the check never waited for the heads: $(cat "$work/check")"
  s "INSERT INTO t VALUES ($2, 0); UPDATE t SET v = v + 1 WHERE id = 1; COMMIT;" >/dev/null
  wait "$checker" || fail "the check failed: $(cat "$work/check")"
  exec 3>&-
  rm -f "$work/in" "$work/out"
}

check "SELECT coalesce(problem, 'clean') FROM dbaudit_verify()" 1001
[ "$(cat "$work/check")" = clean ] || fail "verify reported a concurrent write as tampering: $(cat "$work/check")"
check "SELECT c->>'status' FROM jsonb_array_elements(dbhealth_report('full')->'checks') c WHERE c->>'name' = 'audit'" 1002
[ "$(cat "$work/check")" = ok ] || fail "the full report's audit check: $(cat "$work/check")"
[ "$(q -c "SELECT coalesce(problem, 'clean') FROM dbaudit_verify()")" = clean ] || fail "not clean after"
echo "ok: verify reads the log and the heads under one snapshot"
