"""bench_pitr.py — SQLite point-in-time recovery (`dbcare log`,
`dbcare restore --to-time`, docs/backups.md "Back to any moment").

1. A writer commits 3,000 single-row transactions (a 200-byte row each)
   into a WAL database, alone and then while `dbcare log` captures: the
   writer's CPU, and the writer's plus the capture's together from after
   the capture's start and base to 0.3 s after the last commit (target:
   capture costs ≤ 1.1× the CPU of the writes without it); and the log's
   bytes against the WAL bytes those commits wrote (frame headers and pages;
   target ≤ 1.2×).
1b. The same writes by a connection with the module loaded and
   backup.log.dir set, which captures in its own commits (its WAL hook):
   the writer's CPU (the capture's is in it) against the writer alone,
   and against the same connection with the module loaded and no capture;
   beside them the hand-written floor (test/bench/pitr_floor.c: a WAL hook
   that only reads the commit's new WAL bytes, one pread, and appends them
   to a file, one write: no record, no check, no checkpoint control), the
   least any capture in the commit costs. Each side measured ROUNDS times,
   interleaved, the median taken (the machine's noise moves all alike);
   in /dev/shm (3,000 commits) and on the disk under build/ (1,000
   commits: each commit's fsync is real there).
2. A 100 MB database (20 MB with BENCH_QUICK) captured, then 1,000 commits:
   `dbcare restore --to-time` of the moment after them against `dbcare
   restore` of the capture's base alone, each into a new file (target ≤ 2×)."""
import glob
import os
import shutil
import signal
import sqlite3
import struct
import subprocess
import tempfile
import time

from benchlib import QUICK, ROOT, median

CLI = os.path.join(ROOT, "build", "cli", "dbcare")
MODULE = os.path.join(ROOT, "build", "sqlite", "dbcare.so")
COMMITS = 3000
MB = 20 if QUICK else 100


def process_cpu(pid):
    """CPU seconds of a running process so far (/proc/PID/stat utime + stime)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def self_cpu():
    return time.process_time()


def fresh(path):
    for s in ("", "-wal", "-shm"):
        if os.path.exists(path + s):
            os.unlink(path + s)
    c = sqlite3.connect(path, isolation_level=None)
    c.executescript("PRAGMA journal_mode = wal; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    return c


def write(c, n):
    c0 = self_cpu()
    for _ in range(n):
        c.execute("INSERT INTO t (v) VALUES (?)", (os.urandom(100).hex(),))
    return self_cpu() - c0


def capture(db, log):
    os.makedirs(log, exist_ok=True)
    p = subprocess.Popen([CLI, "log", log, "--db", "sqlite:" + db, "--module", MODULE],
                         stderr=subprocess.DEVNULL)
    deadline = time.time() + 30
    while not glob.glob(os.path.join(log, "base-*.db")) and time.time() < deadline:
        time.sleep(0.05)
    return p


def stop(p):
    p.send_signal(signal.SIGTERM)
    p.wait()


def wal_and_log_bytes(log):
    """The WAL bytes of the logged commits (24-byte frame header + page per
    page) and the log's bytes."""
    wal = total = 0
    for seg in glob.glob(os.path.join(log, "log-*.dbclog*")):
        data = open(seg, "rb").read()
        total += len(data)
        off = 8
        while off + 20 <= len(data):
            magic, kind, pl = struct.unpack_from("<III", data, off)
            if kind == ord("C"):
                n = struct.unpack_from("<I", data, off + 56)[0]
                wal += n * (24 + (pl - 40) // n - 4)
            # closed by a CRC-32C ("DBCK"), or a SHA-256 ("DBCR", the first format)
            off += 20 + pl + (4 if magic == 0x4b434244 else 32)
    return wal, total


def bench_capture(b):
    alone = fresh(b.path("alone.db"))
    cpu_alone = write(alone, COMMITS)
    alone.close()
    db, log = b.path("captured.db"), b.path("log1")
    c = fresh(db)
    p = capture(db, log)
    time.sleep(0.3)
    k0 = process_cpu(p.pid)  # after its start and base: the steady cost
    cpu_writer = write(c, COMMITS)
    time.sleep(0.3)
    cpu_capture = process_cpu(p.pid) - k0
    stop(p)
    c.close()
    wal, logged = wal_and_log_bytes(log)
    size = f"{COMMITS} commits"
    b.add("pitr", "sqlite", size, "writer alone (CPU)", cpu_alone * 1000, 1)
    total = (cpu_writer + cpu_capture) / cpu_alone
    b.add("pitr", "sqlite", size, "writer + dbcare log (CPU)", (cpu_writer + cpu_capture) * 1000, 1,
          ratio=total, ref="writer alone (CPU)", target="≤ 1.1×", met=total <= 1.1,
          note=f"writer {cpu_writer * 1000:.0f} ms, capture {cpu_capture * 1000:.0f} ms")
    b.add("pitr", "sqlite", size, "log bytes / WAL bytes", 0, 1, ratio=logged / wal,
          ref="WAL bytes", target="≤ 1.2×", met=logged / wal <= 1.2,
          note=f"{logged} log bytes for {wal} WAL bytes")


ROUNDS = 3 if QUICK else 7
DISK_COMMITS = 1000
FLOOR_SRC = os.path.join(ROOT, "test", "bench", "pitr_floor.c")
FLOOR = os.path.join(ROOT, "build", "bench", "pitr_floor.so")


def build_floor():
    """test/bench/pitr_floor.c, the hand-written floor of a capture in the
    commit (a WAL hook that appends the WAL's new bytes to a file)."""
    os.makedirs(os.path.dirname(FLOOR), exist_ok=True)
    subprocess.run(["gcc", "-O2", "-Wall", "-Wextra", "-Werror", "-fPIC", "-shared", "-o", FLOOR,
                    FLOOR_SRC], check=True)


def module_writer(db, log=None):
    """A connection with the module loaded; with log, backup.log.dir set and
    a first commit (the capture's start and base) before the writes."""
    c = fresh(db)
    c.enable_load_extension(True)
    c.load_extension(MODULE)
    if log:
        os.makedirs(log, exist_ok=True)
        c.execute("SELECT dbcare_set('backup.log.dir', ?)", (log,)).fetchall()
        c.execute("INSERT INTO t (v) VALUES ('start')")
    return c


def floor_writer(db, copy):
    """A connection whose WAL hook is the hand-written floor (pitr_floor.c)."""
    c = fresh(db)
    c.enable_load_extension(True)
    c.load_extension(FLOOR)  # entry point sqlite3_pitrfloor_init
    c.execute("SELECT pitr_floor(?)", (copy,)).fetchall()
    return c


def module_rounds(place, commits):
    """The writer alone, with the floor, with the module loaded and with the
    module capturing: ROUNDS interleaved rounds each, in directory place.
    The CPU seconds per round of each side, and the last round's log."""
    sides = {"alone": [], "floor": [], "module": [], "capture": []}
    log = None
    for i in range(ROUNDS):
        c = fresh(os.path.join(place, f"ma{i}.db"))
        sides["alone"].append(write(c, commits))
        c.close()
        c = floor_writer(os.path.join(place, f"mf{i}.db"), os.path.join(place, f"mf{i}.copy"))
        sides["floor"].append(write(c, commits))
        c.close()
        c = module_writer(os.path.join(place, f"mm{i}.db"))
        sides["module"].append(write(c, commits))
        c.close()
        log = os.path.join(place, f"mlog{i}")
        c = module_writer(os.path.join(place, f"mc{i}.db"), log)
        sides["capture"].append(write(c, commits))
        c.close()
    return sides, log


def bench_module_capture(b, place, where, commits):
    sides, log = module_rounds(place, commits)
    alone, floor, module, capture = (median(sides[k])
                                     for k in ("alone", "floor", "module", "capture"))
    size = f"{commits} commits, {where}"
    ref = "writer alone (CPU, median)"
    per = commits / 1e6

    def note(side):
        ratios = [s / a for s, a in zip(sides[side], sides["alone"])]
        return (f"{(median(sides[side]) - alone) / per:.1f} µs a commit over the writer alone; "
                "per round " + ", ".join(f"{r:.2f}" for r in ratios))

    b.add("pitr", "sqlite", size, ref, alone * 1000, ROUNDS,
          note=f"{alone / per:.1f} µs a commit")
    b.add("pitr", "sqlite", size, "writer, module loaded, no capture (CPU)", module * 1000, ROUNDS,
          ratio=module / alone, ref=ref)
    b.add("pitr", "sqlite", size, "writer + hand-written floor (CPU)", floor * 1000, ROUNDS,
          ratio=floor / alone, ref=ref, note="WAL hook: one pread, one write; " + note("floor"))
    b.add("pitr", "sqlite", size, "writer capturing in the module (CPU)", capture * 1000, ROUNDS,
          ratio=capture / alone, ref=ref, target="≤ 1.1×", met=capture / alone <= 1.1,
          note=f"{capture / floor:.2f}× the floor; " + note("capture"))
    wal, logged = wal_and_log_bytes(log)
    b.add("pitr", "sqlite", size, "module's log bytes / WAL bytes", 0, 1, ratio=logged / wal,
          ref="WAL bytes", target="≤ 1.2×", met=logged / wal <= 1.2,
          note=f"{logged} log bytes for {wal} WAL bytes")


def timed(args):
    t0 = time.perf_counter()
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(r.stderr)
    return time.perf_counter() - t0


def bench_restore(b):
    db, log = b.path("big.db"), b.path("log2")
    c = fresh(db)
    rows = MB * 1024 * 1024 // 300
    c.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)"
              " INSERT INTO t (v) SELECT hex(randomblob(140)) FROM n", (rows,))
    p = capture(db, log)
    for i in range(1000):
        c.execute("UPDATE t SET v = hex(randomblob(140)) WHERE id = ?", (1 + i * 37 % rows,))
    time.sleep(0.5)
    now = time.time()
    moment = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(now)) + ".%03d" % (int(now * 1000) % 1000)
    time.sleep(1.2)
    stop(p)
    c.close()
    base = glob.glob(os.path.join(log, "base-*.db"))[0]
    times = {"restore of the base": [], "restore --to-time (base + 1,000 commits)": []}
    for i in range(3):
        times["restore of the base"].append(timed(
            [CLI, "restore", base, "--quiet", "--db", "sqlite:" + b.path(f"r{i}.db"), "--module", MODULE]))
        times["restore --to-time (base + 1,000 commits)"].append(timed(
            [CLI, "restore", "--to-time", moment, log, "--quiet", "--db", "sqlite:" + b.path(f"p{i}.db"),
             "--module", MODULE]))
    ref = median(times["restore of the base"])
    for side, ts in times.items():
        pitr = side != "restore of the base"
        b.add("pitr", "sqlite", f"{MB} MB", side, median(ts) * 1000, len(ts),
              ratio=median(ts) / ref if pitr else None, ref="restore of the base" if pitr else None,
              target="≤ 2×" if pitr else None, met=median(ts) / ref <= 2 if pitr else None)


def run(b):
    if not os.access(CLI, os.X_OK):
        b.skip("pitr", "build/cli/dbcare is not built")
        return
    build_floor()
    bench_capture(b)
    bench_module_capture(b, b.work, "/dev/shm" if b.work.startswith("/dev/shm") else "memory", COMMITS)
    # on the disk (ext4 under the build directory): each commit's fsync
    disk = tempfile.mkdtemp(prefix="pitr-disk-", dir=os.path.join(ROOT, "build", "bench"))
    try:
        bench_module_capture(b, disk, "disk", DISK_COMMITS)
    finally:
        shutil.rmtree(disk, True)
    bench_restore(b)
