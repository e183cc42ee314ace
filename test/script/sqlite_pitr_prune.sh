#!/usr/bin/env bash
# Retention of a point-in-time log (docs/backups.md, "Back to any moment"):
# three captures, each stopped with the database closed (its WAL goes with
# the last connection), give three bases and three stretches. A dry run of
# `dbcare log prune --keep 2` deletes nothing; --apply deletes the oldest
# base and the segments only it needed; a moment of the first stretch is
# then refused with nothing made, moments of the other two still restore
# row for row (and equal to the row counts the log recorded when a segment
# closed after their last commit), and log status lists two stretches.
# --keep is required.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
root="$(cd "$(dirname "$0")/../.." && pwd)"
cli="$root/build/cli/dbcare"
[ -x "$cli" ] || fail "build/cli/dbcare is not built"
db="$work/app.db" log="$work/log"
mkdir "$log"
dbc() { "$cli" "$@" --db "sqlite:$db" --module "$module"; }
sqlite3 "$db" "PRAGMA journal_mode = wal; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)" >/dev/null
stamp() { date -u +'%Y-%m-%d %H:%M:%S.%3N'; }
moments=()
for round in 1 2 3; do
  "$cli" log "$log" --sleep-ms 20 --segment-interval 200ms --db "sqlite:$db" --module "$module" \
    2>>"$work/capture.err" &
  pid=$!
  sleep 0.5
  for i in 1 2 3 4 5; do sqlite3 "$db" "INSERT INTO t (v) VALUES ('r$round-$i')"; done
  sleep 0.4
  moments+=("$(stamp)|$(sqlite3 "$db" "SELECT count(*) FROM t")")
  sleep 0.4
  kill -TERM "$pid"; wait "$pid" || fail "capture round $round: $(cat "$work/capture.err")"
done
[ "$(ls "$log"/base-*.db | wc -l)" = 3 ] || fail "three captures did not make three bases: $(ls "$log")"

out=$(dbc log prune "$log" 2>&1) && fail "prune without --keep ran: $out"
before=$(ls "$log" | sort)
dbc log prune "$log" --keep 2 >"$work/dry" || fail "dry run: $(cat "$work/dry")"
[ "$(ls "$log" | sort)" = "$before" ] || fail "a dry run deleted files"
grep -q "would delete .*base-" "$work/dry" || fail "the dry run does not list the oldest base: $(cat "$work/dry")"
dbc log prune "$log" --keep 2 --apply >"$work/applied" 2>&1 || fail "prune: $(cat "$work/applied")"
[ "$(ls "$log"/base-*.db | wc -l)" = 2 ] || fail "prune --keep 2 left $(ls "$log"/base-*.db | wc -l) bases"
grep -q "would delete" "$work/applied" && fail "--apply only listed"
[ "$(ls "$log"/*.dbclog | wc -l)" -lt "$(grep -c dbclog <<<"$before")" ] || fail "no segment was deleted"

rm -f "$db" "$db-wal" "$db-shm"
for i in 0 1 2; do
  t=${moments[$i]%|*} n=${moments[$i]#*|}
  if "$cli" restore --to-time "$t" "$log" --db "sqlite:$work/r$i.db" --module "$module" >"$work/out" 2>&1; then
    [ "$i" != 0 ] || fail "a moment of the pruned stretch restored"
    [ "$(sqlite3 "$work/r$i.db" "PRAGMA integrity_check; SELECT count(*) FROM t")" = "$(printf 'ok\n%s' "$n")" ] ||
      fail "moment $i: not $n rows"
    # idle after its commits: a segment closed with the row counts of that moment
    grep -q "row counts equal to the log's" "$work/out" || fail "moment $i: no row counts checked: $(cat "$work/out")"
  else
    [ "$i" = 0 ] || fail "moment $i did not restore after the prune: $(cat "$work/out")"
    grep -q "^dbcare: the log in .* begins at" "$work/out" || fail "the pruned moment: $(cat "$work/out")"
    [ ! -e "$work/r$i.db" ] || fail "a refused restore left a file"
  fi
done
[ "$("$cli" log status "$log" --json --db "sqlite:$work/r2.db" --module "$module" |
  python3 -c 'import json,sys; print(len(json.load(sys.stdin)["stretches"]))')" = 2 ] ||
  fail "log status after the prune does not list two stretches"
echo "ok: prune --keep 2 kept two of three stretches, each restoring"
