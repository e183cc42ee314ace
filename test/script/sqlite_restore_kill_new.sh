#!/usr/bin/env bash
# A `dbcare restore` into a new database killed (SIGKILL) at random points,
# 24 times from a backup file and 24 times from a point-in-time log
# (--to-time): each kill leaves either no database at the target's name
# (no file, no -journal, no -wal) or the whole restored one, equal to the
# source row for row; never an empty or half-written file that the next
# restore refuses ("not empty") or fails on. After a kill that left
# nothing, the next restore succeeds and deletes what the killed one left
# beside the target (its staging file, journal and image).
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/built_cli.sh"
. "$(dirname "$0")/lib/restore_sources.sh"
cd "$work"
unset DATABASE_URL
export DBCARE_MODULE="$module"
restore_sources 40000 200 "(x'01'), (x'02')"
want_file=$(sqlite3 full.db ".sha3sum t")
want_log=$(sqlite3 "$db" ".sha3sum t")

target="$work/new.db"
nothing_at_target() { [ ! -e "$target" ] && [ ! -e "$target-journal" ] && [ ! -e "$target-wal" ]; }
leftovers() { find "$work" -maxdepth 1 -name 'new.db?*' | sort; }

# kill_rounds KIND WANT ARGS...: 24 restores of ARGS into $target, each
# killed after a random delay up to 1.5 times an uninterrupted one's.
kill_rounds() {
  local kind=$1 want=$2; shift 2
  rm -f "$target"*
  local t0 t1 ms
  t0=$(date +%s%N)
  "$cli" restore "$@" --db "sqlite:$target" >/dev/null 2>&1 || fail "$kind: the restore failed"
  t1=$(date +%s%N)
  ms=$(( (t1 - t0) / 1000000 * 3 / 2 + 1 ))
  local whole=0 none=0
  for round in $(seq 1 24); do
    rm -f "$target"*
    "$cli" restore "$@" --db "sqlite:$target" >/dev/null 2>&1 &
    local pid=$!
    sleep "$(awk -v r=$RANDOM -v ms=$ms 'BEGIN { printf "%.3f", r / 32768 * ms / 1000 }')"
    kill -9 $pid 2>/dev/null || true
    wait $pid 2>/dev/null || true
    if nothing_at_target; then
      none=$((none + 1))
      "$cli" restore "$@" --db "sqlite:$target" >out 2>&1 ||
        fail "$kind, kill $round: the next restore failed: $(cat out)"
      [ -z "$(leftovers)" ] || fail "$kind, kill $round: the next restore left $(leftovers)"
    else
      [ -s "$target" ] && [ ! -e "$target-journal" ] ||
        fail "$kind, kill $round: an empty or unfinished database at the target ($(ls -la "$target"*))"
      whole=$((whole + 1))
    fi
    [ "$(sqlite3 "$target" ".sha3sum t")" = "$want" ] ||
      fail "$kind, kill $round: the restored rows differ from the source's"
    [ "$(sqlite3 "$target" "PRAGMA integrity_check")" = ok ] || fail "$kind, kill $round: integrity_check"
  done
  echo "$kind: 24 kills, $none left nothing (the next restore succeeded), $whole the whole database"
  [ $none -gt 0 ] || fail "$kind: no kill came before the restore ended"
}
kill_rounds "restore FILE" "$want_file" "$work/full.db"
kill_rounds "restore --to-time" "$want_log" --to-time latest "$work/log"
