# pg.sh — the prelude every PostgreSQL script test shares (sourced, not run).
# Needs PG_BIN, PGHOST, PGPORT (set by test/harness/pg_suite.sh) and $db.
B="${PG_BIN:?}"
: "${db:?set db before sourcing lib/pg.sh}"
fail() { echo "FAIL: $*"; exit 1; }
work=$(mktemp -d)
# Background processes to stop on exit (a test appends their pids).
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  "$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
q() { "$B/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$db" "$@"; }
# A fresh database with the extension in it.
fresh_db() {
  "$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" 2>/dev/null
  "$B/psql" -X -q -d postgres -c "CREATE DATABASE $db"
  q -c "SET client_min_messages = warning" -c "CREATE EXTENSION dbcare"
}
# long_lived_session: one psql session kept open for the whole test (psql
# reading from a fifo); then `s SQL...` prints that session's output of those
# statements, each request ended by a marker line so its answer can be read
# back.
long_lived_session() {
  mkfifo "$work/in"
  "$B/psql" -X -q -At -v ON_ERROR_STOP=0 -d "$db" < "$work/in" > "$work/out" 2>&1 &
  pids+=($!)
  exec 3> "$work/in"
  echo 0 > "$work/seq"
}
s() {
  local n start end
  n=$(($(cat "$work/seq") + 1))
  echo "$n" > "$work/seq"
  printf '%s\n\\echo __done_%s\n' "$*" "$n" >&3
  for _ in $(seq 1 1200); do
    grep -qx "__done_$n" "$work/out" && break
    sleep 0.05
  done
  end=$(grep -nx "__done_$n" "$work/out" | cut -d: -f1)
  [ -n "$end" ] || fail "the session did not answer: $*"
  start=0
  [ "$n" = 1 ] || start=$(grep -nx "__done_$((n - 1))" "$work/out" | cut -d: -f1)
  sed -n "$((start + 1)),$((end - 1))p" "$work/out"
}
