#!/usr/bin/env bash
# Retention of a point-in-time log (docs/backups.md, "Back to any moment"):
# three captures, each stopped with the database closed (its WAL goes with
# the last connection), give three bases and three stretches. A dry run of
# `dbcare log prune --keep 2` deletes nothing; --apply deletes the oldest
# base and the segments only it needed; a moment of the first stretch is
# then refused with nothing made, moments of the other two still restore
# row for row (and equal to the row counts the log recorded when a segment
# closed after their last commit), and log status lists stretches of
# two bases (a capture's stretches split between polls that read commits).
# --keep-for SPAN keeps what restores any moment of the last SPAN: the
# newest base before it and every later one, with their segments; on a
# copy, a span reaching back before the second base deletes nothing, one
# beginning between the second and third deletes the first base and its
# segments, and the second moment (older than the span) still restores.
# --keep or --keep-for is required.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/built_cli.sh"
db="$work/app.db" log="$work/log"
mkdir "$log"
dbc() { "$cli" "$@" --db "sqlite:$db" --module "$module"; }
sqlite3 "$db" "PRAGMA journal_mode = wal; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)" >/dev/null
stamp() { date -u +'%Y-%m-%d %H:%M:%S.%3N'; }
moments=()
# made here: each capture appends to it once it gets to run, and the wait
# below reads it before then
: >"$work/capture.err"
for round in 1 2 3; do
  "$cli" log "$log" --sleep-ms 20 --segment-interval 200ms --db "sqlite:$db" --module "$module" \
    2>>"$work/capture.err" &
  pid=$!
  # its base taken (its SIGTERM handler installed), whatever the load
  for _ in $(seq 1 1200); do
    [ "$(grep -c '^log: base ' "$work/capture.err" || true)" -lt "$round" ] || break
    sleep 0.1
  done
  [ "$(grep -c '^log: base ' "$work/capture.err" || true)" = "$round" ] ||
    fail "capture round $round did not start in 120 s: $(cat "$work/capture.err")"
  # (a busy timeout: the capture holds the database a moment at each poll)
  for i in 1 2 3 4 5; do sqlite3 -cmd '.timeout 30000' "$db" "INSERT INTO t (v) VALUES ('r$round-$i')"; done
  sleep 0.4
  moments+=("$(stamp)|$(sqlite3 -cmd '.timeout 30000' "$db" "SELECT count(*) FROM t")")
  sleep 0.4
  kill -TERM "$pid"; wait "$pid" || fail "capture round $round: $(cat "$work/capture.err")"
done
[ "$(ls "$log"/base-*.db | wc -l)" = 3 ] || fail "three captures did not make three bases: $(ls "$log")"

out=$(dbc log prune "$log" 2>&1) && fail "prune without --keep ran: $out"

# --keep-for SPAN, on a copy: what restores any moment of the last SPAN.
# Its beginning between the second and the third base keeps the second
# (a restore to a moment after it starts there) with every segment it
# needs, even those older than SPAN; the first base and its segments go.
ms() { python3 -c 'import calendar,sys,time; n=sys.argv[1]; print(calendar.timegm(time.strptime(n[5:22], "%Y-%m-%dT%H%M%S"))*1000+int(n[22:25]))' "$(basename "$1")"; }
mapfile -t bases < <(ls "$log"/base-*.db)
b1=$(ms "${bases[0]}") b2=$(ms "${bases[1]}") b3=$(ms "${bases[2]}")
cp -r "$log" "$work/aged"; rm -f "$work/aged/log.lock"
# The span is computed before prune reads its clock: the beginning prune
# sees is later than the one aimed at by that delay (seconds on a loaded
# machine). So each span aims just after a base, with the whole gap to the
# next base as room, and the test checks the delay stayed inside it.
prune_aged() { # AIM NEXT_BASE: prune --apply the copy, a span beginning at AIM
  local span_ms
  span_ms=$(($(date +%s%3N) - $1))
  dbc log prune "$work/aged" --keep-for "$(printf '%d.%03ds' $((span_ms / 1000)) $((span_ms % 1000)))" \
    --apply >"$work/aged.out" 2>&1 || fail "--keep-for: $(cat "$work/aged.out")"
  # the latest beginning prune can have seen: its end minus the span
  [ $(($(date +%s%3N) - span_ms)) -lt "$2" ] ||
    fail "prune ended $(($(date +%s%3N) - span_ms - $1)) ms after its span was computed: past the next base"
}
prune_aged $((b1 + 1)) "$b2"
grep -q "^0 files deleted" "$work/aged.out" || fail "a span reaching before the second base deleted: $(cat "$work/aged.out")"
prune_aged $((b2 + 1)) "$b3"
[ "$(ls "$work/aged"/base-*.db | wc -l)" = 2 ] || fail "--keep-for left $(ls "$work/aged"/base-*.db | wc -l) bases, not 2"
[ ! -e "$work/aged/$(basename "${bases[0]}")" ] || fail "--keep-for kept the first base"
aged_segments=$(ls "$work/aged"/*.dbclog | wc -l)
out=$(dbc log prune "$work/aged" --keep-for 1x 2>&1) && fail "--keep-for 1x ran: $out"
before=$(ls "$log" | sort)
dbc log prune "$log" --keep 2 >"$work/dry" || fail "dry run: $(cat "$work/dry")"
[ "$(ls "$log" | sort)" = "$before" ] || fail "a dry run deleted files"
grep -q "would delete .*base-" "$work/dry" || fail "the dry run does not list the oldest base: $(cat "$work/dry")"
# A segment's record is read as JSON (the walk's own reader): on a copy,
# records pretty-printed, one kept segment's record holding a nested
# "last_commit" of 2000 before its own, and the oldest one's record cut
# short. The dry run lists what it lists on the log, but the cut one's
# segment, which is kept and said so.
cp -r "$log" "$work/fmt"; rm -f "$work/fmt/log.lock"
cut=$(python3 - "$work/fmt" <<'PY'
import glob, json, os, sys
recs = sorted(glob.glob(os.path.join(sys.argv[1], "log-*.json")))
for i, p in enumerate(recs):
    with open(p) as f:
        doc = json.load(f)
    if i == len(recs) - 1:
        doc = {"previous": {"last_commit": "2000-01-01 00:00:00.000"}, **doc}
        text = json.dumps(doc, separators=(",", ":"))
    else:
        text = json.dumps(doc, indent=1)
    with open(p, "w") as f:
        f.write(text if i else text[: len(text) // 2])
print(os.path.basename(recs[0])[:-5])
PY
)
dbc log prune "$work/fmt" --keep 2 >"$work/fmt.dry" 2>"$work/fmt.err" || fail "dry run of the copy: $(cat "$work/fmt.err")"
listed() { sed -n 's|^would delete .*/||p' "$1" | grep -v "^$cut\." | sort; }
[ "$(listed "$work/fmt.dry")" = "$(listed "$work/dry")" ] ||
  fail "records read as JSON list other files: $(diff <(listed "$work/dry") <(listed "$work/fmt.dry"))"
grep -q "would delete .*/$cut\.dbclog" "$work/dry" || fail "the oldest segment $cut is not pruned on the log"
! grep -q "/$cut\." "$work/fmt.dry" || fail "a segment whose record is cut short would go: $(cat "$work/fmt.dry")"
grep -q "dbcare: the log segment .*/$cut.dbclog is kept: its record cannot be read" "$work/fmt.err" ||
  fail "the kept segment is not said: $(cat "$work/fmt.err")"
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
# the aged copy restores the second and third moments (the second is
# older than the span: its base is kept, so are the segments after it)
for i in 1 2; do
  t=${moments[$i]%|*} n=${moments[$i]#*|}
  "$cli" restore --to-time "$t" "$work/aged" --db "sqlite:$work/a$i.db" --module "$module" >"$work/out" 2>&1 ||
    fail "aged log, moment $i: $(cat "$work/out")"
  [ "$(sqlite3 "$work/a$i.db" "PRAGMA integrity_check; SELECT count(*) FROM t")" = "$(printf 'ok\n%s' "$n")" ] ||
    fail "aged log, moment $i: not $n rows"
done
"$cli" restore --to-time "${moments[0]%|*}" "$work/aged" --db "sqlite:$work/a0.db" --module "$module" >/dev/null 2>&1 &&
  fail "the aged log restored a moment of the first stretch"
[ "$aged_segments" -lt "$(grep -c 'dbclog$' <<<"$before")" ] || fail "--keep-for deleted no segment"
[ "$("$cli" log status "$log" --json --db "sqlite:$work/r2.db" --module "$module" |
  python3 -c 'import json,sys; print(len({s["epoch"] for s in json.load(sys.stdin)["stretches"]}))')" = 2 ] ||
  fail "log status after the prune does not list stretches of two bases"
# --keep-for takes its unit written: a bare 7 (seconds? days?) is refused
set +e
out=$("$cli" log prune "$log" --keep-for 7 --db "sqlite:$work/r2.db" --module "$module" 2>&1); rc=$?
set -e
[ "$rc" = 2 ] && grep -q 'dbcare: --keep-for needs a unit: s, min (or m), h, d or w' <<<"$out" ||
  fail "--keep-for 7 was not refused (rc $rc): $out"
for span in 90min 5m 2w; do
  "$cli" log prune "$log" --keep-for "$span" --db "sqlite:$work/r2.db" --module "$module" >/dev/null ||
    fail "--keep-for $span was refused"
done
echo "ok: prune --keep 2 kept two of three stretches, each restoring"
