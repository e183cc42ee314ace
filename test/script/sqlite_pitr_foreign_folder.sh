#!/usr/bin/env bash
# A point-in-time log folder another user owns, or that other users may
# write, is refused (docs/security.md, "The point-in-time log's files"),
# as a key file is: its owner could hold log.lock with flock (the capture
# never starts) and put any log there for `restore --to-time latest`.
# Before, both worked without a word. The capture (`dbcare log`), `log
# status`, `restore --to-time` and `log prune` each end with a dbcare:
# error naming the folder, its owner or mode, and the remedy; the same
# folder made the user's own again restores.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
pitr_python <<'PY'
import os, subprocess, time
from pitr_test import *
cli, module, work = args()
if os.geteuid() != 0:
    fail("this test runs as root: it gives the log folder to another user (chown)")
db, log, con = app_with_log(work, module)
for i in range(3):
    con.execute("INSERT INTO t (v) VALUES (?)", ("row %d" % i,)); time.sleep(0.05)
con.close()

def runs(*a):
    try:
        return run(cli, module, *a, timeout=30)
    except subprocess.TimeoutExpired:
        fail("%s did not end in 30 s" % " ".join(a[:2]))

def refused(label, words):
    target = os.path.join(work, label + ".db")
    for a in (("log", "status", log), ("restore", "--to-time", "latest", log, "--db", "sqlite:" + target),
              ("log", "prune", log, "--keep", "1"),
              ("log", log, "--run-for", "3s", "--db", "sqlite:" + db)):
        r = runs(*a)
        err = r.stderr
        if r.returncode == 0 or not err.startswith("dbcare: ") or log not in err or \
                words not in err or "chmod go-w" not in err:
            fail("%s: %s was not refused by name: rc %d %r %r" % (label, " ".join(a[:2]), r.returncode,
                                                                 r.stdout, err))
    if os.path.exists(target) and os.path.getsize(target) > 0:
        fail("%s: the restore made %s" % (label, target))
    print("ok: %s refused: %s" % (label, err.strip().splitlines()[0]))

os.chmod(log, 0o777)
refused("world_writable", "can be written by other users (mode 0777)")
os.chmod(log, 0o770)
refused("group_writable", "can be written by other users (mode 0770)")
os.chmod(log, 0o700)
os.chown(log, 65534, 65534)
refused("other_owner", "belongs to another user (uid 65534)")
os.chown(log, 0, 0)

r = runs("restore", "--to-time", "latest", log, "--db", "sqlite:" + os.path.join(work, "mine.db"))
if r.returncode != 0: fail("the folder of one's own does not restore: " + r.stderr)
print("ok: the folder made one's own again restores")
PY
