#!/usr/bin/env bash
# A dbcare command run on a database with a log while no capturing
# connection is open does not checkpoint away the WAL the log continues
# from (docs/backups.md, "The dbcare command never captures"): its
# connections (dbcare_capture=0) keep the WAL at their close and never
# checkpoint automatically when backup.log.dir is set. The application's
# capture then continues its epoch: one stretch, no new base, every row
# restorable. On main `dbcare health` closed with a checkpoint, the WAL
# was gone and the next capture began epoch 2 with a base and a gap.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/built_cli.sh"
cd "$work"
mkdir lg
app() { # app N: the application (the module loaded, capturing) commits N rows and closes
  "$py" - "$module" "$work" "$1" <<'PY'
import sqlite3, sys
module, work, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
c = sqlite3.connect(work + "/app.db", isolation_level=None)
c.enable_load_extension(True)
c.load_extension(module)
if not c.execute("SELECT dbcare_get('backup.log.dir')").fetchone()[0]:
    c.execute("SELECT dbcare_set('backup.log.dir', ?)", (work + "/lg",)).fetchall()
for i in range(n):
    c.execute("INSERT INTO t (v) VALUES (?)", ("row%d" % i,))
c.close()
PY
}
sqlite3 app.db "PRAGMA journal_mode = wal; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)" >/dev/null
app 5
[ -s app.db-wal ] || fail "the capturing connection's close checkpointed the WAL away"
before=$(stat -c %s app.db-wal)
"$cli" health --db sqlite:app.db --module "$module" >health.out 2>&1 || true
grep -q "point_in_time_log" health.out || fail "health ran not: $(cat health.out)"
"$cli" log status lg --module "$module" >/dev/null 2>&1 || true
[ -e app.db-wal ] || fail "dbcare health checkpointed the WAL away at its close (the log's next capture begins a new epoch)"
after=$(stat -c %s app.db-wal)
[ "$after" -ge "$before" ] || fail "the WAL shrank from $before to $after bytes under dbcare health"
app 5
"$cli" log status lg --json --module "$module" >status.json 2>status.err || fail "status: $(cat status.err)"
"$py" - <<'PY' || fail "the log after dbcare health: $(cat status.json)"
import json
s = json.load(open("status.json"))
epochs = {x["epoch"] for x in s["stretches"]}
assert epochs == {1}, "stretches of epochs %s: the capture began a new epoch" % sorted(epochs)
PY
[ "$(ls lg/base-*.db | wc -l)" = 1 ] || fail "the capture took a new base: $(ls lg)"
"$cli" restore --to-time latest lg --db sqlite:back.db --module "$module" 2>restore.err || fail "restore: $(cat restore.err)"
[ "$(sqlite3 back.db "SELECT count(*) FROM t")" = 10 ] || fail "the restore has $(sqlite3 back.db "SELECT count(*) FROM t") rows, not 10"
echo ok
