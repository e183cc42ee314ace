#!/usr/bin/env bash
# Every closed segment of a point-in-time log is checked against its record
# log-<seq>.json, read as JSON (docs/backups.md, "Back to any moment"):
# a record pretty-printed by a tool still reads; a closed segment whose
# record is gone (deleted, not copied) fails log status and restore with a
# dbcare: error naming it, as does a record of another segment. Only while
# a capture closes a segment (its .open twin still there: a sealed close
# killed before it wrote the record) may it lack one; the next capture
# writes it and removes the twin.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/built_cli.sh"
. "$(dirname "$0")/lib/pitr.sh"
db="$work/app.db" log="$work/log"
mkdir "$log"
sqlite3 -cmd '.timeout 30000' "$db" "PRAGMA journal_mode = wal; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)" >/dev/null
starts=0
capture() {
  "$cli" log "$log" --sleep-ms 20 --segment-interval 200ms --db "sqlite:$db" --module "$module" \
    2>>"$work/capture.err" &
  pid=$!
  starts=$((starts + 1))
  pitr_wait_started "$work/capture.err" "$starts"
  for i in 1 2 3; do sqlite3 -cmd '.timeout 30000' "$db" "INSERT INTO t (v) VALUES ('row$i')"; sleep 0.3; done
  kill -TERM "$pid"; wait "$pid" || fail "capture: $(cat "$work/capture.err")"
  rm -f "$log/log.lock"
}
capture
[ "$(ls "$log"/log-*.dbclog | wc -l)" -ge 3 ] || fail "fewer than 3 segments: $(ls "$log")"
mapfile -t segs < <(ls "$log"/log-*.dbclog)
second=${segs[1]%.dbclog}
status() { "$cli" log status "$1" >"$work/status.out" 2>&1; }
restore() { "$cli" restore --to-time latest "$1" --db "sqlite:$work/$2.db" --module "$module" 2>"$work/$2.err"; }

# a record pretty-printed (spaces after the colons) is the same record
cp -r "$log" "$work/pretty"
for j in "$work"/pretty/log-*.json; do
  "$py" -c 'import json,sys; d=json.load(open(sys.argv[1])); json.dump(d, open(sys.argv[1], "w"), indent=2)' "$j"
done
status "$work/pretty" || fail "status of pretty-printed records: $(cat "$work/status.out")"
restore "$work/pretty" pretty || fail "restore with pretty-printed records: $(cat "$work/pretty.err")"

# a closed segment (not the newest) without its record
cp -r "$log" "$work/norec"
rm "$work/norec/$(basename "$second").json"
status "$work/norec" && fail "status passed without a segment's record: $(cat "$work/status.out")"
grep -q "^dbcare: .*$(basename "$second").json, the record of the closed log segment .* is missing" "$work/status.out" ||
  fail "status's error without a record: $(cat "$work/status.out")"
restore "$work/norec" norec && fail "restore passed without a segment's record"
grep -q "is missing" "$work/norec.err" || fail "restore's error without a record: $(cat "$work/norec.err")"

# the record of another segment
cp -r "$log" "$work/other"
cp "$work/other/$(basename "${segs[0]%.dbclog}").json" "$work/other/$(basename "$second").json"
status "$work/other" && fail "status passed with another segment's record: $(cat "$work/status.out")"
grep -q "is not the record of the log segment" "$work/status.out" || fail "another's record: $(cat "$work/status.out")"

# killed while closing: the open twin still there, no record yet
cp "$second.dbclog" "$second.dbclog.open"
rm "$second.json"
status "$log" || fail "status while a segment is being closed: $(cat "$work/status.out")"
capture # the next capture finishes the close
[ -s "$second.json" ] || fail "the next capture did not write the record: $(ls "$log"; cat "$work/capture.err")"
[ ! -e "$second.dbclog.open" ] || fail "the next capture left the open twin"
status "$log" || fail "status after the next capture: $(cat "$work/status.out")"
restore "$log" again || fail "restore after the next capture: $(cat "$work/again.err")"
[ "$(sqlite3 "$work/again.db" "SELECT count(*) FROM t")" = 6 ] || fail "restored $(sqlite3 "$work/again.db" "SELECT count(*) FROM t") rows, not 6"
echo ok
