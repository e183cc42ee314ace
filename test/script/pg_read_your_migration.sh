#!/usr/bin/env bash
# Read-your-migration on a real primary and streaming standby (issue 68,
# docs/migrations.md "Reading your migration on a standby"): a bookmark
# taken on the primary after a migration; on a standby whose replay is
# paused, dbmigrate_wait(bookmark, '1s') times out naming the lag and a
# statement timeout ends a longer wait; once replay resumes the wait returns
# the new version; then 200 probes (migrate a trivial version on the
# primary, bookmark, wait on the standby, read the new table) read nothing
# stale. Also how many of those reads would have been stale without the
# wait (printed: a measure, timing-dependent).
set -eu
db=dbcare_read_your_migration
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/topology.sh"
start=$(date +%s)

# standby_read BOOKMARK SQL: the wait then SQL, in one session, as an
# application reads after a migration. The wait holds its statement's
# snapshot, and a cleanup record the primary wrote (a page prune) is not
# replayed on a standby while an older snapshot is open there (a recovery
# conflict): the wait then times out and the application waits again in a
# new statement (docs/migrations.md). Counted in $work/retries.
# standby_read BOOKMARK SQL [FIRST]: FIRST (a query answering one line) runs
# first in the same session, before the wait; its first answer is written
# to $work/first (the probes ask whether the table is there yet: what a read
# without the wait would have seen, at no psql of its own).
standby_read() {
  local out first=() n=0
  [ -z "${3:-}" ] || first=(-c "$3")
  for _ in 1 2 3 4 5; do
    n=$((n + 1))
    if out=$(S "${first[@]}" -c "SELECT dbmigrate_wait('$1', '2s')" -c "$2" 2>&1); then
      [ -z "${3:-}" ] || { [ "$n" != 1 ] || echo "${out%%$'\n'*}" >"$work/first"; out=${out#*$'\n'}; }
      printf '%s\n' "$out"
      return 0
    fi
    [ -z "${3:-}" ] || { [ "$n" != 1 ] || echo "${out%%$'\n'*}" >"$work/first"; out=${out#*$'\n'}; }
    printf '%s\n' "$out" | grep -q "bytes of WAL behind" || { printf '%s\n' "$out"; return 1; }
    echo x >>"$work/retries"
  done
  printf '%s\n' "$out"
  return 1
}
: >"$work/retries"

migrate() { # VERSION: a table pVERSION holding one row, VERSION
  P -c "SELECT dbmigrate_add('$1', 'p$1', 'CREATE TABLE p$1 (id int); INSERT INTO p$1 VALUES ($1)')" \
    -c "SELECT dbmigrate_apply()" -c "SELECT dbmigrate_bookmark()" | tail -n 1
}

bm1=$(migrate 1)
[[ "$bm1" =~ ^1@[0-9A-F]+/[0-9A-F]+$ ]] || fail "the bookmark is not VERSION@LSN: $bm1"
# on the primary a wait returns at once: it wrote what the bookmark saw
[ "$(P -c "SELECT dbmigrate_wait('$bm1', '0')")" = 1 ] || fail "the wait on the primary"
topo_caught_up
[ "$(S -c "SELECT dbmigrate_wait('$bm1', '1s')")" = 1 ] || fail "the wait on a caught-up standby"
[ "$(S -c "SELECT dbmigrate_assert('1', '$bm1')")" = t ] || fail "the assert with a bookmark"
# a bookmark taken on the standby: what it has replayed
[[ "$(S -c "SELECT dbmigrate_bookmark()")" =~ ^1@ ]] || fail "the bookmark on the standby"

# replay paused: the migration is not visible there, the wait says so
S -c "SELECT pg_wal_replay_pause()" >/dev/null
for _ in $(seq 1 100); do
  [ "$(S -c "SELECT pg_get_wal_replay_pause_state()")" = paused ] && break
  sleep 0.05
done
bm2=$(migrate 2)
t0=$(date +%s%N)
S -c "SELECT dbmigrate_wait('$bm2', '1s')" >"$work/wait.out" 2>&1 && fail "the wait returned: $(cat "$work/wait.out")"
ms=$((($(date +%s%N) - t0) / 1000000))
grep -q "ERROR:  dbcare: this standby has not replayed bookmark $bm2 after [0-9]* ms: it has replayed to [0-9A-F]*/[0-9A-F]*, [1-9][0-9]* bytes of WAL behind" \
  "$work/wait.out" || fail "the timeout does not name the lag: $(cat "$work/wait.out")"
grep -q "pg_is_wal_replay_paused" "$work/wait.out" || fail "no hint: $(cat "$work/wait.out")"
[ "$ms" -ge 1000 ] && [ "$ms" -lt 5000 ] || fail "the 1 s wait took $ms ms"
S -c "SELECT dbmigrate_assert('2', '$bm2', '200ms')" >"$work/assert.out" 2>&1 && fail "the assert passed while paused"
grep -q "bytes of WAL behind" "$work/assert.out" || fail "the assert did not wait: $(cat "$work/assert.out")"
[ "$(S -c "SELECT dbmigrate_current()")" = 1 ] || fail "the paused standby shows another version"
# a statement timeout (as a cancel) ends a longer wait at once
t0=$(date +%s%N)
S -c "SET statement_timeout = '300ms'" -c "SELECT dbmigrate_wait('$bm2', '1min')" >"$work/cancel.out" 2>&1 &&
  fail "the wait outlived its statement timeout"
ms=$((($(date +%s%N) - t0) / 1000000))
grep -q "canceling statement due to statement timeout" "$work/cancel.out" || fail "not cancelled: $(cat "$work/cancel.out")"
[ "$ms" -lt 3000 ] || fail "the cancel took $ms ms"

# resumed: a wait under way returns the new version
standby_read "$bm2" "SELECT id FROM p2" >"$work/resumed.out" 2>&1 &
waiter=$!
sleep 0.5
kill -0 "$waiter" 2>/dev/null || fail "the wait returned while paused: $(cat "$work/resumed.out")"
S -c "SELECT pg_wal_replay_resume()" >/dev/null
t0=$(date +%s%N)
wait "$waiter" || fail "the wait failed after resume: $(cat "$work/resumed.out")"
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$(cat "$work/resumed.out" | tr '\n' ' ')" = "2 2 " ] ||
  fail "the wait and read returned $(cat "$work/resumed.out"), not version 2 and its table"
[ "$ms" -lt 5000 ] || fail "the wait took $ms ms after resume"

# 200 probes: each reads its own migration's table through the standby,
# which applies each commit 50 ms late (recovery_min_apply_delay, the
# setting this part studies: a lag a read right after the migration meets)
echo "recovery_min_apply_delay = '50ms'" >>"$topo/standby/postgresql.auto.conf"
S -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.2
stale=0 unwaited=0
for v in $(seq 3 202); do
  bm=$(migrate "$v")
  : >"$work/first"
  out=$(standby_read "$bm" "SELECT id FROM p$v" "SELECT to_regclass('p$v') IS NOT NULL") || true
  seen=; read -r seen <"$work/first" || true
  [ "$seen" = t ] || unwaited=$((unwaited + 1))
  [ "$(printf '%s\n' "$out" | tr '\n' ' ')" = "$v $v " ] || {
    stale=$((stale + 1))
    echo "probe $v: $out"
  }
done
echo "200 probes: $stale stale reads; $unwaited would have been stale without the wait;" \
  "$(wc -l <"$work/retries") waits again after a recovery conflict"
[ "$stale" = 0 ] || fail "$stale stale reads"
# the probe can see a stale read: without the wait some reads would be
[ "$unwaited" -gt 0 ] || fail "no read would have been stale without the wait: the probe proves nothing"
echo "pg_read_your_migration: $(($(date +%s) - start)) s"
