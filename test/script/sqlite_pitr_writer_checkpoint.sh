#!/usr/bin/env bash
# dbcare log checkpoints the WAL before a writer's own automatic checkpoint
# is due (docs/backups.md, "Why no commit is lost"). A writer without the
# module, at SQLite's default automatic checkpoint (1,000 frames), commits
# 1,500 single-row transactions about a millisecond apart while dbcare log
# captures: the WAL never reaches 1,000 frames (its file, which SQLite
# never shrinks, stays below that size), so the writer never runs a
# checkpoint of its own, which, while the capture's reader keeps the WAL
# from starting again, would run at every one of its commits and find
# little or nothing to copy. No commit is lost to the capture's own
# checkpoints: stopped, the log restores every row.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/built_cli.sh"

PYTHONPATH="$(dirname "$0")/lib" "$py" - "$cli" "$module" "$work" <<'PY'
import os, signal, sqlite3, subprocess, time
from pitr_test import *
cli, module, work = args()
db, log, con = app_with_log(work, None)
con.close()
p = subprocess.Popen([cli, "log", log, "--db", "sqlite:" + db, "--module", module],
                     stderr=subprocess.PIPE)
wait_capture_ready(p)
w = connect(db)
if w.execute("PRAGMA wal_autocheckpoint").fetchone()[0] != 1000:
    fail("the writer's automatic checkpoint is not SQLite's default", p)
page = w.execute("PRAGMA page_size").fetchone()[0]
commits = 1500
for i in range(commits):
    w.execute("INSERT INTO t (v) VALUES (?)", ("r%d" % i,))
    time.sleep(0.001)
frames = (os.path.getsize(db + "-wal") - 32) // (24 + page)
w.close()
p.send_signal(signal.SIGTERM)
if p.wait(timeout=60) != 0:
    fail("dbcare log ended with %s: %r" % (p.returncode, p.stderr.read()))
if frames >= 1000:
    fail("the WAL grew to %d frames: the capture did not checkpoint before the writer's "
         "automatic checkpoint (1,000 frames)" % frames)
r = run(cli, module, "restore", "--to-time", "latest", log, "--db", "sqlite:" + os.path.join(work, "r.db"))
if r.returncode != 0:
    fail("restore latest: " + r.stderr)
got = sqlite3.connect(os.path.join(work, "r.db")).execute(
    "SELECT count(*), (SELECT v FROM t ORDER BY id DESC LIMIT 1) FROM t").fetchone()
if got != (commits, "r%d" % (commits - 1)):
    fail("restored %r, not the %d commits" % (got, commits))
print("ok: the WAL peaked at %d frames (the writer's checkpoint is due at 1,000); "
      "every one of %d commits restored" % (frames, commits))
PY
