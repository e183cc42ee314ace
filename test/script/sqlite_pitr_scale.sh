#!/usr/bin/env bash
# SQLite point-in-time restore of a database past 1 GiB in pages
# (docs/backups.md, "Back to any moment"; docs/testing.md, the long tier).
# With 64 KB pages, page 16,385 is SQLite's lock-byte page (the bytes at
# 0x40000000), which SQLite never writes: a log and a restore must carry
# pages on both sides of it and never that one. The database (on /dev/shm
# when it has room) is grown to PITR_SCALE_PREGROW_MB (default 1000) with
# blobs before any capture, then to PITR_SCALE_MB (default 1060) with
# random blobs while captured, each blob's SHA-256 kept in its row. Two
# captures in turn, into one log directory: first `dbcare log`, then an
# application process with the module and backup.log.dir set, started
# while `dbcare log` runs, which takes the capture over once that one
# stops. Throughout, three writer processes commit small rows (one
# without the module forcing TRUNCATE, RESTART and PASSIVE checkpoints
# from a second connection, one with the module loaded, which captures
# nothing). PITR_SCALE_VACUUMS (default 0; the long tier 2, one under
# each capture) VACUUMs of the whole database, blobs deleted first so it
# moves pages across the lock-byte page. PITR_SCALE_MOMENTS (default 1;
# the long tier 50), the first half under `dbcare log`, paced by the
# growth from PITR_SCALE_FROM_MB (default: past 1 GiB), the rest under
# the module, are copies of the rows taken at moments the log vouches
# for (under `dbcare log`: the tester holds the write lock until the log
# vouches for a moment after T, and takes another moment when T lies in
# a gap log status lists, such as a base being copied; under the module:
# the application, capturing, commits a mark, copies the rows and notes
# T behind a gate no writer passes). Then the database, its -wal and
# -shm are deleted and every moment, and `--to-time latest`, is restored
# from the log's files alone: PRAGMA integrity_check is ok, the rows
# equal the copy's, every blob's bytes hash to the SHA-256 its row
# carries, the restored page count (and file size) is the moment's, and
# nothing appears at the deleted database's path; a moment in a gap is
# refused with nothing made.
# dbcare-test-timeout: 3600
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
# the database, its log and the restores: several GB, in memory if it has
# room (each GB of the database needs about 7 in all)
need_mb=$(( ${PITR_SCALE_MB:-1060} * 7 ))
scratch_root=${TMPDIR:-/tmp}
if [ -d /dev/shm ] && [ -w /dev/shm ] &&
   [ "$(df -Pm /dev/shm | awk 'NR == 2 { print $4 }')" -gt "$need_mb" ]; then
  scratch_root=/dev/shm
fi
[ "$(df -Pm "$scratch_root" | awk 'NR == 2 { print $4 }')" -gt "$need_mb" ] ||
  fail "$scratch_root has less than the $need_mb MB this test needs free"
scratch=$(mktemp -d -p "$scratch_root" dbcare-pitr-scale.XXXXXX)
# PITR_SCALE_KEEP=1 keeps the scratch folder (its log) to study a failure
trap 'rm -rf "$work"; [ -n "${PITR_SCALE_KEEP:-}" ] && echo "kept $scratch" || rm -rf "$scratch"' EXIT

PITR_SCALE_MB=${PITR_SCALE_MB:-1060} PITR_SCALE_PREGROW_MB=${PITR_SCALE_PREGROW_MB:-1000} \
  PITR_SCALE_MOMENTS=${PITR_SCALE_MOMENTS:-1} PITR_SCALE_VACUUMS=${PITR_SCALE_VACUUMS:-0} pitr_python "$scratch" <<'PY'
import fcntl, hashlib, json, multiprocessing as mp, os, random, signal, sqlite3, subprocess, sys, time
from pitr_test import *
cli, module, work = args()
scratch = sys.argv[4]
grow_mb, pregrow_mb = int(os.environ["PITR_SCALE_MB"]), int(os.environ["PITR_SCALE_PREGROW_MB"])
nmoments = int(os.environ["PITR_SCALE_MOMENTS"])
nvacuums = int(os.environ["PITR_SCALE_VACUUMS"])  # 2: one under each capture
PAGE = 65536
LOCK_BYTE_PAGE = 0x40000000 // PAGE + 1  # 16,385: never written by SQLite
if grow_mb << 20 <= LOCK_BYTE_PAGE * PAGE or pregrow_mb >= grow_mb:
    fail("PITR_SCALE_MB (%d) must pass 1 GiB and PITR_SCALE_PREGROW_MB (%d)" % (grow_mb, pregrow_mb))
db, logdir = os.path.join(scratch, "app.db"), os.path.join(scratch, "log")
gate, marks = os.path.join(scratch, "gate"), os.path.join(scratch, "app-moments")
os.mkdir(logdir)
open(gate, "w").close()
started = time.time()
figures = {}

con = connect(db)
# pre-grown without a journal (nothing reads the file yet): written once
con.executescript("""PRAGMA page_size = %d; PRAGMA journal_mode = off; PRAGMA synchronous = off;
  CREATE TABLE t (id INTEGER PRIMARY KEY, w INT, n INT, payload TEXT);
  CREATE TABLE u (k TEXT PRIMARY KEY, v INT) WITHOUT ROWID;
  CREATE INDEX t_w ON t (w, n);
  CREATE TABLE big (id INTEGER PRIMARY KEY, sha TEXT NOT NULL, b BLOB NOT NULL);""" % PAGE)
if con.execute("PRAGMA page_size").fetchone()[0] != PAGE:
    fail("the database did not take 64 KB pages")

def size_mb(c):
    return c.execute("PRAGMA page_count").fetchone()[0] * PAGE >> 20

def add_blobs(c, n, rnd, fill=None):
    """n blobs of 1 to 4 MB (random bytes, or 16 random bytes and fill's
    byte after them), each row with its SHA-256."""
    for _ in range(n):
        size = rnd.randint(1 << 20, 4 << 20)
        b = os.urandom(size) if fill is None else os.urandom(16) + bytes([fill]) * (size - 16)
        c.execute("INSERT INTO big (sha, b) VALUES (?, ?)", (hashlib.sha256(b).hexdigest(), b))

# grown before any capture: the base holds it
rnd = random.Random()
while size_mb(con) < pregrow_mb:
    con.execute("BEGIN"); add_blobs(con, 8, rnd, rnd.randint(1, 255)); con.execute("COMMIT")
con.execute("PRAGMA journal_mode = wal").fetchall()
con.close()
figures["pregrow_s"] = time.time() - started

def rows_hash(c):
    """The rows of every table (a blob by its length and SHA-256 column)."""
    h = hashlib.sha256()
    for q in ("SELECT * FROM t ORDER BY id", "SELECT * FROM u ORDER BY k",
              "SELECT id, sha, length(b) FROM big ORDER BY id"):
        for row in c.execute(q):
            h.update(repr(row).encode())
    return h.hexdigest()

def pages(c):
    return c.execute("PRAGMA page_count").fetchone()[0]

def gate_shared(g):
    fcntl.flock(g, fcntl.LOCK_SH)

def change(c, rnd, wid):
    op = rnd.random()
    if op < 0.6:
        for _ in range(rnd.randint(1, 30)):
            c.execute("INSERT INTO t (w, n, payload) VALUES (?, ?, ?)",
                      (wid, rnd.randint(0, 1 << 30), os.urandom(rnd.randint(10, 900)).hex()))
    elif op < 0.75:
        c.execute("UPDATE t SET n = n + 1, payload = substr(payload, 3) WHERE id % 13 = ?"
                  " AND id > (SELECT max(id) FROM t) - 1000", (rnd.randint(0, 12),))
    elif op < 0.9:
        c.execute("INSERT OR REPLACE INTO u VALUES (?, ?)", ("k%d" % rnd.randint(0, 5000), rnd.randint(0, 99)))
    else:
        c.execute("DELETE FROM t WHERE id IN (SELECT id FROM t WHERE id > (SELECT max(id) FROM t) - 2000"
                  " ORDER BY random() LIMIT 40)")

def writer(wid, stop, vacuum_now, vacuums):
    """Small commits; writer 0 forces checkpoints from a second connection
    and runs the VACUUMs asked for, writer 1 has the module loaded (it
    captures nothing: another process holds the log, or none is set)."""
    rnd = random.Random(wid * 7919 + os.getpid())
    c = connect(db, module if wid == 1 else None, timeout=120)
    ck = connect(db, timeout=0.2) if wid == 0 else None
    g = open(gate)
    while not stop.is_set():
        gate_shared(g)
        c.execute("BEGIN IMMEDIATE"); change(c, rnd, wid); c.execute("COMMIT")
        if ck and rnd.random() < 0.1:
            try:
                ck.execute("PRAGMA wal_checkpoint(%s)" % rnd.choice(["TRUNCATE", "RESTART", "PASSIVE"])).fetchall()
            except sqlite3.OperationalError:
                pass
        if ck and vacuum_now.is_set():
            # blobs deleted first: the VACUUM moves the pages after them
            # down, across the lock-byte page
            c.execute("DELETE FROM big WHERE id IN (SELECT id FROM big ORDER BY random() LIMIT 3)")
            t0 = time.time()
            c.execute("VACUUM")
            with vacuums.get_lock():
                vacuums[0] += 1
                vacuums[1] = max(vacuums[1], time.time() - t0)
            vacuum_now.clear()
        fcntl.flock(g, fcntl.LOCK_UN)
        time.sleep(rnd.uniform(0, 0.02))

def grower(stop, upto_mb):
    """Blobs until the database is upto_mb in pages, 8 MB a commit or so."""
    rnd = random.Random(os.getpid())
    c = connect(db, timeout=120)
    g = open(gate)
    while not stop.is_set() and size_mb(c) < upto_mb:
        gate_shared(g)
        c.execute("BEGIN IMMEDIATE"); add_blobs(c, 3, rnd); c.execute("COMMIT")
        fcntl.flock(g, fcntl.LOCK_UN)
        time.sleep(0.02)

def progress():
    try:
        with open(os.path.join(logdir, "log.progress")) as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 0

def wait_progress(ok, limit=60.0):
    end = time.time() + limit
    while time.time() < end:
        if ok(progress()):
            return True
        time.sleep(0.005)
    return False

stop, vacuum_now = mp.Event(), mp.Event()
vacuums = mp.Array("d", [0.0, 0.0])
errlog = open(os.path.join(scratch, "capture.err"), "a")
capture = subprocess.Popen([cli, "log", logdir, "--db", "sqlite:" + db, "--module", module,
                            "--sleep-ms", "20", "--segment-interval", "2s"], stderr=errlog)
if not wait_progress(lambda p: p > 0, 300):
    fail("the capture did not start: " + open(os.path.join(scratch, "capture.err")).read(), capture)
writers = [mp.Process(target=writer, args=(i, stop, vacuum_now, vacuums), daemon=True) for i in range(3)]
growers = [mp.Process(target=grower, args=(stop, grow_mb), daemon=True)]
for p in writers + growers: p.start()

# under dbcare log: the tester holds the write lock (nothing commits),
# copies the rows, and waits until the log vouches for its T
moments = []  # (T in ms, rows hash, page count, under which capture)
first = (nmoments + 1) // 2
tester = connect(db, timeout=120)
gaps = []  # moments the log says it cannot restore exactly: refused
def listed(t):
    """Whether t lies in a stretch log status lists (not in a gap: a base
    being copied, a backlog read in parts after a VACUUM); None when log
    status fails."""
    r = run(cli, module, "log", "status", logdir, "--json")
    if r.returncode != 0:
        return None
    return any(parse(s["from"]) <= t <= parse(s["to"]) for s in json.loads(r.stdout)["stretches"])
def covered(t):
    ok = listed(t)
    if ok is None:
        fail("log status failed", capture)
    return ok
def take_logged_moment():
    """Until one is covered: a moment in a gap is kept to be refused."""
    for _ in range(50):
        tester.execute("BEGIN IMMEDIATE")
        h, n = rows_hash(tester), pages(tester)
        time.sleep(0.002)
        t = now_ms()
        # held until the log vouches for a moment after T: every commit
        # before T is logged
        wait_restorable(cli, module, logdir, t, 120, capture)
        tester.execute("ROLLBACK")
        if covered(t):
            moments.append((t, h, n, "dbcare log"))
            return
        gaps.append(t)
        time.sleep(0.2)
    fail("50 moments in a row in a gap of the log", capture)
# the moments paced by the growth: from past 1 GiB (or the pre-grown
# size) to the full size, the last after the VACUUM
start_mb = max(pregrow_mb, int(os.environ.get("PITR_SCALE_FROM_MB", (LOCK_BYTE_PAGE * PAGE >> 20) + 1)))
for k in range(first):
    want = start_mb + (grow_mb - start_mb) * k / max(1, first - 1)
    while size_mb(tester) < min(want, grow_mb - 1) and growers[0].is_alive():
        time.sleep(0.05)
    if k == first - 1:
        growers[0].join()
        if nvacuums:
            vacuum_now.set()
            while vacuum_now.is_set():
                time.sleep(0.05)
    take_logged_moment()
    time.sleep(random.uniform(0.05, 0.3))
if size_mb(tester) < grow_mb - 64:
    fail("the database reached %d MB in pages, not %d" % (size_mb(tester), grow_mb))
tester.close()
figures["logged_s"] = time.time() - started

# the application: backup.log.dir set, started while dbcare log captures,
# it takes the capture over once that one stops; a moment is a mark it
# commits behind the gate (its commit copies the WAL), its rows, and T
def captures():
    """Whether this process holds the log's lock (/proc/locks: its flock)."""
    ino = os.stat(os.path.join(logdir, "log.lock")).st_ino
    for line in open("/proc/locks"):
        f = line.split()
        if f[1] == "FLOCK" and int(f[4]) == os.getpid() and int(f[5].split(":")[2]) == ino:
            return True
    return False

def app(want, vacuum_at, running, done, quiet):
    """The application: started while dbcare log holds the log, it takes
    the capture over at its first commit after that one stopped (running
    set after its first commit); want moments, a VACUUM asked for after
    vacuum_at of them; then, once the writers stopped (quiet), a last
    mark whose rows are what --to-time latest restores."""
    rnd = random.Random(os.getpid())
    c = connect(db, module, timeout=120)
    c.execute("SELECT dbcare_set('backup.log.dir', ?)", (logdir,)).fetchall()
    g, out, gap_out = open(gate), open(marks, "a"), open(marks + "-gaps", "a")
    taken, pending, give_up = 0, None, time.time() + 300
    while True:
        gate_shared(g)
        c.execute("BEGIN IMMEDIATE"); change(c, rnd, 9); c.execute("COMMIT")
        fcntl.flock(g, fcntl.LOCK_UN)
        running.set()
        if pending:  # a record after T now: the log reaches past it
            t, line = pending
            if listed(t):
                out.write(line); out.flush()
                taken += 1
            else:  # in a gap log status lists: to be refused
                gap_out.write("%d\n" % t); gap_out.flush()
            pending = None
        if taken == want:
            break
        if taken == vacuum_at and vacuums[0] < nvacuums:
            vacuum_now.set()
            while vacuum_now.is_set():
                time.sleep(0.05)
            continue
        if rnd.random() < 0.2:
            fcntl.flock(g, fcntl.LOCK_EX)  # no writer is inside a transaction now
            # captured since a commit before the mark: the commit that takes
            # the capture over copies what no capture saw, stamped late, and
            # the log vouches again only from the next one (docs/backups.md)
            if not captures():  # dbcare log still holds the log, or just let it go
                fcntl.flock(g, fcntl.LOCK_UN)
                if time.time() > give_up:
                    print("the application never took the capture over", file=sys.stderr, flush=True)
                    os._exit(3)
                continue
            c.execute("INSERT OR REPLACE INTO u VALUES ('mark', ?)", (rnd.randint(0, 99),))
            h, n = rows_hash(c), pages(c)
            time.sleep(0.002)  # T after the millisecond the mark's copy was stamped in
            t = now_ms()
            time.sleep(0.002)  # a commit after T is stamped after it
            pending = (t, "%d %s %d\n" % (t, h, n))
            fcntl.flock(g, fcntl.LOCK_UN)
        time.sleep(rnd.uniform(0, 0.03))
    done.set()
    quiet.wait()
    c.execute("INSERT OR REPLACE INTO u VALUES ('mark', -1)")
    if not captures():
        os._exit(3)
    out.write("0 %s %d end\n" % (rows_hash(c), pages(c)))
    out.close()
    c.close()

second = nmoments - first
running, done, quiet = mp.Event(), mp.Event(), mp.Event()
application = mp.Process(target=app, args=(second, second // 2, running, done, quiet))
application.start()
while not running.is_set() and application.is_alive():
    time.sleep(0.05)
capture.send_signal(signal.SIGTERM)
if capture.wait() != 0:
    fail("dbcare log failed: " + open(os.path.join(scratch, "capture.err")).read())
while not done.is_set() and application.is_alive():
    time.sleep(0.1)
stop.set()
for p in writers: p.join()
quiet.set()
application.join()
if application.exitcode != 0:
    fail("the application ended with %s" % application.exitcode)
if vacuums[0] < nvacuums:
    fail("%d VACUUMs ran, not %d" % (vacuums[0], nvacuums))
app_moments = [l.split() for l in open(marks)]
gaps += [int(l) for l in open(marks + "-gaps")]
end = [m for m in app_moments if m[3:] == ["end"]]
if len(end) != 1 or app_moments[-1] != end[0]:
    fail("the application's moments end without its last mark: %r" % app_moments[-3:])
for m in app_moments[:-1]:
    moments.append((int(m[0]), m[1], int(m[2]), "the module"))
live = connect(db)
live_pages = pages(live)
live.close()
figures["captured_s"] = time.time() - started

# the database gone with its WAL: everything from the log's files alone
for suffix in ("", "-wal", "-shm"):
    if os.path.exists(db + suffix): os.unlink(db + suffix)
log_mb = sum(os.path.getsize(os.path.join(logdir, f)) for f in os.listdir(logdir)) >> 20

def gone(after):
    """The database stays gone: nothing made a file at its path."""
    left = [s for s in ("", "-wal", "-shm", "-journal") if os.path.exists(db + s)]
    if left:
        fail("after %s: app.db%s exists again (%d bytes)" % (after, left[0], os.path.getsize(db + left[0])))

def check(out, h, n, what):
    c = sqlite3.connect(out)
    if c.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
        fail("%s: the restored file fails integrity_check" % what)
    if rows_hash(c) != h:
        fail("%s: restored rows differ from the copy taken then" % what)
    for i, sha, b in c.execute("SELECT id, sha, b FROM big"):
        if hashlib.sha256(b).hexdigest() != sha:
            fail("%s: blob %d is not the bytes it was written with" % (what, i))
    if pages(c) != n or os.path.getsize(out) != n * PAGE:
        fail("%s: %d pages (a file of %d bytes) restored, the moment had %d" %
             (what, pages(c), os.path.getsize(out), n))
    c.close()

restore_s, beyond = [], 0
for i, (t, h, n, by) in enumerate(moments):
    out = os.path.join(scratch, "r%d.db" % i)
    t0 = time.time()
    r = run(cli, module, "restore", "--to-time", text(t), logdir, "--db", "sqlite:" + out, timeout=600)
    restore_s.append(time.time() - t0)
    what = "moment %d (%s, %d MB, under %s)" % (i, text(t), n * PAGE >> 20, by)
    if r.returncode != 0:
        st = run(cli, module, "log", "status", logdir, "--json")
        fail("%s did not restore: %s(log status: %s)" % (what, r.stderr, st.stdout))
    gone("the restore of " + what)
    check(out, h, n, what)
    gone("the check of " + what)
    beyond += n > LOCK_BYTE_PAGE
    os.unlink(out)
if beyond < min(len(moments), 1):
    fail("%d of %d moments past the lock-byte page" % (beyond, len(moments)))
for i, t in enumerate(gaps):
    out = os.path.join(scratch, "gap%d.db" % i)
    r = run(cli, module, "restore", "--to-time", text(t), logdir, "--db", "sqlite:" + out, timeout=600)
    if r.returncode == 0 or not r.stderr.startswith("dbcare:") or \
            any(os.path.exists(out + s) for s in ("", "-wal", "-shm", "-journal")):
        fail("a moment in a gap (%s): rc %d, %s" % (text(t), r.returncode, r.stderr))
    gone("the refused restore of " + text(t))
out = os.path.join(scratch, "latest.db")
r = run(cli, module, "restore", "--to-time", "latest", logdir, "--db", "sqlite:" + out, timeout=600)
if r.returncode != 0:
    fail("--to-time latest did not restore: " + r.stderr)
check(out, end[0][1], live_pages, "--to-time latest")
if int(end[0][2]) != live_pages:
    fail("the application's last mark saw %s pages, the database had %d" % (end[0][2], live_pages))
restore_s.sort()
print("ok: %d moments (%d under dbcare log, %d under the module) and --to-time latest restored row "
      "for row and blob for blob from the log alone (%d in gaps refused), %d past the lock-byte page (64 KB pages, "
      "%d to %d MB; grown from %d MB, pre-grown %.0f s), %d VACUUMs (the longest %.1f s); the log "
      "%d MB; captured in %.0f s; restores %.1f s (median), %.1f s (the longest); %.0f s in all" %
      (len(moments), first, len(moments) - first, len(gaps), beyond, min(m[2] for m in moments) * PAGE >> 20,
       max(m[2] for m in moments) * PAGE >> 20, pregrow_mb, figures["pregrow_s"], vacuums[0], vacuums[1],
       log_mb, figures["captured_s"], restore_s[len(restore_s) // 2], restore_s[-1], time.time() - started))
PY
