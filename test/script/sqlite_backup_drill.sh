#!/usr/bin/env bash
# Restore drills on SQLite (docs/backups.md, "Restore drills"; issue 50.3):
# dbcare backup drill restores the newest backup (a full copy, an
# incremental chain, a sealed file) into a scratch file, runs
# integrity_check and foreign_key_check there, compares every recorded
# table's rows and content hash, and records the drill in
# dbcare_backup_drills, good or failed. The health check backup_drills
# grades the newest good drill's age (critical when the newest failed),
# /metrics exports its time and duration, and the shipped alert rules fire
# on a stale or a failed drill (promtool).
set -eu
command -v promtool >/dev/null || { echo "FAIL: promtool is missing (test/harness/packages.txt)"; exit 1; }
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"
db="$work/app.db"
drills() { sqlite3 "$db" "SELECT count(*) FROM dbcare_backup_drills WHERE status = '$1'"; }
sqlite3 "$db" "PRAGMA foreign_keys = ON;
  CREATE TABLE customer (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
  CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customer(id), total REAL);
  WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 2000)
  INSERT INTO customer SELECT i, 'c' || i FROM g;
  WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 20000)
  INSERT INTO orders SELECT i, 1 + i % 2000, i / 7.0 FROM g;"

# before any drill: the check is skipped, no drill metric
[ "$(q "SELECT status FROM dbhealth_checks WHERE name = 'backup_drills'")" = skipped ] ||
  fail "the drill check ran without a drill"
q "SELECT dbhealth_metrics()" | grep -qx 'dbcare_backup_last_drill_success{engine="sqlite",database="app.db"} NaN' ||
  fail "the drill metric before any drill is not NaN"

# --- a full backup, drilled by the command: the newest backup by default
run 0 backup "$work/full.db" --db "sqlite:$db"
t0=$(date +%s%N)
run 0 backup drill --db "sqlite:$db" --json
echo "drill of a full backup (22,000 rows): $((($(date +%s%N) - t0) / 1000000)) ms"
# (22,000 rows and dbcare's bookkeeping row, made before the first copy)
[ "$(json "d['drill']['ok'], d['drill']['method'], d['drill']['rows'], d['drill']['mismatches']")" = "True full 22001 0" ] ||
  fail "the full backup's drill: $(cat out)"
[ "$(drills ok)" = 1 ] || fail "the drill was not recorded"

# --- an incremental chain, then a sealed incremental on it: each drilled
# as the image its chain restores to
sqlite3 "$db" "UPDATE orders SET total = total + 1 WHERE id % 50 = 0"
run 0 backup "$work/inc1.db" --incremental --db "sqlite:$db"
run 0 backup drill --db "sqlite:$db" --json
[ "$(json "d['drill']['ok'], d['drill']['method'], d['drill']['path']")" = "True incremental $work/inc1.db" ] ||
  fail "the chain's drill: $(cat out)"
head -c 32 /dev/urandom >key && chmod 600 key
sqlite3 "$db" "DELETE FROM orders WHERE id > 19990"
run 0 backup "$work/inc2.db" --incremental --compress zstd --encrypt-key-file key --db "sqlite:$db"
run 1 backup drill --db "sqlite:$db"
has "dbcare: backup $work/inc2.db failed its restore drill: the backup could not be opened" err
run 0 backup drill --db "sqlite:$db" --encrypt-key-file key --json
[ "$(json "d['drill']['ok'], d['drill']['method'], d['drill']['rows'] >= 21990")" = "True incremental+sealed True" ] ||
  fail "the sealed chain's drill: $(cat out)"
run 0 backup "$work/sealed.db" --compress zstd --encrypt-key-file key --db "sqlite:$db"
run 0 backup drill "$work/sealed.db" --db "sqlite:$db" --encrypt-key-file key --json
[ "$(json "d['drill']['ok'], d['drill']['method']")" = "True full+sealed" ] || fail "the sealed file's drill: $(cat out)"
# the SQL function runs the same drill
[ "$(q "SELECT json_extract(dbbackup_drill('$work/full.db'), '\$.ok')")" = 1 ] || fail "dbbackup_drill(path)"
[ "$(drills ok)" = 5 ] && [ "$(drills failed)" = 1 ] || fail "drills: $(drills ok) ok, $(drills failed) failed"

# --- what a drill finds: rows whose parent is gone (foreign_keys off, as
# SQLite ships): the copy is faithful, the drill fails on the restored copy
sqlite3 "$db" "PRAGMA foreign_keys = OFF; DELETE FROM customer WHERE id <= 3"
run 0 backup "$work/orphans.db" --db "sqlite:$db"
run 1 backup drill --db "sqlite:$db" --json
[ "$(json "d['drill']['ok']")" = False ] || fail "the orphans' drill passed: $(cat out)"
has "the restored copy has 29 row(s) whose foreign key references no row (first in table orders)" err
[ "$(q "SELECT status FROM dbhealth_checks WHERE name = 'backup_drills'")" = critical ] ||
  fail "a failed newest drill is not critical"
q "SELECT dbhealth_metrics()" >metrics
grep -qx 'dbcare_backup_last_drill_success{engine="sqlite",database="app.db"} 0' metrics ||
  fail "the failed drill's metric: $(grep drill metrics)"
# the shipped rule fires on this very exposition (its failed drill), and
# not on a good one: the series as dbhealth_metrics wrote it, fed to promtool
alert_test() { # SERIES_LINE FIRES(true|false)
  local series=${1% *} value=${1##* } exp='[]'
  [ "$2" = true ] && exp="
          - exp_labels: {engine: sqlite, database: app.db, severity: critical}
            exp_annotations:
              summary: 'The newest restore drill of app.db failed'
              description: \"A backup did not restore, or its restored copy differs from its record: the table backup_drills of dbcare's bookkeeping says why.\""
  cat >"$work/drill.test.yml" <<YML
rule_files: ['$root/deploy/prometheus/dbcare.rules.yml']
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: '$series'
        values: '${value}x5'
    alert_rule_test:
      - eval_time: 2m
        alertname: DbcareBackupDrillFailed
        exp_alerts: $exp
YML
  promtool test rules "$work/drill.test.yml" >"$work/promtool" 2>&1 ||
    { cat "$work/promtool"; fail "DbcareBackupDrillFailed on $1 (want firing: $2)"; }
}
alert_test "$(grep '^dbcare_backup_last_drill_success' metrics)" true
sqlite3 "$db" "INSERT INTO customer SELECT i, 'again' FROM (SELECT 1 AS i UNION SELECT 2 UNION SELECT 3)"

# --- a backup changed after it was made: one byte of the full copy (the
# chain's base) fails the chain's drill, naming the link
run 0 backup "$work/good.db" --db "sqlite:$db"
run 0 backup drill --db "sqlite:$db"
"$py" - "$work/full.db" <<'PY'
import os, sys
with open(sys.argv[1], 'r+b') as f:
    f.seek(os.path.getsize(sys.argv[1]) // 2)
    b = f.read(1)
    f.seek(-1, 1)
    f.write(bytes([b[0] ^ 1]))
PY
run 1 backup drill "$work/inc1.db" --db "sqlite:$db"
has "failed its restore drill: the backup does not restore: backup $work/full.db" err
[ "$(sqlite3 "$db" "SELECT status, mismatches FROM dbcare_backup_drills ORDER BY id DESC LIMIT 1")" = "failed|0" ] ||
  fail "the failed drill's row"
run 1 backup drill "$work/nothing.db" --db "sqlite:$db"
has "dbcare: $work/nothing.db is no catalogued backup" err

# --- the check and the metrics: the newest good drill's age; a good drill
# after a failed one makes it ok again; an old one warns
run 0 backup drill "$work/good.db" --db "sqlite:$db"
[ "$(q "SELECT status FROM dbhealth_checks WHERE name = 'backup_drills'")" = ok ] || fail "a good drill is not ok"
q "SELECT dbhealth_metrics()" >metrics
grep -q '^dbcare_backup_last_drill_timestamp_seconds{engine="sqlite",database="app.db"} 1[0-9]\{9\}' metrics ||
  fail "no drill timestamp: $(grep drill metrics)"
grep -q '^dbcare_backup_last_drill_duration_seconds{engine="sqlite",database="app.db"} 0\.' metrics ||
  fail "no drill duration: $(grep drill metrics)"
alert_test "$(grep '^dbcare_backup_last_drill_success' metrics)" false
if command -v promtool >/dev/null; then
  promtool check metrics <metrics 2>&1 | grep drill && fail "promtool on the drill metrics"
else
  fail "promtool is missing (test/harness/packages.txt)"
fi
sqlite3 "$db" "UPDATE dbcare_backup_drills SET drilled_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-9 days')"
[ "$(q "SELECT status || ' ' || CAST(round(value) AS INTEGER) FROM dbhealth_checks WHERE name = 'backup_drills'")" = "warning 216" ] ||
  fail "a drill 9 days old: $(q "SELECT status, value, message FROM dbhealth_checks WHERE name = 'backup_drills'")"
echo "ok: full, chain, sealed drills recorded; orphans and a changed base fail; check and metrics"
