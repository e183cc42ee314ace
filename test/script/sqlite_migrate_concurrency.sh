#!/usr/bin/env bash
# Four sqlite3 processes apply the same 20 migrations at once: SQLite's write
# lock is the migration lock, so each migration runs exactly once, the
# applied counts add up to 20, and nobody deadlocks. Rollback-journal and WAL.
set -eu
mod="${DBCARE_SQLITE_MODULE:?}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

for mode in delete wal; do
  db="$work/race-$mode.db"
  q() { sqlite3 -batch -cmd ".load $mod" -cmd ".timeout 30000" "$db" "$@"; }
  q "PRAGMA journal_mode = $mode;" > /dev/null
  q "CREATE TABLE runs (version INTEGER);"
  for i in $(seq 1 20); do
    q "SELECT dbmigrate_add('$i', 'step $i', 'CREATE TABLE t$i (x);
INSERT INTO t$i SELECT value FROM generate_series(1, 3000);
INSERT INTO runs VALUES ($i);');" > /dev/null
  done
  pids=()
  for p in 1 2 3 4; do
    q "SELECT dbmigrate_apply();" > "$work/$mode-$p.out" 2>&1 &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || true; done
  total=0
  for p in 1 2 3 4; do
    out=$(cat "$work/$mode-$p.out")
    if [[ "$out" =~ ^[0-9]+$ ]]; then
      total=$((total + out))
    else
      # the only acceptable failure is a clear busy error
      grep -q 'database is locked' <<<"$out" || fail "$mode process $p: $out"
    fi
  done
  [ "$total" = 20 ] || fail "$mode: applied counts add up to $total, not 20"
  [ "$(q "SELECT count(*) || '/' || count(DISTINCT version) FROM runs")" = "20/20" ] || fail "$mode: runs $(q 'SELECT count(*) FROM runs')"
  [ "$(q "SELECT count(*) FROM dbmigrate_history WHERE direction = 'up' AND success")" = 20 ] || fail "$mode: history"
  [ "$(q "SELECT dbmigrate_current()")" = 20 ] || fail "$mode: current"
  echo "$mode: 4 processes, 20 migrations, each once (counts: $(cat "$work"/$mode-*.out | tr '\n' ' '))"
done

# An application's dbmigrate_assert while another process registers and
# applies 21 (WAL: its transaction is not visible yet) fails, and its hint
# says a run in progress is not seen until it commits.
db="$work/assert-during-run.db"
q() { sqlite3 -batch -cmd ".load $mod" "$db" "$@"; }
q "PRAGMA journal_mode = wal;" > /dev/null
(echo "BEGIN;"; echo "SELECT dbmigrate_add('21', 'step', 'CREATE TABLE t21 (x);');"
 echo "SELECT dbmigrate_apply();"; sleep 2; echo "COMMIT;") |
  sqlite3 -batch -bail -cmd ".load $mod" "$db" > "$work/run.out" 2>&1 &
runner=$!
sleep 0.5
if q "SELECT dbmigrate_assert('21');" > "$work/assert.out" 2>&1; then fail "assert passed during the run"; fi
grep -q 'application needs 21 or later' "$work/assert.out" || fail "assert during the run: $(cat "$work/assert.out")"
grep -q 'A migration run in another session is not visible until it commits: if one is in progress, try again when it ends' \
  "$work/assert.out" || fail "assert hint during the run: $(cat "$work/assert.out")"
wait "$runner" || fail "the run: $(cat "$work/run.out")"
[ "$(q "SELECT dbmigrate_assert('21');")" = 1 ] || fail "assert after the run"
echo "wal: an assert during another process's run says it may be in progress"
