#!/usr/bin/env bash
# What connections without the module leave in the WAL, and the moments
# the application's capture still vouches for (docs/backups.md, "Capture
# inside the application"). Each case takes a moment T between two of the
# application's own commits, with no other commit between, deletes the
# database with its -wal and -shm, and restores T (`dbcare restore
# --to-time`) row for row.
#   - Resumed over a WAL checkpointed whole and started again: the
#     application's capture ends (its connection closes: the WAL is kept);
#     a plain connection commits two rows (the gap) and runs a PASSIVE
#     checkpoint, which copies every frame into the database; the
#     application opens again (its capture resumes the epoch: the WAL still
#     holds the log's last place); the plain connection commits a row,
#     which starts the WAL again over the gap's frames. Before the resume
#     copied the gap under the write lock, the restart left the capture's
#     reader on a stale WAL header: its polls found nothing and said
#     nothing, and the log reached no further than the gap.
#   - Frames of a transaction rolled back: a plain connection with a tiny
#     page cache spills a large insert into the WAL and rolls it back,
#     leaving frames of the WAL's generation past its end. Before the
#     capture checked their checksum chain, each own commit written over
#     them looked followed by another connection's frame, so none was
#     vouched for and T was refused.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
pitr_python <<'PY'
import os, sqlite3, time
from pitr_test import *
cli, module, work = args()

def moment(app):
    """The rows at T, between two of app's own commits."""
    app.execute("INSERT INTO t (v) VALUES ('own')")
    rows = app.execute("SELECT * FROM t ORDER BY id").fetchall()
    time.sleep(0.005)
    t = now_ms()
    time.sleep(0.005)
    app.execute("INSERT INTO t (v) VALUES ('after')")
    return t, rows

def restores(case, db, logdir, t, want):
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.unlink(db + suffix)
    out = os.path.join(work, case + ".restored.db")
    r = run(cli, module, "restore", "--to-time", text(t), logdir, "--db", "sqlite:" + out)
    if r.returncode != 0:
        fail("%s: the moment did not restore: %s" % (case, r.stderr))
    got = sqlite3.connect(out).execute("SELECT * FROM t ORDER BY id").fetchall()
    if got != want:
        fail("%s: restored rows %r, the database then held %r" % (case, got, want))

# resumed over a WAL checkpointed whole and started again
db, logdir, con = app_with_log(work, module, db="resume.db", log="resume_log")
con.execute("INSERT INTO t (v) VALUES ('before')")
con.close()  # the capture ends; its WAL stays
plain = connect(db)
plain.execute("INSERT INTO t (v) VALUES ('gap 1'), ('gap 2')")
busy, frames, copied = plain.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
if busy or frames != copied:
    fail("the PASSIVE checkpoint did not copy the WAL whole: %r" % ((busy, frames, copied),))
app = connect(db, module)  # the capture resumes: the WAL still holds its place
plain.execute("INSERT INTO t (v) VALUES ('restart')")  # the WAL starts again
t, want = moment(app)
app.close()
plain.close()
restores("resume", db, logdir, t, want)

# frames of a transaction rolled back, past the WAL's end
db, logdir, con = app_with_log(work, module, db="rollback.db", log="rollback_log")
con.execute("INSERT INTO t (v) VALUES ('before')")
plain = connect(db)
plain.execute("PRAGMA cache_size = 10")
plain.execute("BEGIN IMMEDIATE")
plain.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 400) "
              "INSERT INTO t (v) SELECT printf('%0900d', i) FROM n")
plain.execute("ROLLBACK")
t, want = moment(con)
con.close()
plain.close()
restores("rollback", db, logdir, t, want)
print("ok: moments after a resume over a WAL started again, and over a rolled-back "
      "transaction's frames, restore row for row")
PY
