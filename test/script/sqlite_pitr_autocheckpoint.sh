#!/usr/bin/env bash
# An application that sets its own automatic checkpoint on a connection
# that captures the log (docs/backups.md, "Capture inside the
# application"): PRAGMA wal_autocheckpoint replaces SQLite's WAL hook, the
# capture's. The capture takes it back at the connection's next commit and
# honours the wish itself: with 0 (no hook at all, which cannot be told
# from an application's hook with a NULL argument) it keeps checkpointing
# at 1,000 frames (the WAL does not grow without end), with 50
# it checkpoints at 50 frames (the WAL stays near 50 frames). Every commit
# made after either PRAGMA is in the log: the database deleted, a restore
# from the log alone to the last moment gives every row back.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/built_cli.sh"

PYTHONPATH="$(dirname "$0")/lib" "$py" - "$cli" "$module" "$work" <<'PY'
import os, sqlite3, struct, subprocess, sys, time
from pitr_test import *
cli, module, work = args()
db, logdir, con = app_with_log(work, module, "CREATE TABLE t (id INTEGER PRIMARY KEY, payload BLOB)")
con.close()

def wal_frames():
    """Frames of the WAL's current generation (their salts the header's)."""
    with open(db + "-wal", "rb") as f:
        head = f.read(32)
        if len(head) < 32:
            return 0
        page, salts = struct.unpack(">I", head[8:12])[0], head[16:24]
        n = 0
        while True:
            fh = f.read(24)
            if len(fh) < 24 or fh[8:16] != salts:
                return n
            f.seek(page, 1)
            n += 1

app = sqlite3.connect(db, isolation_level=None)
app.enable_load_extension(True)
app.load_extension(module)  # the capture starts
if not any(f.startswith("base-") for f in os.listdir(logdir)):
    fail("the application's connection took no base")
rows = 0
def commit(n=4):
    global rows
    app.execute("BEGIN")
    for _ in range(n):
        app.execute("INSERT INTO t (payload) VALUES (?)", (os.urandom(3000),))
    app.execute("COMMIT")
    rows += n

# no automatic checkpoint: SQLite installs no WAL hook, which looks like an
# application's hook whose argument is NULL; the capture keeps its own
# checkpoint at 1,000 frames rather than let the WAL grow without end
app.execute("PRAGMA wal_autocheckpoint = 0")
grown = 0
for i in range(300):
    commit()
    if i % 10 == 9:
        grown = max(grown, wal_frames())
if grown > 1100:
    fail("wal_autocheckpoint = 0 let the WAL grow to %d frames" % grown)

# an automatic checkpoint at 50 frames
app.execute("PRAGMA wal_autocheckpoint = 50")
commit()  # taken back here, the long WAL checkpointed: the next writer starts it again
longest = 0
for _ in range(120):
    commit()
    longest = max(longest, wal_frames())
if longest > 70:
    fail("wal_autocheckpoint = 50, yet the WAL reached %d frames" % longest)

time.sleep(0.01)
t = int(time.time() * 1000)
time.sleep(0.01)
app.execute("INSERT INTO t (payload) VALUES (x'00')")  # the log reaches past t
app.close()
for suffix in ("", "-wal", "-shm"):
    os.unlink(db + suffix)

out = os.path.join(work, "back.db")
r = subprocess.run([cli, "restore", "--to-time", text(t), logdir, "--db", "sqlite:" + out],
                   capture_output=True, text=True)
if r.returncode != 0:
    fail("the restore to the last moment failed (the capture ended at the PRAGMA?): " + r.stderr)
got = sqlite3.connect(out).execute("SELECT count(*) FROM t").fetchone()[0]
if got != rows:
    fail("restored %d rows, committed %d" % (got, rows))
print("ok: the capture kept the WAL hook through wal_autocheckpoint 0 (WAL %d frames) and 50 "
      "(WAL at most %d frames); %d rows restored from the log" % (grown, longest, got))
PY
