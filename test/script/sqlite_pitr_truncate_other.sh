#!/usr/bin/env bash
# `dbcare log` beside an application whose connections checkpoint the WAL
# with TRUNCATE (docs/backups.md, "Why no commit is lost"): one connection
# runs PRAGMA wal_checkpoint(PASSIVE), then (TRUNCATE) once the capture's
# reader lets it, which empties the WAL; another connection, which never
# checkpointed, then commits. That connection draws the new WAL's salts at
# random (SQLite counts salt1 up only for the connection that restarted
# the WAL), and the capture took the new WAL for "a WAL generation went by
# unseen": a new full base each time (a GB copied for a GB database) and
# the moments around it refused. It holds a reader throughout, so SQLite
# could restart the WAL only once every frame was in the log: one base,
# every commit in its stretch, each moment after a commit restored with
# exactly the rows committed before it.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
pitr_python <<'PY'
import os, subprocess, time
from pitr_test import *
cli, module, work = args()
ROUNDS = 8
db, logdir, a = app_with_log(work, None, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
b = connect(db)
cap = subprocess.Popen([cli, "log", logdir, "--db", "sqlite:" + db, "--module", module, "--sleep-ms", "20"],
                       stderr=subprocess.PIPE)
wait_capture_ready(cap)
def logged():
    """A moment after the last commit that the log vouches for: the
    commit read by a poll (stamped then), and a later poll that found
    the WAL unchanged."""
    wait_restorable(cli, module, logdir, now_ms() + 2, 120, cap)
    t = now_ms() + 2
    wait_restorable(cli, module, logdir, t, 120, cap)
    return t
moments = []
for i in range(ROUNDS):
    b.execute("INSERT INTO t (v) VALUES (?)", ("row %d" % i,))
    moments.append((logged(), i + 1))
    a.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    # TRUNCATE restarts the WAL once the capture's newest reader began on
    # the checkpointed WAL (its next poll): tried until it does
    deadline = time.monotonic() + 120
    while a.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] != 0 or os.path.getsize(db + "-wal"):
        if time.monotonic() > deadline:
            fail("round %d: the WAL was not truncated in 120 s" % i, cap)
        time.sleep(0.02)
b.execute("INSERT INTO t (v) VALUES ('last')")
moments.append((logged(), ROUNDS + 1))
cap.terminate()
err = cap.communicate()[1].decode(errors="replace")
if cap.returncode != 0:
    fail("the capture failed: " + err)
bases = sorted(f for f in os.listdir(logdir) if f.startswith("base-"))
if len(bases) != 1 or "went by unseen" in err:
    fail("%d bases for %d WALs truncated by another connection: %s" % (len(bases), ROUNDS, err))
a.close(); b.close()
for s in ("", "-wal", "-shm"):
    if os.path.exists(db + s): os.unlink(db + s)
for k, (t, n) in enumerate(moments):
    out = os.path.join(work, "r%d.db" % k)
    r = run(cli, module, "restore", "--to-time", text(t), logdir, "--db", "sqlite:" + out)
    if r.returncode != 0:
        fail("moment %d (%s) did not restore: %s" % (k, text(t), r.stderr))
    c = connect(out)
    got = [v for (v,) in c.execute("SELECT v FROM t ORDER BY id")]
    want = ["row %d" % i for i in range(min(n, ROUNDS))] + (["last"] if n > ROUNDS else [])
    if got != want or c.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
        fail("moment %d (%s): rows %r, not %r" % (k, text(t), got, want))
    c.close()
print("ok: %d WALs truncated by another connection, one base, %d moments restored row for row"
      % (ROUNDS, len(moments)))
PY
