#!/usr/bin/env bash
# `dbcare restore --to-time` builds the restored database as an image
# beside the target, NEW.db.pitr-XXXXXX (a plain copy of the whole restored
# database, with the -wal and -shm its check leaves; for a new database,
# beside its staging file NEW.db.restoring-XXXXXX). Before, a restore
# killed with SIGKILL left them for ever (issue 64.7). Now every restore
# holds the target directory's restore lock, and the next one that holds
# it alone deletes what a killed one left (as for a plain restore's safety
# backup: sqlite_restore_kill_leftovers.sh). Killed at random points, at
# least 20 times; then one more restore leaves nothing of them and
# restores the log, and a file of another name stays.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
pitr_python <<'PY'
import glob, os, random, subprocess, time
from pitr_test import *
cli, module, work = args()
db, log, con = app_with_log(work, module,
                            schema="CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB NOT NULL)")
con.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 8000) "
            "INSERT INTO t (b) SELECT randomblob(1000) FROM n")
for i in range(5):
    con.execute("INSERT INTO t (b) VALUES (randomblob(100))"); time.sleep(0.05)
con.close()
target = os.path.join(work, "NEW.db")
def leftovers():
    # the image beside NEW, or inside the staging file a restore into a
    # new database builds beside it (NEW.db.restoring-XXXXXX, its sides)
    return sorted(glob.glob(target + ".pitr-*") + glob.glob(target + ".restoring-*"))
def clear_target():
    for p in (target, target + "-wal", target + "-shm", target + "-journal"):
        if os.path.exists(p): os.unlink(p)
cmd = [cli, "restore", "--to-time", "latest", log, "--db", "sqlite:" + target, "--module", module]

start = time.monotonic()
r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
took = time.monotonic() - start
if r.returncode != 0: fail("the log does not restore: " + r.stderr)
clear_target()
print("one restore: %.2f s" % took)

rng = random.Random(64)
kills, seen = 0, set()
while kills < 24:
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(rng.uniform(0.0, took))
    if p.poll() is None:
        p.kill(); kills += 1
    p.wait()
    seen.update(os.path.basename(x) for x in leftovers())
    clear_target()
print("%d restores killed; left meanwhile: %d files" % (kills, len(seen)))
# the kills of the last rounds, at the least, leave an image: one more,
# killed as soon as its image is there, makes sure there is one
p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
deadline = time.monotonic() + 60
while not leftovers() and p.poll() is None and time.monotonic() < deadline:
    time.sleep(0.002)
p.kill(); p.wait()
clear_target()
left = leftovers()
if not left: fail("no killed restore left its image: the test proves nothing")
print("left by the kills:", " ".join(os.path.basename(x) for x in left))
other = os.path.join(work, "other.db.pitr-abcdef")
open(other, "w").close()

r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
if r.returncode != 0: fail("the restore after the kills: " + r.stderr)
if leftovers(): fail("the restore after the kills left %s" % leftovers())
for x in left:
    if "deleted %s, left by a restore that was killed" % os.path.basename(x) not in r.stderr + r.stdout:
        fail("the deletion of %s was not said: %r" % (x, r.stderr))
if not os.path.exists(other): fail("a file of another name was deleted")
con = connect(target)
if con.execute("PRAGMA integrity_check").fetchone()[0] != "ok": fail("integrity_check")
if con.execute("SELECT count(*) FROM t").fetchone()[0] != 8005: fail("not the log's rows")
print("ok")
PY
