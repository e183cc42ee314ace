#!/usr/bin/env bash
# SQLite point-in-time recovery (docs/backups.md, "Back to any moment"):
# `dbcare log` captures while PITR_WRITERS writer processes (default 4)
# commit throughout (plain Python connections; one in four loads the
# module, one in four forces checkpoints (TRUNCATE, RESTART) on a
# connection of its own and runs VACUUM every max(15 s, PITR_GROW_MB / 10
# s), and once on the grown database) and a blob writer grows the database
# to PITR_GROW_MB (default 8) in pages, in 1 MB transactions; the capture
# is killed with SIGKILL DBC_KILLS times (default 3) and writers
# PITR_WRITER_KILLS times (default 2), each started again; no writer may
# stop by itself. The long tier (docs/testing.md) runs 20 + 20 kills, 8
# writers, past 1 GB, 50 moments. A tester takes PITR_MOMENTS (default 20)
# copies of the rows at moments when it holds the write lock (the state at
# such a moment is exact: nothing commits) and the capture has seen it;
# its moments and the kills are spread over the growth (paced by the
# database's size), and the writers stop once it is grown. Then the database is
# deleted with its -wal and -shm, and each moment is restored from the log
# directory alone: every moment the capture saw restores equal row for row
# to its copy and passes PRAGMA integrity_check; a moment in a gap (the
# capture killed, the WAL reset meanwhile) either restores equal or fails
# with a dbcare: error and nothing at the new name. Times, log before
# the first base and after the last record, and a non-empty target are
# refused with nothing made. `dbcare log status` says a capture runs and
# how far behind it is, and lists exactly the stretches that restore.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/built_cli.sh"

DBC_KILLS=${DBC_KILLS:-3} PITR_MOMENTS=${PITR_MOMENTS:-20} PITR_WRITERS=${PITR_WRITERS:-4} \
  PITR_WRITER_KILLS=${PITR_WRITER_KILLS:-2} PITR_GROW_MB=${PITR_GROW_MB:-8} \
  "$py" - "$cli" "$module" "$work" <<'PY'
import calendar, hashlib, json, multiprocessing as mp, os, random, signal, sqlite3, subprocess, sys, threading, time
cli, module, work = sys.argv[1:4]
kills, nmoments = int(os.environ["DBC_KILLS"]), int(os.environ["PITR_MOMENTS"])
nwriters, writer_kills = int(os.environ["PITR_WRITERS"]), int(os.environ["PITR_WRITER_KILLS"])
grow_mb = int(os.environ["PITR_GROW_MB"])
db, logdir = os.path.join(work, "app.db"), os.path.join(work, "log")
os.mkdir(logdir)
state = {"capture": None, "killed": 0, "down": []}
def fail(msg):
    # the capture stopped with the test (writers are daemons: they go too)
    print("FAIL: " + msg, flush=True)
    if state["capture"]: state["capture"].kill()
    sys.exit(1)
def now_ms(): return int(time.time() * 1000)
def text(ms): return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ms // 1000)) + ".%03d" % (ms % 1000)

con = sqlite3.connect(db, isolation_level=None)
con.executescript("""PRAGMA journal_mode = wal;
  CREATE TABLE t (id INTEGER PRIMARY KEY, w INT, n INT, payload TEXT);
  CREATE TABLE u (k TEXT PRIMARY KEY, v INT) WITHOUT ROWID;
  CREATE INDEX t_w ON t (w, n);
  CREATE TABLE big (id INTEGER PRIMARY KEY, tag INT, b BLOB);""")
con.close()

def rows_hash(c):
    h = hashlib.sha256()
    for table in ("SELECT * FROM t ORDER BY id", "SELECT * FROM u ORDER BY k",
                  "SELECT id, tag, length(b), hex(substr(b, 1, 16)) FROM big ORDER BY id"):
        for row in c.execute(table):
            h.update(repr(row).encode())
    return h.hexdigest()

def writer(wid, stop, with_module, checkpoints, vacuums):
    rnd = random.Random(wid * 7919 + os.getpid())
    c = sqlite3.connect(db, timeout=60, isolation_level=None)
    if with_module:
        c.enable_load_extension(True)
        c.load_extension(module)
    ck = sqlite3.connect(db, timeout=0.2, isolation_level=None) if checkpoints else None
    while not stop.is_set():
        op = rnd.random()
        c.execute("BEGIN IMMEDIATE")
        if op < 0.55:
            for _ in range(rnd.randint(1, 30)):
                c.execute("INSERT INTO t (w, n, payload) VALUES (?, ?, ?)",
                          (wid, rnd.randint(0, 1 << 30), os.urandom(rnd.randint(10, 900)).hex()))
        elif op < 0.75:
            # rows of the last 1,000 ids (of all of t, every page would be
            # rewritten: a long run's log grew by GBs a minute)
            c.execute("UPDATE t SET n = n + 1, payload = substr(payload, 3) WHERE id % 13 = ?"
                      " AND id > (SELECT max(id) FROM t) - 1000", (rnd.randint(0, 12),))
        elif op < 0.9:
            c.execute("INSERT OR REPLACE INTO u VALUES (?, ?)", ("k%d" % rnd.randint(0, 5000), rnd.randint(0, 99)))
        else:
            # of the last 2,000 ids: ORDER BY random() over all of t is a
            # scan of the table under the write lock
            c.execute("DELETE FROM t WHERE id IN (SELECT id FROM t WHERE id > (SELECT max(id) FROM t) - 2000"
                      " ORDER BY random() LIMIT 40)")
        c.execute("COMMIT")
        if ck and rnd.random() < 0.05:
            try:
                ck.execute("PRAGMA wal_checkpoint(%s)" % rnd.choice(["TRUNCATE", "RESTART", "PASSIVE"])).fetchall()
            except sqlite3.OperationalError:
                pass
        if ck:
            # a VACUUM rewrites the whole database into the WAL (and the
            # log): one every VACUUM_GAP_S of all writers, so a database
            # of a GB meets a few, not one every few seconds; and one once
            # the database is grown in full
            with vacuums.get_lock():
                last = not vacuums[3] and grow_done.is_set()
                due = time.time() >= vacuums[0] + VACUUM_GAP_S or last
                if due: vacuums[0] = time.time()
            if due:
                met = c.execute("PRAGMA page_count").fetchone()[0]  # VACUUM then drops free pages
                c.execute("VACUUM")
                with vacuums.get_lock():
                    vacuums[0] = time.time()  # the gap counts from its end
                    vacuums[1] += 1
                    vacuums[2] = max(vacuums[2], met)
                    vacuums[3] = vacuums[3] or last
        time.sleep(rnd.uniform(0, 0.02))

errlog = open(os.path.join(work, "capture.err"), "a")
def start_capture():
    return subprocess.Popen([cli, "log", logdir, "--db", "sqlite:" + db, "--module", module,
                             "--sleep-ms", "20", "--segment-interval", "1s"], stderr=errlog)
def progress():
    try:
        with open(os.path.join(logdir, "log.progress")) as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 0
# how long a capture may take to catch up: generous, as a loaded machine
# (or a capture just started again after a kill) is slow
WAIT_S = float(os.environ.get("PITR_WAIT_S", "30"))
def wait_progress(ok, limit=WAIT_S):
    end = time.time() + limit
    while time.time() < end:
        if ok(progress()):
            return True
        time.sleep(0.005)
    return False

capture = start_capture()
if not wait_progress(lambda p: p > 0, WAIT_S * 3):
    fail("the capture did not start: " + open(os.path.join(work, "capture.err")).read())
stop = mp.Event()
grown, grow_done = mp.Value("d", 0.0), mp.Event()
# the last VACUUM's time, how many ran, the most pages one met, whether
# one ran on the database grown in full; the first after half a gap
VACUUM_GAP_S = max(15.0, grow_mb / 10.0)
vacuums = mp.Array("d", [time.time() - VACUUM_GAP_S / 2, 0.0, 0.0, 0.0])
def start_writer(i):
    # one in four loads the module, one in four forces checkpoints and VACUUMs
    p = mp.Process(target=writer, args=(i, stop, i % 4 == 3, i % 4 == 0, vacuums), daemon=True)
    p.start()
    return p
writers = [start_writer(i) for i in range(nwriters)]

# the database grown by large blobs (pages of zeros after a few bytes),
# 1 MB a transaction, to PITR_GROW_MB: the capture copies such commits in
# parts (16 MB a poll), a checkpoint and a VACUUM meet them
# The tester and the killer pace their moments and kills by its size
# (grown: bytes in pages so far), so both meet the database small and large.
def grower(stop):
    c = sqlite3.connect(db, timeout=60, isolation_level=None)
    rnd = random.Random(os.getpid())
    size = lambda: c.execute("PRAGMA page_count").fetchone()[0] * c.execute("PRAGMA page_size").fetchone()[0]
    while not stop.is_set() and size() < grow_mb << 20:
        grown.value = size()
        c.execute("BEGIN IMMEDIATE")
        for _ in range(4):
            c.execute("INSERT INTO big (tag, b) VALUES (?, ?)",
                      (rnd.randint(0, 1 << 30), os.urandom(16) + bytes(262128)))
        c.execute("COMMIT")
        time.sleep(0.05)
    grown.value = size()
    grow_done.set()
def grown_to(fraction):
    # the database past that fraction of PITR_GROW_MB (or grown in full)
    return grown.value >= fraction * (grow_mb << 20) or grow_done.is_set() or not grow_mb
growers = [mp.Process(target=grower, args=(stop,), daemon=True)] if grow_mb > 0 else []
for p in growers: p.start()
if not growers: grow_done.set()
GROW_S = float(os.environ.get("PITR_GROW_S", str(max(60, grow_mb * 2))))

state["capture"] = capture
state["writer_kills"] = 0
def kill_writer(rnd):
    # a writer killed with SIGKILL, maybe inside a transaction, and
    # started again: what it had not committed never reaches the log
    i = rnd.randrange(len(writers))
    os.kill(writers[i].pid, signal.SIGKILL); writers[i].join()
    writers[i] = start_writer(i)
    state["writer_kills"] += 1
def killer():
    rnd = random.Random()
    rounds = max(kills, writer_kills)
    for k in range(rounds):
        time.sleep(rnd.uniform(0.3, 1.5))
        while not grown_to(k / rounds):
            time.sleep(0.05)
        if k < writer_kills:
            kill_writer(rnd)
        if k >= kills:
            continue
        down = now_ms()
        state["capture"].send_signal(signal.SIGKILL); state["capture"].wait()
        state["killed"] += 1
        time.sleep(rnd.uniform(0.05, 0.6))
        state["capture"] = start_capture()
        state["down"].append((down, now_ms()))

# The tester holds the write lock while it waits for the capture, never
# longer than HOLD_S: a capture needs that lock for a base (a new stretch)
# and waits 10 s for it. A capture still starting again after a kill may
# not see a moment within that: it counts as not seen (either answer of
# the restore is then checked), and moments are taken until enough were
# seen (they are, once the kills are over) or the time is up.
HOLD_S = 8.0
# The tester runs in a process of its own, started before any writer is
# started again: a process forked while this one held a connection in a
# transaction would inherit SQLite's in-process record of that lock and
# wait on it forever ("database is locked").
def take_moments(out, give_up):
    moments = []
    tester = sqlite3.connect(db, timeout=60, isolation_level=None)
    while (len(moments) < nmoments or sum(1 for m in moments if m[2]) < (nmoments + 1) // 2) \
            and len(moments) < nmoments * 3 and time.time() < give_up:
        time.sleep(random.uniform(0.05, 0.4))
        pace = random.uniform(len(moments), len(moments) + 1) / nmoments
        while not grown_to(pace) and time.time() < give_up:
            time.sleep(0.05)
        tester.execute("BEGIN IMMEDIATE")
        release = time.time() + HOLD_S
        held = now_ms()
        h = rows_hash(tester)
        # a poll stamps its records once it has read the WAL: a record at or
        # after the lock was taken, then a newer one (a poll that began after
        # it, so after the lock): every commit before the hold is in the log
        # at or before T. A record later than T before the lock goes: no poll
        # at or before T can see a commit after the hold.
        first = [0]
        def seen(p):
            first[0] = p
            return p >= held
        left = lambda: max(0.0, release - time.time())
        sure = wait_progress(seen, left()) and wait_progress(lambda p: p > first[0], left())
        time.sleep(0.002)  # T after that record's millisecond
        t = now_ms()
        sure = sure and wait_progress(lambda p: p > t, left())
        tester.execute("ROLLBACK")
        moments.append((t, h, sure))
    tester.close()
    out.put(moments)
give_up = time.time() + max(120.0, nmoments * 6.0) + GROW_S
taken = mp.Queue()
tp = mp.Process(target=take_moments, args=(taken, give_up), daemon=True)
tp.start()
kt = threading.Thread(target=killer); kt.start()
try:
    moments = taken.get(timeout=max(0.0, give_up - time.time()) + 120)
except Exception:
    fail("the tester took no moments (exit code %s)" % tp.exitcode)
tp.join()
kt.join()
# the killer's last restart may be a moment ago: status reads a capture
# that runs and has written since it started (not yet, under a loaded
# machine: "capturing" false, or the lag of the whole stop and start)
if state["down"] and not wait_progress(lambda p: p >= state["down"][-1][1], 20):
    fail("the capture did not start again: " + open(os.path.join(work, "capture.err")).read())
def status():
    r = subprocess.run([cli, "log", "status", logdir, "--json", "--db", "sqlite:" + db, "--module", module],
                       capture_output=True, text=True)
    if r.returncode != 0:
        fail("log status: " + r.stderr)
    return json.loads(r.stdout)
def parse(t): return calendar.timegm(time.strptime(t[:19], "%Y-%m-%d %H:%M:%S")) * 1000 + int(t[20:])
# the capture seen at or after `seen`: status's last restorable moment is
# at least that, and its lag no more than the time since (whatever the load)
seen = now_ms()
if not wait_progress(lambda p: p >= seen):
    fail("the capture did not go on after the kills: " + open(os.path.join(work, "capture.err")).read())
reached = progress()
live = status()
after = now_ms()
# (one millisecond more: status rounds the lag from the exact times, the
# moments here are whole milliseconds)
if (not live["capturing"] or parse(live["last_restorable"]) < reached
        or not 0 <= live["lag_ms"] <= after - reached + 1):
    fail("log status while capturing (the capture had reached %s, %d ms before): %r" %
         (text(reached), after - reached, live))
# the database grown to its size in pages before the writers stop
for p in growers:
    p.join(max(1.0, give_up - time.time()))
if grow_mb and grown.value < grow_mb << 20:
    fail("the database reached only %d MB in pages of the %d MB it was to grow to" % (int(grown.value) >> 20, grow_mb))
# a VACUUM met the database grown in full (writers keep going meanwhile)
vacuum_wait = time.time() + 120 + grow_mb / 10.0
while not vacuums[3] and time.time() < vacuum_wait:
    time.sleep(0.1)
if not vacuums[3] or vacuums[2] * 4096 < grow_mb << 20:
    fail("no VACUUM of the database grown in full (%d ran, the largest of %d pages)" % (vacuums[1], vacuums[2]))
# every writer still committing: none died of an error of its own
for i, p in enumerate(writers):
    if not p.is_alive():
        fail("writer %d stopped by itself (exit code %s)" % (i, p.exitcode))
stop.set()
for p in writers + growers: p.join()
tester = sqlite3.connect(db, timeout=60, isolation_level=None)
# the end: nothing commits any more; once a segment closed after it (with
# the row counts of its last commit), a restore to it checks them
end_rows = rows_hash(tester)
live_pages = tester.execute("PRAGMA page_count").fetchone()[0]
# a moment the log vouches for: the writers' last commits are read at the
# capture's next poll, and the moments before that read are none it knows
after, end = now_ms(), None
deadline = time.time() + WAIT_S
while end is None and time.time() < deadline:
    last = status().get("last_restorable")
    if last and parse(last[:23]) > after:
        end = parse(last[:23])
    else:
        time.sleep(0.05)
if end is None:
    fail("the log vouched for no moment after the writers stopped within %.0f s" % WAIT_S)
def closed_after(ms):
    for f in os.listdir(logdir):
        if f.startswith("log-") and f.endswith(".json"):
            try:
                if parse(json.load(open(os.path.join(logdir, f)))["last_commit"]) > ms:
                    return True
            except (OSError, ValueError):
                pass
    return False
deadline = time.time() + WAIT_S
while not closed_after(end) and time.time() < deadline:
    time.sleep(0.05)
if not closed_after(end):
    fail("no segment closed within %.0f s after the writers stopped" % WAIT_S)
tester.close()
state["capture"].send_signal(signal.SIGTERM)
if state["capture"].wait() != 0:
    fail("the capture failed: " + open(os.path.join(work, "capture.err")).read())
for suffix in ("", "-wal", "-shm"):
    os.unlink(db + suffix) if os.path.exists(db + suffix) else None

restore_s = []
def restore(ms, name):
    out = os.path.join(work, name)
    t0 = time.time()
    r = subprocess.run([cli, "restore", "--to-time", text(ms), logdir, "--db", "sqlite:" + out,
                        "--module", module], capture_output=True, text=True)
    restore_s.append(time.time() - t0)
    return r, out
def pages_mb(c):
    return c.execute("PRAGMA page_count").fetchone()[0] * c.execute("PRAGMA page_size").fetchone()[0] >> 20

final = status()
stretches = [(parse(s["from"]), parse(s["to"])) for s in final["stretches"]]
if final["capturing"] or not stretches:
    fail("log status after the capture: %r" % final)
exact = gaps = counted = largest = 0
for i, (t, h, sure) in enumerate(moments):
    r, out = restore(t, "r%d.db" % i)
    if (r.returncode == 0) != any(a <= t <= b for a, b in stretches):
        fail("moment %d (%s): restore %s, but log status says it is %s" % (i, text(t),
             "ok" if r.returncode == 0 else "failed", "outside every stretch" if r.returncode == 0 else "restorable"))
    if r.returncode == 0:
        c = sqlite3.connect(out)
        if c.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            fail("moment %d (%s): the restored file fails integrity_check" % (i, text(t)))
        got = rows_hash(c)
        largest = max(largest, pages_mb(c))
        c.close()
        if got != h:
            fail("moment %d (%s, %s): restored rows differ from the copy taken then" %
                 (i, text(t), "seen" if sure else "in a gap"))
        exact += 1
        os.unlink(out)  # checked: the disk holds one restore at a time
        counted += "row counts equal" in r.stdout
    else:
        if sure:
            fail("moment %d (%s), which the capture saw, did not restore: %s" % (i, text(t), r.stderr))
        if not r.stderr.startswith("dbcare:") or any(os.path.exists(out + s) for s in ("", "-wal", "-shm", "-journal")):
            fail("moment %d: a failed restore left a file or no dbcare: error: %s" % (i, r.stderr))
        gaps += 1
    for f in os.listdir(work):
        if ".pitr-" in f:
            fail("a scratch image is left: " + f)
# the end, after the last commit: restored, its rows checked against the
# counts the log recorded when that segment closed (the restore says so)
r, out = restore(end, "end.db")
if r.returncode != 0 or "row counts equal to the log's" not in r.stdout:
    fail("the end (%s): not restored with its row counts checked: %s%s" % (text(end), r.stdout, r.stderr))
c = sqlite3.connect(out)
if rows_hash(c) != end_rows:
    fail("the end (%s): restored rows differ" % text(end))
end_mb = pages_mb(c)
if c.execute("PRAGMA page_count").fetchone()[0] != live_pages:
    fail("the end restored has %d pages, the database had %d" % (c.execute("PRAGMA page_count").fetchone()[0], live_pages))
c.close()
counted += 1
# the time as the restore printed it ("… UTC") is a --to-time too
import re
said = re.search(r" to (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC)", r.stdout)
if not said: fail("the restore printed no time: " + r.stdout)
r2 = subprocess.run([cli, "restore", "--to-time", said.group(1), logdir, "--db", "sqlite:" + os.path.join(work, "end2.db"),
                     "--module", module], capture_output=True, text=True)
if r2.returncode != 0 or rows_hash(sqlite3.connect(os.path.join(work, "end2.db"))) != end_rows:
    fail("restore --to-time '%s' (as dbcare prints it): %s" % (said.group(1), r2.stderr))
for f in ("end.db", "end2.db"): os.unlink(os.path.join(work, f))

# ... and the check is real: the log's count for t raised by one (the
# record's CRC-32C and the segment's SHA-256 recomputed, as a forger
# would), the same restore is refused
import shutil, struct
def crc32c(data):
    c = 0xFFFFFFFF
    for x in data:
        c ^= x
        for _ in range(8): c = (c >> 1) ^ (0x82F63B78 if c & 1 else 0)
    return c ^ 0xFFFFFFFF
forged = os.path.join(work, "forged")
# linked, not copied (a log of GBs); a forged file is written anew
shutil.copytree(logdir, forged, ignore=shutil.ignore_patterns("log.lock"), copy_function=os.link)
def write_new(path, data):
    with open(path + ".new", "wb") as f: f.write(data)
    os.replace(path + ".new", path)
def forge_rows(seg):
    b = bytearray(open(seg, "rb").read())
    off, last = 8, None
    while off + 20 <= len(b):
        rtype, plen = struct.unpack_from("<II", b, off + 4)
        if rtype == ord("R"):
            last = (off, plen)
        off += 20 + plen + 4
    if not last:
        return False
    off, plen = last
    body = bytes(b[off + 20 + 36: off + 20 + plen]).decode()
    lines = [l.split("\t") for l in body.splitlines()]
    new = "".join("%s\t%d\n" % (k, int(v) + (k == "t")) for k, v in lines).encode()
    rec = bytearray(b[off: off + 20 + 36]) + new
    struct.pack_into("<I", rec, 8, 36 + len(new))
    rec += struct.pack("<I", crc32c(rec))
    b[off: off + 20 + plen + 4] = rec
    write_new(seg, bytes(b))
    j = seg[:-len(".dbclog")] + ".json"
    m = json.load(open(j))
    m["sha256"] = hashlib.sha256(b).hexdigest()
    write_new(j, json.dumps(m, separators=(",", ":")).encode())
    return True
segs = sorted(f for f in os.listdir(forged) if f.endswith(".dbclog"))
if not any(forge_rows(os.path.join(forged, f)) for f in reversed(segs)):
    fail("no row counts in the log to forge")
out = os.path.join(work, "forged.db")
r = subprocess.run([cli, "restore", "--to-time", text(end), forged, "--db", "sqlite:" + out,
                    "--module", module], capture_output=True, text=True)
if r.returncode == 0 or "rows in t" not in r.stderr or os.path.exists(out):
    fail("a log whose row counts differ from its pages restored: %s%s" % (r.stdout, r.stderr))

if sum(1 for m in moments if m[2]) < (nmoments + 1) // 2:
    fail("the capture saw only %d of %d moments (in %.0f s)" % (sum(1 for m in moments if m[2]), len(moments),
                                                           max(120.0, nmoments * 6.0)))

# the same moment written with an offset from UTC restores the same rows
t0, h0, _ = moments[0]
local = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t0 // 1000 - 5400)) + ".%03d-01:30" % (t0 % 1000)
r = subprocess.run([cli, "restore", "--to-time", local, logdir, "--db", "sqlite:" + os.path.join(work, "zone.db"),
                    "--module", module], capture_output=True, text=True)
if r.returncode == 0:
    c = sqlite3.connect(os.path.join(work, "zone.db"))
    if rows_hash(c) != h0:
        fail("moment 0 written as %s restores other rows" % local)
elif moments[0][2]:
    fail("moment 0 written as %s: %s" % (local, r.stderr))

# refused, nothing made: before the log, after its last record, a bad time,
# a target with tables
first = moments[0][0]
for ms, why in ((first - 3600 * 1000, "begins at"), (now_ms() + 60000, "reaches only to")):
    r, out = restore(ms, "refused.db")
    if r.returncode == 0 or why not in r.stderr or os.path.exists(out):
        fail("restore to %s was not refused (%s), or left a file: %s" % (text(ms), why, r.stderr))
r = subprocess.run([cli, "restore", "--to-time", "yesterday", logdir, "--db", "sqlite:" + os.path.join(work, "bad.db"),
                    "--module", module], capture_output=True, text=True)
if r.returncode != 2 or "--to-time needs" not in r.stderr:
    fail("a bad --to-time: " + r.stderr)
for bad in ("2026-02-30 10:00:00", "2026-11-24 15:42:60", "2026-04-31 00:00", "2026-11-24 24:00:00"):
    r = subprocess.run([cli, "restore", "--to-time", bad, logdir, "--db", "sqlite:" + os.path.join(work, "bad.db"),
                        "--module", module], capture_output=True, text=True)
    if r.returncode != 2 or "dbcare: --to-time \"%s\" is no moment of the calendar" % bad not in r.stderr:
        fail("an impossible --to-time %s: rc %d, %s" % (bad, r.returncode, r.stderr))
full = os.path.join(work, "full.db")
sqlite3.connect(full).execute("CREATE TABLE keep (x)")
r = subprocess.run([cli, "restore", "--to-time", text(moments[-1][0]), logdir, "--db", "sqlite:" + full,
                    "--module", module], capture_output=True, text=True)
if r.returncode == 0 or "is not empty" not in r.stderr:
    fail("a restore over a database with tables: " + r.stderr)
# every base begins an epoch that restores, but one whose capture was
# killed before its first whole poll after the base (at most one a kill)
epochs = sum(1 for f in os.listdir(logdir) if f.startswith("base-") and f.endswith(".db"))
listed = len({s["epoch"] for s in final["stretches"]})
if not listed <= epochs <= listed + kills:
    fail("%d bases, but log status lists stretches of %d epochs (%d kills)" % (epochs, listed, kills))
restore_s.sort()
print("ok: %d moments restored row for row (%d also against the log's row counts; the largest %d MB), "
      "%d in gaps refused cleanly; %d kills of the capture and %d of %d writers, %d VACUUMs (the "
      "largest of %d MB), %d bases, a database grown to %d MB in pages (%d MB at the end); restores took %.1f s "
      "(median), %.1f s (the longest); the log %d MB" %
      (exact, counted, largest, gaps, state["killed"], state["writer_kills"], nwriters, vacuums[1],
       int(vacuums[2]) * 4096 >> 20, epochs, int(grown.value) >> 20, end_mb, restore_s[len(restore_s) // 2], restore_s[-1],
       sum(os.path.getsize(os.path.join(logdir, f)) for f in os.listdir(logdir)) >> 20))
PY
