#!/usr/bin/env bash
# A capture killed and started again continues its log (docs/backups.md,
# "Back to any moment") when the WAL still holds its place; the commits
# made while no capture ran are seen only when it resumes, so a time in
# that stretch cannot be restored exactly and is refused (nothing made),
# while moments before the kill, and after the resume, restore row for row
# in the same stretch (one base). A stretch without commits meanwhile
# stays restorable throughout. `log status` lists the same stretches (the
# hole outside every one). A base no record names (its capture killed
# between publishing and recording it) is removed by the next start.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
pitr_python <<'PY'
import calendar, json, os, signal, sqlite3, subprocess, sys, time
from pitr_test import *
cli, module, work = args()
db, log, con = app_with_log(work, None)  # con: open throughout, the WAL stays
now = now_ms
err = open(os.path.join(work, "capture.err"), "a")
def capture():
    at = os.path.getsize(err.name)
    p = subprocess.Popen([cli, "log", log, "--sleep-ms", "20", "--db", "sqlite:" + db, "--module", module], stderr=err)
    wait_capture_ready_in(p, err.name, at)
    caught_up(p)  # its stretch has begun: a commit from now on is inside it
    return p
def caught_up(p):  # every commit so far is in the log, the capture vouches for now
    wait_restorable(cli, module, log, now(), 120, p)
def count(): return con.execute("SELECT count(*) FROM t").fetchone()[0]
def insert(n):
    for _ in range(n): con.execute("INSERT INTO t (v) VALUES (hex(randomblob(50)))")
moments = {}
p = capture()
insert(5); caught_up(p); moments["before the kill"] = (now(), count(), True); caught_up(p)
p.send_signal(signal.SIGKILL); p.wait()
time.sleep(0.3); insert(4); time.sleep(0.3)
moments["while no capture ran"] = (now(), count(), False); time.sleep(0.3)
p = capture()
moments["after the resume"] = (now(), count(), True); caught_up(p)  # vouched for before the next commit
insert(3); caught_up(p)
# a second kill with nothing committed meanwhile: its stretch restores
p.send_signal(signal.SIGKILL); p.wait()
time.sleep(0.4); moments["quiet downtime"] = (now(), count(), True); time.sleep(0.4)
# a capture killed after publishing a new base, before recording it, leaves
# a base no record names: the next start removes it
import shutil
recorded = [f for f in os.listdir(log) if f.startswith("base-") and f.endswith(".db")]
shutil.copy(os.path.join(log, recorded[0]), os.path.join(log, "base-2999-01-01T000000000Z.db"))
p = capture(); insert(2); caught_up(p)
p.send_signal(signal.SIGTERM)
if p.wait() != 0: fail("capture: " + open(os.path.join(work, "capture.err")).read())
con.close()
for s in ("", "-wal", "-shm"):
    if os.path.exists(db + s): os.unlink(db + s)
bases = [f for f in os.listdir(log) if f.startswith("base-") and f.endswith(".db")]
if len(bases) != 1: fail("the resumed captures made %d bases, not one: %s" % (len(bases), open(os.path.join(work, "capture.err")).read()))
for i, (name, (t, n, restorable)) in enumerate(moments.items()):
    out = os.path.join(work, "r%d.db" % i)
    r = subprocess.run([cli, "restore", "--to-time", text(t), log, "--db", "sqlite:" + out, "--module", module],
                       capture_output=True, text=True)
    if restorable:
        if r.returncode != 0: fail("%s: %s" % (name, r.stderr))
        c = sqlite3.connect(out)
        got = c.execute("PRAGMA integrity_check").fetchone()[0], c.execute("SELECT count(*) FROM t").fetchone()[0]
        if got != ("ok", n): fail("%s: %r, not %d rows" % (name, got, n))
    elif r.returncode == 0 or "no capture ran from" not in r.stderr or os.path.exists(out):
        fail("%s was not refused cleanly: %s" % (name, r.stderr or r.stdout))
# log status lists the same answers: the hole is outside every stretch
r = subprocess.run([cli, "log", "status", log, "--json", "--db", "sqlite:" + os.path.join(work, "r0.db"),
                    "--module", module], capture_output=True, text=True)
if r.returncode != 0: fail("log status: " + r.stderr)
def ms(t): return calendar.timegm(time.strptime(t[:19], "%Y-%m-%d %H:%M:%S")) * 1000 + int(t[20:])
stretches = [(ms(s["from"]), ms(s["to"])) for s in json.loads(r.stdout)["stretches"]]
for name, (t, n, restorable) in moments.items():
    if any(a <= t <= b for a, b in stretches) != restorable:
        fail("log status lists %s (%s) as %s: %r" % (name, text(t), "restorable" if not restorable else "outside", stretches))
print("ok: a resumed log restores before and after its downtime, refuses inside it; log status agrees")
PY
