#!/usr/bin/env bash
# The health check point_in_time_log and its metrics (docs/health.md,
# docs/backups.md "Watching the log"), in the world they watch: skipped
# while backup.log.dir is empty; ok with `dbcare log` capturing, the log
# families in dbhealth_metrics (valid exposition); a capture that hangs
# (SIGSTOP: it holds log.lock, writes nothing) while a commit it has not
# copied waits in the WAL, with log.progress 15 minutes old, warns with the
# lag in the message, 2 hours old is critical (the same log with no commit
# after its place is idle, not behind: sqlite_pitr_idle.sh); with no
# capture able to run (the database left WAL mode) it warns too. A module
# connection takes the capture over when none holds the log, so the hung
# capture is what leaves the log behind while a checker connects.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/built_cli.sh"
command -v promtool > /dev/null || fail "promtool is not installed (test/harness/packages.txt)"
db="$work/app.db"
logdir="$work/log"
mkdir "$logdir"
check() { q "SELECT status || '|' || message FROM dbhealth_checks() WHERE name = 'point_in_time_log'"; }

sqlite3 "$db" "PRAGMA journal_mode = wal; CREATE TABLE t (a INT);" > /dev/null
out=$(check)
[ "$out" = "skipped|backup.log.dir is not set: no point-in-time log to watch" ] || fail "without the setting: $out"
q "SELECT dbhealth_metrics()" | grep -q '^dbcare_log_' && fail "log families without the setting"
echo "ok: skipped without backup.log.dir"

# a directory that is no longer there (dbcare_set refuses a missing one,
# so it went after it was set) says so, not "no record yet"
mkdir "$work/nowhere"
q "SELECT dbcare_set('backup.log.dir', '$work/nowhere')" > /dev/null
rm -rf "$work/nowhere"
out=$(check)
[ "$out" = "warning|cannot read the log directory $work/nowhere: No such file or directory" ] ||
  fail "a missing directory: $out"
echo "ok: $out"

q "SELECT dbcare_set('backup.log.dir', '$logdir')" > /dev/null
"$cli" log "$logdir" --db "sqlite:$db" --module "$module" > "$work/cap.out" 2>&1 &
cap=$!
trap 'kill -CONT $cap 2>/dev/null || true; kill $cap 2>/dev/null || true; wait $cap 2>/dev/null || true; rm -rf "$work"' EXIT
progress_or_ended() {
  [ -s "$logdir/log.progress" ] || ! running $cap
}
poll_until 60 0.1 progress_or_ended || true
[ -s "$logdir/log.progress" ] || fail "dbcare log wrote no log.progress: $(cat "$work/cap.out")"
sqlite3 "$db" "INSERT INTO t VALUES (1)"
sleep 0.5
out=$(check)
case "$out" in
  "ok|log lag "[0-9]*" s; a capture runs; open segment "*" s old; last restorable moment 20"*" UTC") ;;
  *) fail "with dbcare log capturing: $out" ;;
esac
q "SELECT dbhealth_metrics()" > "$work/ok.prom"
promtool check metrics < "$work/ok.prom"
grep -q '^dbcare_log_capturing{engine="sqlite",database="app.db"} 1$' "$work/ok.prom" || fail "capturing"
lag=$(sed -n 's/^dbcare_log_lag_seconds{[^}]*} //p' "$work/ok.prom")
awk -v l="$lag" 'BEGIN { exit !(l >= 0 && l < 5) }' || fail "lag with a capture running: $lag"
last=$(sed -n 's/^dbcare_log_last_restorable_timestamp_seconds{[^}]*} //p' "$work/ok.prom")
awk -v t="$last" -v now="$(date +%s)" 'BEGIN { exit !(t > now - 10 && t <= now + 1) }' ||
  fail "last restorable moment $last, now $(date +%s)"
echo "ok: capturing, lag $lag s, metrics valid"

# the capture hangs: it holds the lock and writes nothing, and the
# application commits on
kill -STOP $cap
sqlite3 "$db" "INSERT INTO t VALUES (2)"
aged() { printf '%020d 0000000001 00000000000000000001\n' $(( $(date +%s%3N) - $1 * 1000 )) > "$logdir/log.progress"; }
aged 900
out=$(check)
case "$out" in
  "warning|log lag 9"[0-9][0-9]" s; a capture runs;"*) ;;
  *) fail "a hung capture, 15 minutes behind: $out" ;;
esac
q "SELECT dbhealth_metrics()" > "$work/lag.prom"
lag=$(sed -n 's/^dbcare_log_lag_seconds{[^}]*} //p' "$work/lag.prom")
awk -v l="$lag" 'BEGIN { exit !(l >= 900 && l < 960) }' || fail "lag of the hung capture: $lag"
echo "ok: warning, $out"
aged 7200
out=$(check)
case "$out" in critical\|"log lag 72"*) ;; *) fail "2 hours behind: $out" ;; esac
q "SELECT dbcare_set('health.point_in_time_log.critical', '10000')" > /dev/null
out=$(check)
case "$out" in warning\|*) ;; *) fail "critical raised to 10000 s: $out" ;; esac
echo "ok: critical past health.point_in_time_log.critical"
kill -CONT $cap
kill $cap; wait $cap 2>/dev/null || true

# no capture can run: the database left WAL mode (a module connection
# cannot take the capture over), the log 15 minutes behind
sqlite3 "$db" "PRAGMA journal_mode = delete" > /dev/null
aged 900
out=$(check)
case "$out" in "warning|log lag 9"[0-9][0-9]" s; no capture runs;"*) ;; *) fail "no capture: $out" ;; esac
q "SELECT dbhealth_metrics()" | grep -q '^dbcare_log_capturing{engine="sqlite",database="app.db"} 0$' ||
  fail "capturing without a capture"
echo "ok: $out"
