#!/usr/bin/env bash
# Point-in-time capture inside the application (docs/backups.md, "Capture
# inside the application"): an application process with the module loaded
# and backup.log.dir set captures the log from its own commits, while
# three plain connections without the module commit too (one of them
# forcing TRUNCATE, RESTART and PASSIVE checkpoints, and now and then a
# VACUUM). The application is killed with SIGKILL DBC_KILLS times (default
# 3) and started again; it continues the log or takes a new base. Between
# its own commits it takes moments: holding a lock the writers take around
# each transaction (nothing commits), it commits a mark (its WAL hook copies
# every commit so far into the log), copies the rows, notes T, commits a
# second mark (the log vouches only for moments between two of its own
# commits with no other connection's between) and lets the writers go on; the moment counts once its next commit is in the log
# (the log reaches past T: no heartbeat while an application is idle). Then the database is deleted with its -wal and -shm,
# and every moment restores from the log directory alone equal row for row
# to its copy, passing PRAGMA integrity_check, with the command (`dbcare
# restore --to-time`), which reads the module's log as its own. While the
# application captures, `dbcare log` on the same directory is refused (one
# capture per log) and leaves the log whole; a second application process
# with the module waits, and takes the capture over when the first is
# killed. Emptying backup.log.dir ends a connection's capture and gives
# the WAL back to SQLite's automatic checkpoint.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/built_cli.sh"

DBC_KILLS=${DBC_KILLS:-3} PYTHONPATH="$(dirname "$0")/lib" "$py" - "$cli" "$module" "$work" <<'PY'
import fcntl, hashlib, json, multiprocessing as mp, os, random, signal, sqlite3, subprocess, sys, time
from pitr_test import *
cli, module, work = args()
kills = int(os.environ["DBC_KILLS"])
gate, turn, marks = (os.path.join(work, n) for n in ("gate", "turn", "moments"))
open(gate, "w").close(); open(turn, "w").close()

def gate_shared(g, t):
    """The gate shared, through the turnstile: a moment waiting for the
    gate holds the turnstile, so no new transaction starves it."""
    fcntl.flock(t, fcntl.LOCK_EX); fcntl.flock(g, fcntl.LOCK_SH); fcntl.flock(t, fcntl.LOCK_UN)

db, logdir, con = app_with_log(work, module, """
  CREATE TABLE t (id INTEGER PRIMARY KEY, w INT, n INT, payload TEXT);
  CREATE TABLE u (k TEXT PRIMARY KEY, v INT) WITHOUT ROWID;
  CREATE INDEX t_w ON t (w, n);""")
con.close()

def rows_hash(c):
    h = hashlib.sha256()
    for q in ("SELECT * FROM t ORDER BY id", "SELECT * FROM u ORDER BY k"):
        for row in c.execute(q):
            h.update(repr(row).encode())
    return h.hexdigest()

def change(c, rnd, wid):
    op = rnd.random()
    if op < 0.55:
        for _ in range(rnd.randint(1, 30)):
            c.execute("INSERT INTO t (w, n, payload) VALUES (?, ?, ?)",
                      (wid, rnd.randint(0, 1 << 30), os.urandom(rnd.randint(10, 900)).hex()))
    elif op < 0.75:
        c.execute("UPDATE t SET n = n + 1, payload = substr(payload, 3) WHERE id % 13 = ?", (rnd.randint(0, 12),))
    elif op < 0.9:
        c.execute("INSERT OR REPLACE INTO u VALUES (?, ?)", ("k%d" % rnd.randint(0, 5000), rnd.randint(0, 99)))
    else:
        c.execute("DELETE FROM t WHERE id IN (SELECT id FROM t ORDER BY random() LIMIT 40)")

def writer(wid, stop, checkpoints):
    """A plain connection (no module): each transaction under the shared gate."""
    rnd = random.Random(wid * 7919 + os.getpid())
    c = sqlite3.connect(db, timeout=20, isolation_level=None)
    ck = sqlite3.connect(db, timeout=0.2, isolation_level=None) if checkpoints else None
    g, tt = open(gate), open(turn)
    while not stop.is_set():
        gate_shared(g, tt)
        c.execute("BEGIN IMMEDIATE")
        change(c, rnd, wid)
        c.execute("COMMIT")
        if ck and rnd.random() < 0.05:
            try:
                ck.execute("PRAGMA wal_checkpoint(%s)" % rnd.choice(["TRUNCATE", "RESTART", "PASSIVE"])).fetchall()
            except sqlite3.OperationalError:
                pass
        if ck and rnd.random() < 0.004:
            c.execute("VACUUM")
        fcntl.flock(g, fcntl.LOCK_UN)
        time.sleep(rnd.uniform(0, 0.02))

def captures():
    """Whether this process holds the log's lock (/proc/locks: its flock)."""
    ino = os.stat(os.path.join(logdir, "log.lock")).st_ino
    for line in open("/proc/locks"):
        f = line.split()
        if f[1] == "FLOCK" and int(f[4]) == os.getpid() and int(f[5].split(":")[2]) == ino:
            return True
    return False

def app(seed):
    """The application: the module loaded, backup.log.dir set in the
    database; commits of its own and, now and then, a moment."""
    rnd = random.Random(seed)
    c = sqlite3.connect(db, timeout=20, isolation_level=None)
    c.enable_load_extension(True)
    c.load_extension(module)
    g, tt, out, err = open(gate), open(turn), open(marks, "a"), open(os.path.join(work, "app.err"), "a")
    pending = None
    while True:
        gate_shared(g, tt)
        c.execute("BEGIN IMMEDIATE"); change(c, rnd, 9); c.execute("COMMIT")
        fcntl.flock(g, fcntl.LOCK_UN)
        if pending:  # a record after T now: the log reaches past it
            out.write(pending); out.flush()
            pending = None
        if rnd.random() < 0.5:
            fcntl.flock(tt, fcntl.LOCK_EX)
            fcntl.flock(g, fcntl.LOCK_EX)  # no writer is inside a transaction now
            c.execute("INSERT OR REPLACE INTO u VALUES ('mark', ?)", (rnd.randint(0, 99),))
            if not captures():  # another process captures: its copy may come later
                print("seed %d: not capturing" % seed, file=err, flush=True)
                fcntl.flock(g, fcntl.LOCK_UN); fcntl.flock(tt, fcntl.LOCK_UN)
                continue
            h = rows_hash(c)
            time.sleep(0.002)  # T after the millisecond the mark's copy was stamped in
            t = now_ms()
            time.sleep(0.002)  # a commit after T is stamped after it
            # the application commits again before the writers go on: the
            # log vouches for T only between two of its own commits with
            # none of another connection's between (it cannot know when
            # those were made: docs/backups.md)
            c.execute("INSERT OR REPLACE INTO u VALUES ('mark', ?)", (rnd.randint(100, 199),))
            pending = "%d %s %d\n" % (t, h, seed)
            fcntl.flock(g, fcntl.LOCK_UN); fcntl.flock(tt, fcntl.LOCK_UN)
        time.sleep(rnd.uniform(0, 0.03))

stop = mp.Event()
writers = [mp.Process(target=writer, args=(i, stop, i == 0)) for i in range(3)]
for p in writers: p.start()
capturer = mp.Process(target=app, args=(1,)); capturer.start()
end = time.time() + 120  # a loaded machine: wait for the base, not a fixed time
while not any(f.startswith("base-") for f in os.listdir(logdir)) and time.time() < end:
    time.sleep(0.05)
if not any(f.startswith("base-") for f in os.listdir(logdir)):
    fail("the application took no base: %r" % os.listdir(logdir))

# one capture per log: dbcare log on the same directory is refused
r = subprocess.run([cli, "log", logdir, "--db", "sqlite:" + db, "--module", module, "--run-for", "1s"],
                   capture_output=True, text=True)
if r.returncode == 0 or "another capture" not in r.stderr:
    fail("dbcare log beside a capturing application: %d %s" % (r.returncode, r.stderr))

rnd = random.Random()
for k in range(kills):
    time.sleep(rnd.uniform(0.8, 1.6))
    os.kill(capturer.pid, signal.SIGKILL); capturer.join()
    time.sleep(rnd.uniform(0.05, 0.5))
    capturer = mp.Process(target=app, args=(k + 2,)); capturer.start()
time.sleep(1.0)
def moments_taken():
    return sum(1 for l in open(marks) if l.strip())
end = time.time() + 60  # a loaded machine: wait for the moments, not a fixed time
while moments_taken() < 5 and time.time() < end:
    time.sleep(0.1)

# a second application process waits while the first captures, and takes
# the capture over once the first is killed (within its one-second retry)
second = mp.Process(target=app, args=(99,)); second.start()
time.sleep(0.5)
os.kill(capturer.pid, signal.SIGKILL); capturer.join()
def second_moments():
    return sum(1 for l in open(marks) if l.split()[2:3] == ["99"])
end = time.time() + 30  # a loaded machine: wait for the takeover's moments, not a fixed time
while second_moments() < 2 and time.time() < end:
    time.sleep(0.1)
os.kill(second.pid, signal.SIGKILL); second.join()
stop.set()
for p in writers: p.join()

final = sqlite3.connect(db)
h_final, t_final = rows_hash(final), now_ms()
final.close()
for suffix in ("", "-wal", "-shm"):
    if os.path.exists(db + suffix): os.unlink(db + suffix)

taken = [l.split() for l in open(marks) if l.strip()]
if len(taken) < 5:
    fail("only %d moments taken" % len(taken))
# at most 16 restored (the suite's time): the second application's first,
# the rest drawn at random
second_app = [m for m in taken if m[2] == "99"]
others = [m for m in taken if m[2] != "99"]
chosen = second_app[:4] + random.sample(others, min(len(others), 16 - len(second_app[:4])))
moments = [(int(a), b) for a, b, _ in chosen]
if not second_app:
    fail("the second application never took the capture over: %s" % open(os.path.join(work, "app.err")).read()[-2000:])
bases = sorted(f for f in os.listdir(logdir) if f.startswith("base-") and f.endswith(".db"))
exact = 0
for i, (t, h) in enumerate(moments):
    out = os.path.join(work, "r%d.db" % i)
    r = subprocess.run([cli, "restore", "--to-time", text(t), logdir, "--db", "sqlite:" + out,
                        "--module", module], capture_output=True, text=True)
    if r.returncode != 0:
        fail("moment %d (%s) did not restore: %s" % (i, text(t), r.stderr))
    c = sqlite3.connect(out)
    if c.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
        fail("moment %d (%s): the restored file fails integrity_check" % (i, text(t)))
    if rows_hash(c) != h:
        fail("moment %d (%s): restored rows differ from the copy taken then" % (i, text(t)))
    c.close()
    os.unlink(out)
    exact += 1
st = subprocess.run([cli, "log", "status", logdir, "--json", "--db", "sqlite:" + db, "--module", module],
                    capture_output=True, text=True)
if st.returncode != 0 or json.loads(st.stdout)["capturing"]:
    fail("log status after the kills: %s %s" % (st.stdout, st.stderr))
# the setting emptied: the connection's capture ends, and SQLite's own
# automatic checkpoint is back (the WAL stays near 1,000 frames)
small, small_log = os.path.join(work, "small.db"), os.path.join(work, "small_log")
os.mkdir(small_log)
c = sqlite3.connect(small, isolation_level=None)
c.enable_load_extension(True); c.load_extension(module)
c.executescript("PRAGMA journal_mode = wal; CREATE TABLE t (v TEXT)")
c.execute("SELECT dbcare_set('backup.log.dir', ?)", (small_log,)).fetchall()
c.execute("INSERT INTO t VALUES ('captured')")
c.execute("SELECT dbcare_set('backup.log.dir', '')").fetchall()
for i in range(3000):
    c.execute("INSERT INTO t VALUES (?)", ("x" * 3000,))
wal_frames = (os.path.getsize(small + "-wal") - 32) // (24 + 4096)
st = json.loads(subprocess.run([cli, "log", "status", small_log, "--json", "--db", "sqlite:" + small,
                                "--module", module], capture_output=True, text=True).stdout)
c.close()
if wal_frames > 1500 or sum(x["commits"] for x in st["stretches"]) > 2 or st["capturing"]:
    fail("backup.log.dir emptied: WAL of %d frames, log %r" % (wal_frames, st))

print("ok: %d of %d moments restored row for row from a log the application captured; %d kills of "
      "the capturing application, %d bases; dbcare log refused beside it; a second "
      "application took the capture over" % (exact, len(taken), kills + 1, len(bases)))
PY
