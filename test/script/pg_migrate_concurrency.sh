#!/usr/bin/env bash
# Eight psql sessions apply the same 20 migrations at once: the advisory lock
# serialises them, each migration runs exactly once and nobody deadlocks; at
# REPEATABLE READ a waiter refuses with 40001 instead of re-applying; a
# waiter gives up after migrate.lock_timeout_ms with 55P03; an application's
# dbmigrate_assert during a run it cannot see yet says a run is in progress,
# not "register the migration".
set -eu
PSQL="${PG_BIN:?}/psql"
db=dbcare_migrate_race
q() { "$PSQL" -X -q -At -v ON_ERROR_STOP=1 -d "$db" "$@"; }
fail() { echo "FAIL: $*"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

setup() {
  "$PSQL" -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
  q -c "SET client_min_messages = warning" -c "CREATE EXTENSION dbcare" -c "CREATE TABLE runs (version int)"
  for i in $(seq 1 20); do
    q -c "SELECT dbmigrate_add('$i', 'step $i', 'CREATE TABLE t$i (x int);
INSERT INTO t$i SELECT generate_series(1, 1000);
SELECT pg_sleep(0.01);
INSERT INTO runs VALUES ($i);')" > /dev/null
  done
}

check_once() { # label
  [ "$(q -c "SELECT count(*) || '/' || count(DISTINCT version) FROM runs")" = "20/20" ] ||
    fail "$1: runs $(q -c 'SELECT count(*) FROM runs')"
  [ "$(q -c "SELECT count(*) FROM dbmigrate_history() WHERE direction = 'up' AND success")" = 20 ] || fail "$1: history"
  [ "$(q -c "SELECT dbmigrate_current()")" = 20 ] || fail "$1: current"
}

# READ COMMITTED: the losers wait, then find nothing left to do.
setup
pids=()
for s in $(seq 1 8); do
  q -c "SELECT dbmigrate_apply()" > "$work/rc-$s.out" 2>&1 &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || true; done
total=0
for s in $(seq 1 8); do
  out=$(cat "$work/rc-$s.out")
  [[ "$out" =~ ^[0-9]+$ ]] || fail "read committed session $s: $out"
  total=$((total + out))
done
[ "$total" = 20 ] || fail "read committed: counts add up to $total"
check_once "read committed"
echo "read committed: 8 sessions, 20 migrations, each once ($(cat "$work"/rc-*.out | tr '\n' ' '))"

# REPEATABLE READ: each session's snapshot predates the winner's commit.
setup
pids=()
for s in $(seq 1 8); do
  q -c "BEGIN ISOLATION LEVEL REPEATABLE READ" -c "SELECT count(*) FROM dbcare.migrations_history" \
    -c "SELECT dbmigrate_apply()" -c "COMMIT" > "$work/rr-$s.out" 2>&1 &
  pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || true; done
total=0
for s in $(seq 1 8); do
  out=$(tail -n 1 "$work/rr-$s.out")
  if [[ "$out" =~ ^[0-9]+$ ]]; then
    total=$((total + out))
  else
    grep -q 'another session changed the migrations' "$work/rr-$s.out" || fail "repeatable read session $s: $(cat "$work/rr-$s.out")"
  fi
done
[ "$total" = 20 ] || fail "repeatable read: counts add up to $total"
check_once "repeatable read"
echo "repeatable read: each once, waiters refused clearly"

# Waits until a run in another session holds the migration lock (an
# advisory lock), for up to 60 s (a loaded machine starts psql slowly).
wait_run_lock() {
  for _ in $(seq 1 1200); do
    [ "$(q -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")" != 0 ] && return
    sleep 0.05
  done
  fail "no run took the migration lock in 60 s"
}

# A bounded wait: the lock holder sleeps, the waiter gives up with 55P03.
q -c "SELECT dbcare_set('migrate.lock_timeout_ms', '200')" > /dev/null
q -c "SELECT dbmigrate_add('21', 'slow', 'SELECT pg_sleep(2)')" > /dev/null
q -c "SELECT dbmigrate_apply()" > "$work/holder.out" 2>&1 &
holder=$!
wait_run_lock
if q -v VERBOSITY=verbose -c "SELECT dbmigrate_apply()" > "$work/waiter.out" 2>&1; then fail "waiter did not time out"; fi
grep -q '55P03' "$work/waiter.out" || fail "waiter: $(cat "$work/waiter.out")"
grep -q 'could not obtain the migration lock within 200 ms' "$work/waiter.out" || fail "waiter message"
wait "$holder"
[ "$(cat "$work/holder.out")" = 1 ] || fail "holder: $(cat "$work/holder.out")"
echo "lock timeout: 55P03 after 200 ms"

# An assert while another session's run (registering and applying 22) has
# not committed: the version is unseen, and the hint says why.
q -c "BEGIN" -c "SELECT dbmigrate_add('22', 'slow', 'SELECT pg_sleep(3)')" \
  -c "SELECT dbmigrate_apply()" -c "COMMIT" > "$work/run.out" 2>&1 &
runner=$!
wait_run_lock
if q -c "SELECT dbmigrate_assert('22')" > "$work/assert.out" 2>&1; then fail "assert passed during the run"; fi
grep -q 'HINT:  A migration run holds the migration lock in another session' "$work/assert.out" ||
  fail "assert during a run: $(cat "$work/assert.out")"
! grep -q 'register the migration' "$work/assert.out" || fail "assert hint: $(cat "$work/assert.out")"
wait "$runner"
q -c "SELECT dbmigrate_assert('22')" > /dev/null || fail "assert after the run"
if q -c "SELECT dbmigrate_assert('23')" > "$work/assert.out" 2>&1; then fail "assert of 23 passed"; fi
grep -q 'HINT:  No migration is pending: register the migration of version 23' "$work/assert.out" ||
  fail "assert with no run: $(cat "$work/assert.out")"
echo "assert during a run: the hint says a run is in progress"

# The same with the version registered (committed) before the run: it is
# pending as the assert sees it, and the hint still says a run holds the
# lock (not "apply the pending migrations", which would start a second run).
q -c "SELECT dbmigrate_add('24', 'slow registered', 'SELECT pg_sleep(2)')" > /dev/null
q -c "SELECT dbmigrate_apply()" > "$work/run.out" 2>&1 &
runner=$!
wait_run_lock
if q -c "SELECT dbmigrate_assert('24')" > "$work/assert.out" 2>&1; then fail "assert of 24 passed during the run"; fi
grep -q 'HINT:  A migration run holds the migration lock in another session' "$work/assert.out" ||
  fail "assert of a pending version during a run: $(cat "$work/assert.out")"
! grep -q 'dbmigrate_apply()' "$work/assert.out" || fail "assert hint tells to apply: $(cat "$work/assert.out")"
wait "$runner" || fail "the run of 24: $(cat "$work/run.out")"
if q -c "SELECT dbmigrate_add('25', 'later', 'SELECT 1')" -c "SELECT dbmigrate_assert('25')" > "$work/assert.out" 2>&1; then
  fail "assert of 25 passed"
fi
grep -q 'HINT:  Apply the pending migrations: SELECT dbmigrate_apply().' "$work/assert.out" ||
  fail "assert of a pending version with no run: $(cat "$work/assert.out")"
echo "assert of a pending version during a run: the hint says a run holds the lock"
"$PSQL" -X -q -d postgres -c "DROP DATABASE $db"
