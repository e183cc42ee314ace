#!/usr/bin/env bash
# A capture that continues its epoch after connections without the module
# checkpointed the WAL whole and then started it again (docs/backups.md,
# "Capture inside the application"). The application's capture ends (its
# connection closes: the WAL is kept); a plain connection commits two rows
# (the gap) and runs a PASSIVE checkpoint, which copies every frame into the
# database; the application opens again (its capture resumes the epoch:
# the WAL still holds the log's last place); the plain connection commits a
# row, which starts the WAL again over the gap's frames; the application
# commits its own row, takes a moment T, and commits again. Deleted with
# its -wal and -shm, the database restores at T (`dbcare restore
# --to-time`) row for row, the gap's rows included. Before the resume
# copied the gap under the write lock, the restart left the capture's
# reader on a stale WAL header: its polls found nothing and said nothing,
# and the log reached no further than the gap.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
pitr_python <<'PY'
import os, sqlite3, time
from pitr_test import *
cli, module, work = args()

db, logdir, con = app_with_log(work, module)
con.execute("INSERT INTO t (v) VALUES ('before')")
con.close()  # the capture ends; its WAL stays
plain = connect(db)
plain.execute("INSERT INTO t (v) VALUES ('gap 1'), ('gap 2')")
busy, frames, copied = plain.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
if busy or frames != copied:
    fail("the PASSIVE checkpoint did not copy the WAL whole: %r" % ((busy, frames, copied),))
app = connect(db, module)  # the capture resumes: the WAL still holds its place
plain.execute("INSERT INTO t (v) VALUES ('restart')")  # the WAL starts again
app.execute("INSERT INTO t (v) VALUES ('own')")
want = app.execute("SELECT * FROM t ORDER BY id").fetchall()
time.sleep(0.005)
t = now_ms()
time.sleep(0.005)
app.execute("INSERT INTO t (v) VALUES ('after')")
app.close()
plain.close()
for suffix in ("", "-wal", "-shm"):
    if os.path.exists(db + suffix):
        os.unlink(db + suffix)

out = os.path.join(work, "restored.db")
r = run(cli, module, "restore", "--to-time", text(t), logdir, "--db", "sqlite:" + out)
if r.returncode != 0:
    fail("the moment after the resume did not restore: %s" % r.stderr)
got = sqlite3.connect(out).execute("SELECT * FROM t ORDER BY id").fetchall()
if got != want:
    fail("restored rows %r, the database then held %r" % (got, want))
print("ok: a capture resumed over a WAL checkpointed whole and started again "
      "restores the moment after, the gap's rows included")
PY
