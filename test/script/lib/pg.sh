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
  # a test that crashed a backend leaves the cluster in recovery: wait for it,
  # so that the database is dropped and the next test finds the cluster up
  wait_ready 300 || true
  "$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# wait_ready [tenths]: until the cluster accepts queries again (after a backend
# crash the postmaster restarts every backend and replays the WAL).
wait_ready() {
  for _ in $(seq 1 "${1:-600}"); do
    "$B/psql" -X -q -At -d postgres -c "SELECT 1" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}
# load_sample NAME: builds a sample database (pagila, chinook, northwind:
# test/fixtures/sample/NAME.pg.sql, real table shapes, generated data of
# 100,000-row tables) in $db, in a few seconds.
load_sample() {
  q -f "$(cd "$(dirname "${BASH_SOURCE[0]}")/../../fixtures/sample" && pwd)/$1.pg.sql" >/dev/null
}
q() { "$B/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$db" "$@"; }
# fresh_copy NAME: a new database NAME with the extension in it: a copy of
# dbcare_fresh, the database test/harness/pg_suite.sh makes once a cluster
# with CREATE EXTENSION dbcare in it and its identity row taken out (a copy
# costs half of CREATE EXTENSION's CPU), given an identity of its own as
# CREATE EXTENSION makes one, so no two fresh databases share theirs. Where
# the copy cannot be made (a cluster without that database, a user who may
# not copy it), CREATE EXTENSION itself.
fresh_copy() {
  if "$B/psql" -X -q -d postgres -c "CREATE DATABASE $1 TEMPLATE dbcare_fresh" 2>/dev/null; then
    "$B/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "INSERT INTO dbcare.database_identity (identity)
      VALUES (pg_catalog.replace(pg_catalog.gen_random_uuid()::text, '-', ''))" >/dev/null
    return
  fi
  "$B/psql" -X -q -d postgres -c "CREATE DATABASE $1"
  "$B/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "SET client_min_messages = warning" -c "CREATE EXTENSION dbcare"
}
# owned_db ROLE [DB...]: $db made anew, owned by ROLE (a new LOGIN role,
# no other attribute), with the extension made in it by the superuser;
# on exit $db, each DB named and then the role are dropped. A test of what
# a table owner's code may do when an administrator works on its
# database.
owned_db() {
  owner=$1
  shift
  owned_extra=("$@")
  "$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "DROP ROLE IF EXISTS $owner" \
    -c "CREATE ROLE $owner LOGIN" -c "CREATE DATABASE $db OWNER $owner" >/dev/null
  trap drop_owned_db EXIT
  q -c "SET client_min_messages = warning" -c "CREATE EXTENSION dbcare" >/dev/null
}
drop_owned_db() {
  cleanup
  for d in "${owned_extra[@]}"; do
    "$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS \"$d\"" >/dev/null 2>&1 || true
  done
  "$B/psql" -X -q -d postgres -c "DROP ROLE IF EXISTS $owner" >/dev/null 2>&1 || true
}
# A fresh database $db with the extension in it.
fresh_db() {
  "$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" 2>/dev/null
  fresh_copy "$db"
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
