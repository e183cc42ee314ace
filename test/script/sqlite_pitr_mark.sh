#!/usr/bin/env bash
# Restore points as places in the point-in-time log (docs/backups.md,
# "Back to a restore point"): while `dbcare log` captures and three writer
# processes commit (two without the module), dbbackup_mark is called four
# times; the marker copies the rows at each mark with every writer held
# between transactions (a file lock), so the copy is the database at the
# mark's commit. The label of one mark is written into the application's
# rows before it is made (a commit holding its bytes that is not the
# mark). The database is deleted; `dbcare restore --to-mark LABEL DIR`
# restores each mark from the log alone, equal row for row to its copy,
# integrity_check ok, the mark present and the next one absent. A mark
# made before the capture's base, and an unknown label, are refused with
# a dbcare: error and nothing made.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/built_cli.sh"

PYTHONPATH="$(dirname "$0")/lib" "$py" - "$cli" "$module" "$work" <<'PY'
import fcntl, hashlib, multiprocessing as mp, os, random, signal, sqlite3, subprocess, sys, time
from pitr_test import *
cli, module, work = args()
db, logdir, bk = (os.path.join(work, n) for n in ("app.db", "log", "backups"))
os.mkdir(logdir); os.mkdir(bk)
lockfile = os.path.join(work, "writers.lock")
open(lockfile, "w").close()

def connect(with_module):
    c = sqlite3.connect(db, timeout=60, isolation_level=None)
    if with_module:
        c.enable_load_extension(True); c.load_extension(module)
    return c
con = connect(True)  # open throughout: the WAL stays between captures
con.executescript("""PRAGMA journal_mode = wal;
  CREATE TABLE t (id INTEGER PRIMARY KEY, w INT, payload TEXT);
  CREATE INDEX t_w ON t (w);""")
con.execute("SELECT dbcare_set('backup.dir', ?)", (bk,)).fetchall()
con.execute("SELECT dbbackup_mark('early')").fetchall()  # before the capture's base

def rows_hash(c):
    h = hashlib.sha256()
    for row in c.execute("SELECT * FROM t ORDER BY id"):
        h.update(repr(row).encode())
    return h.hexdigest()

def writer(wid, stop):
    rnd = random.Random(wid)
    c = connect(wid == 2)
    lk = open(lockfile)
    while not stop.is_set():
        fcntl.flock(lk, fcntl.LOCK_SH)
        c.execute("BEGIN IMMEDIATE")
        for _ in range(rnd.randint(1, 20)):
            c.execute("INSERT INTO t (w, payload) VALUES (?, ?)", (wid, os.urandom(rnd.randint(10, 400)).hex()))
        if rnd.random() < 0.2:
            c.execute("DELETE FROM t WHERE id IN (SELECT id FROM t WHERE w = ? ORDER BY random() LIMIT 5)", (wid,))
        c.execute("COMMIT")
        fcntl.flock(lk, fcntl.LOCK_UN)
        time.sleep(rnd.uniform(0, 0.01))

err = open(os.path.join(work, "capture.err"), "a")
capture = subprocess.Popen([cli, "log", logdir, "--db", "sqlite:" + db, "--module", module,
                            "--sleep-ms", "20", "--segment-interval", "1s"], stderr=err)
wait_capture_ready_in(capture, err.name)
stop = mp.Event()
writers = [mp.Process(target=writer, args=(i, stop)) for i in range(3)]
for p in writers: p.start()

marks = {}
lk = open(lockfile)
for i in range(4):
    time.sleep(random.uniform(0.3, 0.8))
    label = "release-%d" % i
    if i == 2:  # the label in the application's rows first: a commit that is not the mark
        con.execute("INSERT INTO t (w, payload) VALUES (9, ?)", ("notes for %s" % label,))
        time.sleep(0.2)
    fcntl.flock(lk, fcntl.LOCK_EX)
    marks[label] = rows_hash(con)
    con.execute("SELECT dbbackup_mark(?)", (label,)).fetchall()
    fcntl.flock(lk, fcntl.LOCK_UN)
time.sleep(0.5)
stop.set()
for p in writers: p.join()
wait_restorable(cli, module, logdir, now_ms(), 120, capture)  # every mark is in the log
capture.send_signal(signal.SIGTERM)
if capture.wait() != 0:
    fail("the capture failed: " + open(os.path.join(work, "capture.err")).read())
con.close()
for s in ("", "-wal", "-shm"):
    if os.path.exists(db + s): os.unlink(db + s)

def restore(label, name):
    out = os.path.join(work, name)
    r = subprocess.run([cli, "restore", "--to-mark", label, logdir, "--db", "sqlite:" + out, "--module", module],
                       capture_output=True, text=True)
    return r, out
def marks_in(path):
    c = sqlite3.connect(path, isolation_level=None)
    c.enable_load_extension(True); c.load_extension(module)
    got = [r[0] for r in c.execute("SELECT label FROM dbbackup_marks() ORDER BY label")]
    c.close()
    return got
labels = sorted(marks)
for i, label in enumerate(labels):
    r, out = restore(label, "m%d.db" % i)
    if r.returncode != 0:
        fail("%s: %s" % (label, r.stderr))
    if 'the restore point "%s"' % label not in r.stdout:
        fail("%s: the output does not name the restore point: %s" % (label, r.stdout))
    c = sqlite3.connect(out)
    if c.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
        fail("%s: the restored file fails integrity_check" % label)
    if rows_hash(c) != marks[label]:
        fail("%s: the restored rows are not the copy taken at the mark" % label)
    c.close()
    got = marks_in(out)
    if label not in got or any(l in got for l in labels[i + 1:]):
        fail("%s: the restored database has the marks %r" % (label, got))

# '' and '%' are in the pages of commits that made no mark (and of images
# whose bookkeeping is not whole yet): still no restore point of that name
for label, why in (("early", "was made before the log's base"),
                   ("no-such-mark", 'no restore point named "no-such-mark" in the log'),
                   ("", 'no restore point named "" in the log'), ("%", 'no restore point named "%" in the log')):
    r, out = restore(label, "refused.db")
    if r.returncode == 0 or not r.stderr.startswith("dbcare:") or why not in r.stderr:
        fail("--to-mark %s: not refused (%s): %s%s" % (label, why, r.stdout, r.stderr))
    leftovers = [f for f in os.listdir(work) if f.startswith("refused.db")]
    if leftovers:
        fail("--to-mark %s left %r" % (label, leftovers))
print("ok: %d restore points restored from the log alone, each equal to its copy" % len(labels))
PY
