#!/usr/bin/env bash
# A point-in-time restore is exact or refused, never the base alone or a
# stale state (docs/backups.md, "What a time means"): the stretches where
# the capture has not read all the commits made up to a moment are not
# covered. Three of them, made at suite size while writers commit:
#   - a backlog caught up in partial polls (DBCARE_TEST_POLL_BYTES, a test
#     knob, shrinks a poll's share from 16 MB to 64 KB; the capture is
#     stopped for less than its stall bound while the backlog is made);
#   - a stalled capture (stopped with SIGSTOP for 1.5 s while commits come);
#   - a base being copied (the capture stopped in the middle of copying a
#     24 MB base while commits come).
# The tester freezes the database (holds the write lock) for each moment
# and keeps a hash of its rows then; after the capture stops and the
# database is deleted, each moment restores row for row equal to its hash
# or is refused ("does not cover", the nearest moments named, nothing
# made); the moments inside the stretches are refused; moments the
# capture saw whole restore; log status lists exactly the restorable ones;
# --to-time latest and the log's drill agree.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
pitr_python <<'PY'
import glob, hashlib, json, os, signal, sqlite3, subprocess, time
from pitr_test import *
cli, module, work = args()

def rows_hash(c):
    """The rows' hash: each id, the length of v and v's bytes (not their
    repr, four times as long and slow to make: a moment is hashed with
    the write lock held, inside the backlog's time budget)."""
    h = hashlib.sha256()
    for i, v in c.execute("SELECT id, v FROM t ORDER BY id"):
        v = v if isinstance(v, bytes) else repr(v).encode()
        h.update(b"%d:%d:" % (i, len(v)))
        h.update(v)
    return h.hexdigest()

# A moment is held this long (the write lock taken, nothing commits) when
# the capture may be running: longer than the capture's stall bound (1 s +
# two polls of 20 ms). The log gives the database as it was at most about
# one poll before T; a poll that begins more than that bound after the last
# whole one falls behind and its time is not covered. So a moment held
# this long restores exactly or is refused, whatever the load. A moment
# taken while the capture is stopped (SIGSTOP) needs no such hold.
HOLD_S = 1.2

class Log:
    """A database, its log directory and the capture of it."""
    def __init__(self, name, poll_bytes=None):
        self.db, self.dir = os.path.join(work, name + ".db"), os.path.join(work, name + "-log")
        os.mkdir(self.dir)
        self.err = open(os.path.join(work, name + ".err"), "a")
        self.env = dict(os.environ)
        if poll_bytes:
            self.env["DBCARE_TEST_POLL_BYTES"] = str(poll_bytes)
        self.con = connect(self.db, timeout=30)  # open throughout: the WAL stays
        self.con.executescript("PRAGMA journal_mode = wal; PRAGMA synchronous = OFF;"
                               " CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, v BLOB)")
        self.moments = []  # (name, t, hash, whether it must restore)
    def start(self):
        self.p = subprocess.Popen([cli, "log", self.dir, "--sleep-ms", "20", "--db", "sqlite:" + self.db,
                                   "--module", module], stderr=self.err, env=self.env)
    def progress(self):
        try:
            with open(os.path.join(self.dir, "log.progress")) as f:
                return int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return 0
    def wait_progress(self, ok, limit=30.0):
        end = time.time() + limit
        while time.time() < end:
            if ok(self.progress()):
                return True
            time.sleep(0.005)
        return False
    def insert(self, n, size=100):
        for _ in range(n):
            self.con.execute("INSERT INTO t (v) VALUES (randomblob(?))", (size,))
    def freeze(self, name, sure=False, hold=None):
        """A moment T while nothing commits, hold seconds after the write
        lock was taken; sure: once the capture saw the database whole after
        the lock was taken (two whole polls), and a whole poll stamped after
        T."""
        self.con.execute("BEGIN IMMEDIATE")
        held, h = now_ms(), rows_hash(self.con)
        hold = (0.0 if sure else HOLD_S) if hold is None else hold
        time.sleep(max(0.0, held / 1000.0 + hold - time.time()))
        if sure:
            first = [0]
            def seen(p):
                first[0] = p
                return p >= held
            if not (self.wait_progress(seen) and self.wait_progress(lambda p: p > first[0])):
                fail("%s: the capture did not reach the moment: %s" % (name, self.errors()), self.p)
        time.sleep(0.003)
        t = now_ms()
        # and a whole poll stamped after T: the log reaches it
        if sure and not self.wait_progress(lambda p: p > t):
            fail("%s: the capture did not pass the moment: %s" % (name, self.errors()), self.p)
        time.sleep(0.003)
        self.con.execute("ROLLBACK")
        self.moments.append((name, t, h, sure))
        return t
    def errors(self):
        self.err.flush()
        return open(self.err.name).read()
    def stop(self):
        self.p.send_signal(signal.SIGTERM)
        if self.p.wait() != 0:
            fail("the capture of %s failed: %s" % (self.db, self.errors()))
        self.con.close()
        for s in ("", "-wal", "-shm"):
            if os.path.exists(self.db + s):
                os.unlink(self.db + s)

def status(log):
    r = run(cli, module, "log", "status", log.dir, "--json")
    if r.returncode != 0:
        fail("log status: " + r.stderr)
    return json.loads(r.stdout)

def check(log, must_refuse):
    """Every moment exact or refused, as log status says; those named in
    must_refuse refused, the sure ones restored."""
    stretches = [(parse(s["from"]), parse(s["to"])) for s in status(log)["stretches"]]
    refused = []
    for i, (name, t, h, sure) in enumerate(log.moments):
        out = os.path.join(work, "r-%s-%d.db" % (os.path.basename(log.db), i))
        r = run(cli, module, "restore", "--to-time", text(t), log.dir, "--db", "sqlite:" + out)
        listed = any(a <= t <= b for a, b in stretches)
        if (r.returncode == 0) != listed:
            fail("%s (%s): restore %s, but log status lists it %s: %r" % (
                name, text(t), "ok" if r.returncode == 0 else "refused: " + r.stderr,
                "restorable" if listed else "outside every stretch", stretches))
        if r.returncode == 0:
            c = sqlite3.connect(out)
            if c.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                fail("%s (%s): the restored file fails integrity_check" % (name, text(t)))
            if rows_hash(c) != h:
                fail("%s (%s): restored, but its rows differ from the database's at that moment: %s" % (
                    name, text(t), r.stdout))
            c.close()
            os.unlink(out)
        else:
            if sure:
                fail("%s (%s), which the capture saw whole, did not restore: %s" % (name, text(t), r.stderr))
            if not r.stderr.startswith("dbcare: ") or "does not cover" not in r.stderr \
                    or "nearest moments" not in r.stderr:
                fail("%s (%s): refused without saying it is not covered: %s" % (name, text(t), r.stderr))
            if any(os.path.exists(out + s) for s in ("", "-wal", "-shm", "-journal")):
                fail("%s: a refused restore left a file" % name)
            refused.append(name)
    for name in must_refuse:
        if name not in refused:
            fail("%s was not refused (refused: %r)" % (name, refused))
    return refused

begun = time.time()
# 1. a backlog caught up in partial polls, and a stalled capture
def backlog(name):
    """A log whose capture is stopped (SIGSTOP) with a backlog behind it;
    None when making the backlog took over 0.8 s (a loaded machine): the
    stop would then pass the stall bound, a stall and not a backlog."""
    a = Log(name, poll_bytes=65536)
    a.start()
    if not a.wait_progress(lambda p: p > 0):
        fail("the capture did not start: " + a.errors(), a.p)
    a.insert(3)
    a.freeze("before", sure=True)
    time.sleep(0.1)
    # stopped for well under its stall bound: the backlog (6 MB, a hundred
    # polls of 64 KB: two seconds to catch up), not the stop, is what the
    # poll after it meets
    a.p.send_signal(signal.SIGSTOP)
    stopped = time.time()
    a.insert(400, 12000)
    a.freeze("in the backlog, capture stopped", hold=0)
    took = time.time() - stopped
    if took <= 0.8:
        return a
    print("making the backlog took %.2f s: too slow to stay under the stall bound" % took)
    a.p.send_signal(signal.SIGCONT)
    a.stop()
    return None

for attempt in range(3):
    a = backlog("a%d" % attempt)
    if a:
        break
else:
    fail("three times making the backlog took over 0.8 s: the backlog was not tested")
a.p.send_signal(signal.SIGCONT)
end = time.time() + 0.3
while time.time() < end:  # writers go on while it catches up
    a.insert(1)
    time.sleep(0.01)
a.freeze("catching up")
a.insert(2)
a.freeze("after the backlog", sure=True)
time.sleep(0.1)
# a stall: commits while the capture is stopped for longer than its bound
a.p.send_signal(signal.SIGSTOP)
a.insert(5)
time.sleep(1.5)
a.freeze("in a stall", hold=0)
a.p.send_signal(signal.SIGCONT)
a.insert(2)
a.freeze("after the stall", sure=True)
a.stop()
refused = check(a, ["in the backlog, capture stopped", "in a stall"])
print("refused: %r" % refused)
print("%.1f s" % (time.time() - begun))
r = run(cli, module, "restore", "--to-time", "latest", a.dir, "--db", "sqlite:" + os.path.join(work, "latest.db"))
c = sqlite3.connect(os.path.join(work, "latest.db"))
if r.returncode != 0 or rows_hash(c) != a.moments[-1][2]:
    fail("--to-time latest: not the last state: %s%s" % (r.stdout, r.stderr))
c.close()
last = parse(status(a)["last_restorable"])
r = run(cli, module, "backup", "drill", "--log", a.dir, "--json")
if r.returncode != 0 or parse(json.loads(r.stdout)["restored_to"]) != last:
    fail("the log's drill does not restore the last restorable moment %s: %s%s" % (text(last), r.stdout, r.stderr))

# 2. a base being copied: the capture stopped in its copy while commits come
b = None
for attempt in range(5):
    b = Log("b%d" % attempt)
    b.con.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 6000)"
                  " INSERT INTO t (v) SELECT zeroblob(4000) FROM n")
    b.con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    b.start()
    caught = False
    end = time.time() + 30
    while time.time() < end and b.p.poll() is None:
        if glob.glob(os.path.join(b.dir, "base-*.db.tmp")):
            b.p.send_signal(signal.SIGSTOP)
            caught = bool(glob.glob(os.path.join(b.dir, "base-*.db.tmp")))
            break
        time.sleep(0.0005)
    if caught:
        break
    b.p.send_signal(signal.SIGCONT)
    b.stop()
else:
    fail("the capture was never stopped in the middle of copying its base (5 tries)")
b.insert(3)
b.freeze("while the base is copied", hold=0)
b.p.send_signal(signal.SIGCONT)
b.insert(1)
b.freeze("after the base", sure=True)
b.stop()
check(b, ["while the base is copied"])
print("%.1f s" % (time.time() - begun))
print("ok: moments in a backlog, a stall and a base's copy refused (nearest moments named), the others "
      "restored row for row; log status, --to-time latest and the drill agree")
PY
