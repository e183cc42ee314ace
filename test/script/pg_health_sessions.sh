#!/usr/bin/env bash
# A second session left idle inside an open transaction raises
# idle_in_transaction (named by its pid) and clears once it ends; the
# Prometheus text of dbhealth_metrics() passes promtool check metrics on a
# healthy and on a troubled database (the test fails when promtool is missing).
set -eu
PSQL="${PG_BIN:?}/psql"
db=dbcare_health_sessions
q() { "$PSQL" -X -q -At -v ON_ERROR_STOP=1 -d "$db" "$@"; }
fail() { echo "FAIL: $*"; exit 1; }
work=$(mktemp -d)
holder=
cleanup() {
  [ -n "$holder" ] && kill "$holder" 2>/dev/null && wait "$holder" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

"$PSQL" -X -q -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
q -c "SET client_min_messages = warning" -c "CREATE EXTENSION dbcare"
q -c "SELECT dbcare_set('health.idle_in_transaction.warn', '0')" > /dev/null
status() { q -c "SELECT status FROM dbhealth_checks('quick') WHERE name = 'idle_in_transaction'"; }
[ "$(status)" = ok ] || fail "idle_in_transaction is $(status) before any idle session"

# The holder opens a transaction and then waits for input that never comes
# (the fifo stays open) until it is killed.
mkfifo "$work/in"
"$PSQL" -X -q -At -d "$db" < "$work/in" > "$work/holder.out" 2>&1 &
holder=$!
exec 3> "$work/in"
echo "BEGIN; SELECT pg_backend_pid();" >&3
pid=
for _ in $(seq 1 100); do
  pid=$(head -n 1 "$work/holder.out" 2>/dev/null || true)
  [ -n "$pid" ] && break
  sleep 0.1
done
[ -n "$pid" ] || fail "the holder session did not start"
sleep 1.2
[ "$(status)" = warning ] || fail "idle_in_transaction is $(status) with session $pid idle in a transaction"
msg=$(q -c "SELECT message FROM dbhealth_checks('quick') WHERE name = 'idle_in_transaction'")
case "$msg" in
  *"pid $pid "*) ;;
  *) fail "the message does not name pid $pid: $msg" ;;
esac
echo "idle in transaction: $msg"

echo "COMMIT;" >&3
for _ in $(seq 1 50); do
  [ "$(status)" = ok ] && break
  sleep 0.1
done
[ "$(status)" = ok ] || fail "idle_in_transaction is still $(status) after COMMIT"
exec 3>&-
wait "$holder" || true
holder=
echo "cleared after COMMIT"

# Prometheus text exposition, checked by promtool.
if ! command -v promtool > /dev/null; then
  echo "FAIL: promtool is not installed (make bootstrap)"
  exit 1
fi
q -c "SELECT dbhealth_metrics()" > "$work/healthy.prom"
promtool check metrics < "$work/healthy.prom"
grep -q '^dbcare_health_score{engine="postgresql",database="'"$db"'"} [0-9]*$' "$work/healthy.prom" ||
  fail "healthy score line missing: $(grep '^dbcare_health_score' "$work/healthy.prom")"
q -c 'CREATE TABLE "odd ""name" (a int, b int)' \
  -c 'CREATE INDEX i1 ON "odd ""name" (a)' -c 'CREATE INDEX i2 ON "odd ""name" (a)'
q -c "SELECT dbhealth_metrics('full')" > "$work/troubled.prom"
promtool check metrics < "$work/troubled.prom"
grep -q '^dbcare_health_check_status{.*check="duplicate_indexes"} 1$' "$work/troubled.prom" ||
  fail "duplicate_indexes is not reported as warning"
grep -q '^# TYPE dbcare_database_size_bytes gauge$' "$work/troubled.prom" || fail "no size gauge"
echo "promtool: healthy and troubled metrics pass"
"$PSQL" -X -q -d postgres -c "DROP DATABASE $db"
