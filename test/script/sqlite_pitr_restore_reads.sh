#!/usr/bin/env bash
# A restore to a moment reads the log only from the last base at or before
# it to the first commit after it (docs/backups.md, "Back to any moment"):
# every record it applies is checked (each closed segment against its
# record, each record's SHA-256), but a damaged segment of an older epoch,
# or one after the moment, does not stop it: a log of GBs restores a recent
# moment without reading its whole history, and damage far from the moment
# costs only the moments it touches. Damage between the base and the moment
# is still refused, with nothing made.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
pitr_python <<'PY'
import json, os, shutil, signal, sqlite3, subprocess, sys, time
from pitr_test import now_ms, wait_capture_ready, wait_restorable
cli, module, work = sys.argv[1:4]
db, log = os.path.join(work, "a.db"), os.path.join(work, "lg")
def fail(m): print("FAIL: " + m); sys.exit(1)
def stamp(): return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()) + ".%03d" % (int(time.time() * 1000) % 1000)
def capture():
    p = subprocess.Popen([cli, "log", log, "--db", "sqlite:" + db, "--module", module, "--sleep-ms", "20",
                          "--segment-interval", "200ms"], stderr=subprocess.PIPE)
    wait_capture_ready(p)
    return p
def caught_up(p):  # every commit so far is in the log
    wait_restorable(cli, module, log, now_ms(), 120, p)
def commits(n):
    for _ in range(n):
        con.execute("INSERT INTO t (v) VALUES (hex(randomblob(40)))"); time.sleep(0.02)
def rows(path): return sqlite3.connect(path).execute("SELECT count(*), sum(length(v)) FROM t").fetchone()
os.mkdir(log)
con = sqlite3.connect(db, isolation_level=None)
con.executescript("PRAGMA journal_mode = wal; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
# epoch 1; stopped, the WAL reset meanwhile: the next capture takes a new base
p = capture(); commits(20); caught_up(p)
p.send_signal(signal.SIGTERM); p.wait()
commits(1); con.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
# epoch 2: commits, the moment, more commits in later segments
p = capture(); commits(20); caught_up(p); time.sleep(0.5)
moment, want = stamp(), rows(db)
# two batches apart: at least two segments after the moment (the restore
# reads up to the first commit after it, so the damage goes in a later one)
time.sleep(0.5); commits(10); time.sleep(0.6); commits(10); caught_up(p)
p.send_signal(signal.SIGTERM); p.wait()
con.close()
segs = {}
for f in sorted(os.listdir(log)):
    if f.endswith(".json"):
        m = json.load(open(os.path.join(log, f)))
        segs[m["segment"]] = m
if len({m["epoch"] for m in segs.values()}) != 2: fail("not two epochs: %r" % segs)
def pick(ok, skip=0):
    s = [n for n, m in sorted(segs.items()) if m["first_commit"] != "1970-01-01 00:00:00.000" and ok(m)][skip:]
    if not s: fail("no segment to damage: %r" % segs)
    return s[len(s) // 2]
old = pick(lambda m: m["epoch"] == 1)
after = pick(lambda m: m["epoch"] == 2 and m["first_commit"] > moment, skip=1)
between = pick(lambda m: m["epoch"] == 2 and m["last_commit"] < moment and m["base"] == segs[after]["base"])
def damaged(name, *segments):
    d = os.path.join(work, name)
    shutil.copytree(log, d, ignore=shutil.ignore_patterns("log.lock"))
    for s in segments:
        with open(os.path.join(d, s), "r+b") as f:
            f.seek(40); b = f.read(1); f.seek(40); f.write(bytes([b[0] ^ 0xff]))
    return d
def restore(d, name, when=moment):
    out = os.path.join(work, name)
    return subprocess.run([cli, "restore", "--to-time", when, d, "--db", "sqlite:" + out, "--module", module],
                          capture_output=True, text=True, timeout=60), out
# damage far from the moment: it restores, row for row
far = damaged("far", old, after)
r, out = restore(far, "far.db")
if r.returncode != 0: fail("damage in %s and %s stopped a restore to %s that needs neither: %s" % (old, after, moment, r.stderr))
if rows(out) != want: fail("restored %r, the database had %r at %s" % (rows(out), want, moment))
# ... and the moments it touches are refused, naming the segment
r, out = restore(far, "old.db", segs[old]["last_commit"])
if r.returncode == 0 or old not in r.stderr or os.path.exists(out):
    fail("a restore into the damaged %s: rc %d, %s" % (old, r.returncode, r.stderr))
# damage between the base and the moment: refused, nothing made
r, out = restore(damaged("near", between), "near.db")
if r.returncode == 0 or not r.stderr.startswith("dbcare:") or between not in r.stderr or os.path.exists(out):
    fail("damage in %s, between the base and the moment, restored: rc %d, %s" % (between, r.returncode, r.stderr))
print("ok: damage in %s (epoch 1) and %s (after the moment) does not stop a restore to it; in %s it does" %
      (old, after, between))
PY
