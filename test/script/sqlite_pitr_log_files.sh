#!/usr/bin/env bash
# A log directory's files are inputs others may write (docs/security.md,
# "The point-in-time log's files"): each name there is opened without
# following a link, must be a regular file, and a base is read no further
# than the pages its record names. Before: a base replaced by a link was
# followed (one to /dev/zero wrote until the filesystem was full), and a
# FIFO in place of a segment, its record, the base or log.identity hung
# restore and log status for ever. Each case runs on a copy of a good log
# under a deadline: it must end, refused by a dbcare: error naming the
# file, and leave no restored database behind.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
pitr_python <<'PY'
import glob, os, shutil, subprocess, time
from pitr_test import *
cli, module, work = args()
db, log, con = app_with_log(work, module)
for i in range(3):
    con.execute("INSERT INTO t (v) VALUES (?)", ("row %d" % i,)); time.sleep(0.05)
con.close()
segs = sorted(glob.glob(os.path.join(log, "log-*.dbclog")))
bases = sorted(glob.glob(os.path.join(log, "base-*.db")))
if not segs or not bases:
    fail("the log has no closed segment or no base: %s" % os.listdir(log))
seg, base = os.path.basename(segs[0]), os.path.basename(bases[0])
record = seg[:-len(".dbclog")] + ".json"

def runs(name, *a):
    """The command under a deadline: a hang is a failure, not a wait."""
    try:
        return run(cli, module, *a, timeout=30)
    except subprocess.TimeoutExpired:
        fail("%s: %s did not end in 30 s (it waits on the log's file)" % (name, " ".join(a[:2])))

def case(name, victim, plant, words, status_too=True):
    d = os.path.join(work, name)
    shutil.copytree(log, d, symlinks=True)
    path = os.path.join(d, victim)
    plant(path)
    target = os.path.join(work, name + ".db")
    r = runs(name, "restore", "--to-time", "latest", d, "--db", "sqlite:" + target)
    if r.returncode == 0:
        fail("%s: restored through %s: %s" % (name, victim, r.stdout))
    if not r.stderr.startswith("dbcare: ") or path not in r.stderr or words not in r.stderr:
        fail("%s: not a dbcare: error naming %s (%r): %r" % (name, path, words, r.stderr))
    if os.path.exists(target) and os.path.getsize(target) > 0:
        fail("%s: the restore left %s" % (name, target))
    if status_too:
        s = runs(name, "log", "status", d)
        if s.returncode == 0 or path not in s.stderr:
            fail("%s: log status did not refuse %s: %r %r" % (name, path, s.stdout, s.stderr))
    print("ok: %s refused: %s" % (name, r.stderr.strip().splitlines()[0]))

def link_to_copy(path):
    """A link to a file with the same bytes: only the link is wrong."""
    shutil.copy(path, path + ".real"); os.unlink(path)
    os.symlink(os.path.basename(path) + ".real", path)
def fifo(path):
    os.unlink(path); os.mkfifo(path)
def grown(path):
    with open(path, "ab") as f: f.write(b"\0" * 4096)

r = runs("good", "restore", "--to-time", "latest", log, "--db", "sqlite:" + os.path.join(work, "good.db"))
if r.returncode != 0: fail("the log itself does not restore: " + r.stderr)

# the link first: on a build that follows links it restores (and fails
# the test) before the link to /dev/zero is ever tried
case("base_link", base, link_to_copy, "symbolic link", status_too=False)
case("segment_link", seg, link_to_copy, "symbolic link")
case("base_zero", base, lambda p: (os.unlink(p), os.symlink("/dev/zero", p)), "symbolic link",
     status_too=False)
case("base_fifo", base, fifo, "not a regular file", status_too=False)
case("base_grown", base, grown, "larger than the log records", status_too=False)
case("segment_fifo", seg, fifo, "not a regular file")
case("record_fifo", record, fifo, "not a regular file")
case("identity_fifo", "log.identity", fifo, "not a regular file")

# log.progress only says how far the capture got: one that is no regular
# file is not read (the log is read as if it had none), never waited on
d = os.path.join(work, "progress_fifo")
shutil.copytree(log, d, symlinks=True)
fifo(os.path.join(d, "log.progress"))
for a in (("log", "status", d), ("restore", "--to-time", "latest", d, "--db",
                                  "sqlite:" + os.path.join(work, "progress.db"))):
    r = runs("progress_fifo", *a)
    if r.returncode != 0: fail("progress_fifo: %s failed: %r" % (a[0], r.stderr))
print("ok: a FIFO as log.progress is not waited on")
PY
