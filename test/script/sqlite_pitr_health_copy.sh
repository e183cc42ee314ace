#!/usr/bin/env bash
# The health check point_in_time_log of a copy of a captured database at
# another path (it keeps backup.log.dir) does not report the original's
# log as its own (docs/backups.md, "A log directory belongs to one
# database"): log.identity names the original's file, so the copy's check
# warns that nothing of it is captured, and its metrics show no capture,
# no lag and no restorable moment. The original's check is unchanged. On
# main the copy's health reported the original's capture, lag and last
# restorable moment.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
cd "$work"
mkdir lg
health() { # FILE: the check's "status|message", then the metrics
  sqlite3 -cmd ".load $module" "file:$1?dbcare_capture=0" \
    "SELECT status || '|' || message FROM dbhealth_checks() WHERE name = 'point_in_time_log';" \
    "SELECT dbhealth_metrics();" | grep -v '^$'
}
metric() { sed -n "s/^$1{[^}]*} //p" "$2"; }
sqlite3 app.db "PRAGMA journal_mode = wal; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)" >/dev/null
"$py" - "$module" "$work" <<'PY'
import shutil, sqlite3, sys
module, work = sys.argv[1:3]
c = sqlite3.connect(work + "/app.db", isolation_level=None)
c.enable_load_extension(True)
c.load_extension(module)
c.execute("SELECT dbcare_set('backup.log.dir', ?)", (work + "/lg",)).fetchall()
for i in range(3):
    c.execute("INSERT INTO t (v) VALUES ('r')")
c.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
shutil.copy(work + "/app.db", work + "/copy.db")
c.close()
PY
health "$work/copy.db" >copy.health
grep -q "^warning|backup.log.dir $work/lg is the log of the database file $work/app.db (log.identity), not of this one" copy.health ||
  fail "health of the copy: $(cat copy.health)"
[ "$(metric dbcare_log_capturing copy.health)" = 0 ] || fail "metrics of the copy: $(cat copy.health)"
[ "$(metric dbcare_log_last_restorable_timestamp_seconds copy.health)" = NaN ] || fail "metrics of the copy: $(cat copy.health)"
health "$work/app.db" >app.health
grep -q "is the log of the database file" app.health && fail "health of the original: $(cat app.health)"
grep -q "last restorable moment 20" app.health || fail "health of the original: $(cat app.health)"
echo ok
