#!/usr/bin/env bash
# A point-in-time log whose newest segment files are gone (a partial copy
# or sync, a lost volume) is not mistaken for a whole one (docs/backups.md,
# "Back to any moment"): log.progress records the newest commit the
# capture wrote, and the log's readable end is compared with it. On a copy
# without the segments holding the last two commits, `log status` reports
# the gap (text and JSON, exit 1), `restore --to-time latest` fails with a
# dbcare: error naming the commit recorded and the last one readable and
# creates nothing, the drill fails; an explicit --to-time at the readable
# end still restores (the user's choice). The whole copy has no gap and
# `latest` restores every row, as it does when log.progress is behind
# the segments (a capture killed before it recorded its last record);
# without log.progress (a log of an older dbcare) `latest` restores the
# readable end and says it cannot tell. The health check point_in_time_log
# and the metrics (dbcare_log_end_missing) judge the end by the same rule.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/built_cli.sh"
. "$(dirname "$0")/lib/pitr.sh"
db="$work/app.db" log="$work/log"
mkdir "$log"
sqlite3 -cmd '.timeout 30000' "$db" "PRAGMA journal_mode = wal; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)" >/dev/null
"$cli" log "$log" --sleep-ms 20 --segment-interval 250ms --db "sqlite:$db" --module "$module" \
  2>"$work/capture.err" &
pid=$!
pitr_wait_started "$work/capture.err" 1
for i in 1 2 3 4 5; do sqlite3 -cmd '.timeout 30000' "$db" "INSERT INTO t (v) VALUES ('row$i')"; sleep 0.35; done
sleep 0.3
kill -TERM "$pid"; wait "$pid" || fail "capture: $(cat "$work/capture.err")"
rm -f "$log/log.lock"
recorded=$(awk '{print $3 + 0}' "$log/log.progress")
restore() { "$cli" restore --to-time "$1" "$2" --db "sqlite:$3" --module "$module"; }
rows() { sqlite3 "$1" "SELECT count(*) FROM t"; }

# the whole log: no gap, latest is every row
"$cli" log status "$log" >"$work/status.out" 2>&1 || fail "status of the whole log: $(cat "$work/status.out")"
grep -q "GAP" "$work/status.out" && fail "the whole log reported a gap: $(cat "$work/status.out")"
restore latest "$log" "$work/whole.db" 2>"$work/whole.err" || fail "latest: $(cat "$work/whole.err")"
[ "$(rows "$work/whole.db")" = 5 ] || fail "latest of the whole log has $(rows "$work/whole.db") rows"

# log.progress behind the segments (a capture killed after writing a
# record, before recording it): no gap
cp -r "$log" "$work/behind"
awk '{printf "%020d %010d %020d\n", $1 - 500, $2, $3 - 2}' "$log/log.progress" >"$work/behind/log.progress"
"$cli" log status "$work/behind" >"$work/status.out" 2>&1 || fail "status, progress behind: $(cat "$work/status.out")"
restore latest "$work/behind" "$work/behind.db" 2>"$work/behind.err" || fail "latest, progress behind: $(cat "$work/behind.err")"
[ "$(rows "$work/behind.db")" = 5 ] || fail "latest, progress behind, has $(rows "$work/behind.db") rows"

# a copy without the segments that hold the last two commits (and after)
cp -r "$log" "$work/cut"
cut=0
for j in "$work"/cut/log-*.json; do
  last=$(grep -o '"last_seq":[0-9]*' "$j" | cut -d: -f2)
  if [ "$last" -ge $((recorded - 1)) ]; then rm "${j%.json}".*; cut=$((cut + 1)); fi
done
[ "$cut" -ge 1 ] || fail "no segment held the last commits: $(ls "$log")"
ls "$work"/cut/log-*.dbclog >/dev/null 2>&1 || fail "every segment was cut: $(ls "$log")"

out=$("$cli" log status "$work/cut" 2>&1) && fail "status of a log missing its end exited 0: $out"
echo "$out" | grep -q "GAP at the end: .*recorded commit $recorded of epoch" ||
  fail "status did not report the gap: $out"
json=$("$cli" log status "$work/cut" --json 2>/dev/null) && fail "status --json exited 0: $json"
echo "$json" | "$py" -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if d['end_missing'] is True and d['capture_progress']['seq'] == $recorded else 1)" ||
  fail "status --json: $json"

restore latest "$work/cut" "$work/latest.db" 2>"$work/latest.err" && fail "latest of a log missing its end restored"
grep -q "^dbcare: .*missing its end.*recorded commit $recorded of epoch .* segments end at commit $((recorded - 2)) of epoch" "$work/latest.err" ||
  fail "latest's error: $(cat "$work/latest.err")"
[ ! -s "$work/latest.db" ] || fail "latest of a log missing its end left a database"

"$cli" backup drill --log "$work/cut" --db "sqlite:$db" --module "$module" \
  >"$work/drill.out" 2>&1 && fail "the drill of a log missing its end passed: $(cat "$work/drill.out")"
grep -q "missing its end" "$work/drill.out" || fail "the drill's error: $(cat "$work/drill.out")"

# health and /metrics judge the end by the same rule (sqlite/pitr/pitr_end.h):
# the cut log is critical, its last restorable moment is where it ends;
# the whole log is not missing anything (on main both read log.progress
# alone and reported the cut log as the whole one)
health() { # DIR: the check's "status|message", then the metrics, of the log in DIR
  sqlite3 -cmd ".load $module" "file:$db?dbcare_capture=0" \
    "SELECT dbcare_set('backup.log.dir', '$1');" \
    "SELECT status || '|' || message FROM dbhealth_checks() WHERE name = 'point_in_time_log';" \
    "SELECT dbhealth_metrics();" | grep -v '^$'
}
metric() { sed -n "s/^$1{[^}]*} //p" "$2"; }
health "$work/cut" >"$work/cut.health"
grep -q "^critical|the log in $work/cut is missing its end: its capture recorded commit $recorded of epoch .* but the segments end at commit $((recorded - 2)) of epoch .*restore --to-time latest refuses it" "$work/cut.health" ||
  fail "health of the cut log: $(cat "$work/cut.health")"
[ "$(metric dbcare_log_end_missing "$work/cut.health")" = 1 ] || fail "metrics of the cut log: $(cat "$work/cut.health")"
cut_last=$(metric dbcare_log_last_restorable_timestamp_seconds "$work/cut.health")
progress_s=$(awk '{printf "%.3f", $1 / 1000}' "$log/log.progress")
awk -v c="$cut_last" -v p="$progress_s" 'BEGIN { exit !(c > 0 && c < p - 0.3) }' ||
  fail "the cut log's last restorable moment $cut_last is not before log.progress's $progress_s"
health "$log" >"$work/whole.health"
grep -q "missing its end" "$work/whole.health" && fail "health of the whole log: $(cat "$work/whole.health")"
[ "$(metric dbcare_log_end_missing "$work/whole.health")" = 0 ] || fail "metrics of the whole log: $(cat "$work/whole.health")"
whole_last=$(metric dbcare_log_last_restorable_timestamp_seconds "$work/whole.health")
awk -v w="$whole_last" -v p="$progress_s" 'BEGIN { exit !(w - p < 0.002 && p - w < 0.002) }' ||
  fail "the whole log's last restorable moment: $(cat "$work/whole.health"), log.progress $progress_s"
echo "ok: health and metrics see the lost end"

# the readable end, chosen explicitly, still restores
readable=$(sed -n "s/.*--to-time '\([^']*\)'.*/\1/p" "$work/latest.err")
[ -n "$readable" ] || fail "latest's error named no moment to restore: $(cat "$work/latest.err")"
restore "$readable" "$work/cut" "$work/explicit.db" 2>"$work/explicit.err" ||
  fail "--to-time $readable: $(cat "$work/explicit.err")"
[ "$(rows "$work/explicit.db")" = 3 ] || fail "the readable end restored $(rows "$work/explicit.db") rows, not 3"

# no log.progress (a log of an older dbcare): latest works, and says so
rm "$work/cut/log.progress"
restore latest "$work/cut" "$work/old.db" 2>"$work/old.err" || fail "latest without log.progress: $(cat "$work/old.err")"
grep -q "^dbcare: the log in .* has no log.progress" "$work/old.err" || fail "latest without log.progress said nothing: $(cat "$work/old.err")"
[ "$(rows "$work/old.db")" = 3 ] || fail "latest without log.progress restored $(rows "$work/old.db") rows"
"$cli" log status "$work/cut" >"$work/old.out" 2>&1 || fail "status without log.progress: $(cat "$work/old.out")"
grep -q "no log.progress" "$work/old.out" || fail "status without log.progress: $(cat "$work/old.out")"
echo "ok"
