#!/usr/bin/env bash
# The capture handed over inside one process without a gap
# (sqlite/pitr_module.c, on_wal): connection 1 holds the log's capture,
# connection 2 (the module loaded too) commits; connection 1 closes (a pool
# closing connections) and connection 2 at once commits past the 1,000
# frames of the automatic checkpoint. Its first commit after the close
# takes the capture over, before it would checkpoint: the log keeps one
# epoch and one base, and a restore to the latest moment has every row.
# On main connection 2 tried the lock again only a second later and
# meanwhile checkpointed frames no capture had copied: a new epoch.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
root="$(cd "$(dirname "$0")/../.." && pwd)"
cli="$root/build/cli/dbcare"
[ -x "$cli" ] || fail "build/cli/dbcare is not built"

PYTHONPATH="$(dirname "$0")/lib" "$py" - "$cli" "$module" "$work" <<'PY'
import json, os, sqlite3, time
from pitr_test import *
cli, module, work = args()
db, logdir, c = app_with_log(work, module, "CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB)")
c.close()

c1 = connect(db, module)  # holds the capture
c2 = connect(db, module)  # finds it held
c2.execute("PRAGMA synchronous = OFF")
rows = 0
def commits(n):
    global rows
    for _ in range(n):
        c2.execute("BEGIN")
        c2.executemany("INSERT INTO t (b) VALUES (?)", [(os.urandom(3000),)] * 4)
        c2.execute("COMMIT")
        rows += 4
commits(100)
c1.close()
start = time.time()
commits(300)  # well past 1,000 frames
if time.time() - start > 0.9:
    fail("the commits after the close took %.1f s: the test needs them within a second"
         % (time.time() - start))
time.sleep(1.2)
commits(1)
c2.close()

r = run(cli, module, "log", "status", logdir, "--json", "--db", "sqlite:" + db)
if r.returncode != 0:
    fail("log status failed: " + r.stderr)
epochs = {s["epoch"] for s in json.loads(r.stdout)["stretches"]}
bases = [f for f in os.listdir(logdir) if f.startswith("base-")]
if len(epochs) != 1 or len(bases) != 1:
    fail("the hand-over left a gap: epochs %s, bases %s" % (sorted(epochs), bases))
out = os.path.join(work, "r.db")
r = run(cli, module, "restore", "--to-time", "latest", logdir, "--db", "sqlite:" + out)
if r.returncode != 0:
    fail("the restore failed: " + r.stderr)
got = sqlite3.connect(out).execute("SELECT count(*) FROM t").fetchone()[0]
if got != rows:
    fail("restored %d rows of %d" % (got, rows))
print("ok: one epoch, one base across the hand-over; %d rows restored" % got)
PY
