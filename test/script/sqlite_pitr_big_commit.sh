#!/usr/bin/env bash
# A commit larger than one log record holds (2 GB: a VACUUM of a database
# over 2 GB is one) is never written as a record the log could not read
# back (docs/backups.md, "What the log holds"): the capture says so and
# takes a new base, which holds it. At suite size a test-only knob,
# DBCARE_TEST_RECORD_BYTES, lowers the limit to 256 KB and a commit of
# 1 MB meets it: moments before and after it restore row for row, the
# log has stretches of both bases, and every record of it reads back.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
pitr_python <<'PY'
import glob, json, os, signal, sqlite3, subprocess, time
from pitr_test import *
cli, module, work = args()
db, log = os.path.join(work, "app.db"), os.path.join(work, "log")
os.mkdir(log)
con = connect(db, timeout=30)
con.executescript("PRAGMA journal_mode = wal; CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)")
err = open(os.path.join(work, "capture.err"), "w")
env = dict(os.environ, DBCARE_TEST_RECORD_BYTES=str(256 << 10))
p = subprocess.Popen([cli, "log", log, "--sleep-ms", "20", "--db", "sqlite:" + db, "--module", module],
                     stderr=err, env=env)
def progress():
    try:
        return int(open(os.path.join(log, "log.progress")).read().split()[0])
    except (OSError, ValueError, IndexError):
        return 0
def wait_progress(ok, limit=30.0):
    end = time.time() + limit
    while time.time() < end:
        if ok(progress()):
            return True
        time.sleep(0.005)
    return False
def moment():
    """A moment the capture saw whole (the write lock held meanwhile), and
    the rows then."""
    con.execute("BEGIN IMMEDIATE")
    held = now_ms()
    rows = con.execute("SELECT id, length(v), hex(substr(v, 1, 64)) FROM t ORDER BY id").fetchall()
    first = [0]
    def seen(q):
        first[0] = q
        return q >= held
    if not (wait_progress(seen) and wait_progress(lambda q: q > first[0])):
        fail("the capture did not reach the moment: " + open(err.name).read(), p)
    time.sleep(0.003)
    t = now_ms()
    if not wait_progress(lambda q: q > t):
        fail("the capture did not pass the moment: " + open(err.name).read(), p)
    con.execute("ROLLBACK")
    return t, rows
if not wait_progress(lambda q: q > 0):
    fail("the capture did not start: " + open(err.name).read(), p)
for _ in range(3):
    con.execute("INSERT INTO t (v) VALUES (randomblob(100))")
before = moment()
con.execute("INSERT INTO t (v) VALUES (randomblob(1048576))")  # one commit of about 260 pages
for _ in range(2):
    con.execute("INSERT INTO t (v) VALUES (randomblob(100))")
# the new base (taken under the write lock, which moment() holds) first
end = time.time() + 30
while len(glob.glob(os.path.join(log, "base-*.db"))) < 2 and time.time() < end:
    time.sleep(0.01)
after = moment()
p.send_signal(signal.SIGTERM)
if p.wait() != 0:
    fail("the capture failed: " + open(err.name).read())
said = open(err.name).read()
if "larger than one log record holds" not in said:
    fail("the capture did not say it took the large commit as a base: " + said)
if len(glob.glob(os.path.join(log, "base-*.db"))) != 2:
    fail("not two bases: %r" % os.listdir(log))
con.close()
for s in ("", "-wal", "-shm"):
    if os.path.exists(db + s):
        os.unlink(db + s)
for name, (t, rows) in (("before the large commit", before), ("after it", after)):
    out = os.path.join(work, name.replace(" ", "_") + ".db")
    r = run(cli, module, "restore", "--to-time", text(t), log, "--db", "sqlite:" + out)
    if r.returncode != 0:
        fail("%s: %s" % (name, r.stderr))
    c = sqlite3.connect(out)
    if c.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
        fail("%s: integrity_check" % name)
    got = c.execute("SELECT id, length(v), hex(substr(v, 1, 64)) FROM t ORDER BY id").fetchall()
    if got != rows:
        fail("%s: %d rows restored, not the %d of that moment" % (name, len(got), len(rows)))
r = run(cli, module, "log", "status", log, "--json")
if r.returncode != 0 or {s["epoch"] for s in json.loads(r.stdout)["stretches"]} != {1, 2}:
    fail("log status: not stretches of both bases: %s%s" % (r.stdout, r.stderr))
r = run(cli, module, "backup", "drill", "--log", log)
if r.returncode != 0:
    fail("the drill, which reads every record back: %s%s" % (r.stdout, r.stderr))
print("ok: a commit larger than a record became a new base; before and after it restore row for row")
PY
