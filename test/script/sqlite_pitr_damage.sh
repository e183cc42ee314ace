#!/usr/bin/env bash
# A damaged record in the segment a killed capture left open is damage, not
# a torn tail (docs/backups.md, "Back to any moment"): the drill and the
# restore fail with a dbcare: error naming the file and the byte, and the
# next capture refuses to start without cutting a byte of the segment (the
# records after the damage are the log too). A torn tail (the file ends
# inside its last record) is still cut by the next capture, and restores.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
pitr_python <<'PY'
import json, os, shutil, signal, sqlite3, subprocess, sys, time
from pitr_test import *
cli, module, work = args()
db, log = os.path.join(work, "a.db"), os.path.join(work, "lg")
def run(*a): return subprocess.run([cli, *a, "--module", module], capture_output=True, text=True, timeout=60)
os.mkdir(log)
con = sqlite3.connect(db, isolation_level=None)
con.executescript("PRAGMA journal_mode = wal; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
p = subprocess.Popen([cli, "log", log, "--db", "sqlite:" + db, "--module", module, "--sleep-ms", "20"],
                     stderr=subprocess.PIPE)
wait_capture_ready(p)
for _ in range(30): con.execute("INSERT INTO t (v) VALUES (hex(randomblob(40)))"); time.sleep(0.01)
wait_logged(cli, module, log, 30, 120, p)
# vouched for twice (heartbeats of polls that found nothing new): the
# torn tail below cuts the last record only
wait_restorable(cli, module, log, int(time.time() * 1000), 120, p)
time.sleep(0.4)
wait_restorable(cli, module, log, int(time.time() * 1000), 120, p)
p.send_signal(signal.SIGKILL); p.wait()
con.close()
seg = os.path.join(log, "log-00000001.dbclog.open")
if not os.path.exists(seg): fail("the killed capture left no open segment: %r" % os.listdir(log))
size = os.path.getsize(seg)
if size < 2000: fail("the open segment holds %d bytes only" % size)
torn = os.path.join(work, "torn"); shutil.copytree(log, torn)
with open(seg, "r+b") as f:
    f.seek(300); b = f.read(1); f.seek(300); f.write(bytes([b[0] ^ 0xff]))
# the drill and the restore fail, naming the segment and a byte
for what, r in (("drill", run("backup", "drill", "--log", log, "--db", "sqlite:" + db)),
                ("restore", run("restore", "--to-time", time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()), log,
                                "--db", "sqlite:" + os.path.join(work, "r.db")))):
    if r.returncode == 0 or "dbcare:" not in r.stderr or "log-00000001.dbclog.open" not in r.stderr \
       or "damaged at byte" not in r.stderr:
        fail("%s over a damaged segment: rc %d, %s%s" % (what, r.returncode, r.stdout, r.stderr))
if os.path.exists(os.path.join(work, "r.db")): fail("the refused restore left r.db")
# the next capture refuses to start and cuts nothing
r = subprocess.run([cli, "log", log, "--db", "sqlite:" + db, "--module", module], capture_output=True,
                   text=True, timeout=30)
if r.returncode == 0 or "damaged at byte" not in r.stderr: fail("a capture started over damage: %s" % r.stderr)
if not os.path.exists(seg) or os.path.getsize(seg) != size:
    fail("the capture cut the damaged segment: %d bytes of %d" % (os.path.getsize(seg) if os.path.exists(seg) else -1, size))
# a torn tail: the file ends inside its last record; the capture cuts it and restores.
# A capture killed while it wrote that record had not yet named it in
# log.progress (written only once a record is whole): progress names the one before.
tseg = os.path.join(torn, "log-00000001.dbclog.open")
with open(tseg, "r+b") as f: f.truncate(size - 7)
progress = os.path.join(torn, "log.progress")
ms, epoch, seq = open(progress).read().split()
with open(progress, "w") as f: f.write("%s %s %0*d\n" % (ms, epoch, len(seq), int(seq) - 1))
r = run("backup", "drill", "--log", torn, "--db", "sqlite:" + db)
if r.returncode != 0: fail("drill over a torn tail: %s%s" % (r.stdout, r.stderr))
p = subprocess.Popen([cli, "log", torn, "--db", "sqlite:" + db, "--module", module, "--sleep-ms", "20"],
                     stderr=subprocess.PIPE, text=True)
wait_capture_ready(p); p.send_signal(signal.SIGTERM)
if p.wait() != 0: fail("capture over a torn tail: " + p.stderr.read())
out = os.path.join(work, "t.db")
# to the last moment the stopped capture vouches for (the wall clock's
# second may be past it)
st = run("log", "status", torn, "--json")
if st.returncode != 0: fail("log status after a torn tail: " + st.stderr)
r = run("restore", "--to-time", json.loads(st.stdout)["last_restorable"], torn, "--db", "sqlite:" + out)
if r.returncode != 0: fail("restore after a torn tail: " + r.stderr)
n = sqlite3.connect(out).execute("SELECT count(*) FROM t").fetchone()[0]
if n != 30: fail("the log with a torn tail restored %d rows, not 30" % n)
print("ok: damage in an open segment fails the drill, the restore and the capture; a torn tail is cut")
PY
