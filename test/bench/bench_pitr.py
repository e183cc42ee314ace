"""bench_pitr.py — SQLite point-in-time recovery (`dbcare log`,
`dbcare restore --to-time`, docs/backups.md "Back to any moment").

1. A writer (a Python sqlite3 connection) commits single-row transactions
   (a 200-byte row each: two 4 KB pages in the WAL) into a WAL database:
   10,000 in /dev/shm (no fsync cost) and 2,000 on the disk under build/
   (each commit's fsync real). Side by side, ROUNDS interleaved rounds
   (the median, and each side's rounds as ratios to the same round's
   writer alone): the writer alone; with the module loaded and no
   capture; with each hand-written floor (test/bench/pitr_floor.c: a WAL
   hook that only copies the commit's new WAL bytes to a file, no record,
   no check, no checkpoint control: pread + write in the hook, the floor;
   copy_file_range; every 8th commit; a copier thread); with the module
   capturing in its own commits (backup.log.dir set: the capture's CPU is
   the writer's); and while `dbcare log` captures in a process of its
   own. "The writer's CPU" is the writer process's (all its threads,
   time.process_time, over its commits alone); for `dbcare log` the
   capture process's CPU over the same commits (from just before the
   first to 0.3 s after the last, /proc/PID/stat) is reported beside it
   and added to it in a row of its own. Target: ≤ 1.1× the writer alone.
   The log's bytes against the WAL bytes its commits wrote (frame
   headers and pages; target ≤ 1.2×). BENCH_PITR_BEFORE=path adds the
   `dbcare log` of another build as a side (a change against the build
   before it).
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

import benchlib
from benchlib import QUICK, ROOT, median

# the transaction mode of every row that does not state its own
TX = benchlib.TX_EACH_ROW

CLI = os.path.join(ROOT, "build", "cli", "dbcare")
MODULE = os.path.join(ROOT, "build", "sqlite", "dbcare.so")
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


def capture(db, log, cli=CLI):
    os.makedirs(log, exist_ok=True)
    p = subprocess.Popen([cli, "log", log, "--db", "sqlite:" + db, "--module", MODULE],
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
            if kind & 0x7FFFFFFF == ord("C"):  # the top bit: seen late (pitr_log.h)
                n = struct.unpack_from("<I", data, off + 56)[0]
                wal += n * (24 + (pl - 40) // n - 4)
            # closed by a CRC-32C ("DBCK"), or a SHA-256 ("DBCR", the first format)
            off += 20 + pl + (4 if magic == 0x4b434244 else 32)
    return wal, total


ROUNDS = 3 if QUICK else 9
# /dev/shm: 10,000 commits (about 0.15 s of the writer alone), long enough
# for `dbcare log` (which polls every 50 ms) to be polling all along;
# the disk: 2,000 commits (each commit's fsync is real there)
SHM_COMMITS = 2000 if QUICK else 10000
DISK_COMMITS = 500 if QUICK else 2000
FLOOR_SRC = os.path.join(ROOT, "test", "bench", "pitr_floor.c")
FLOOR = os.path.join(ROOT, "build", "bench", "pitr_floor.so")
# the floor's designs (pitr_floor.c), each a side of the rounds
FLOORS = {
    "copy": "hand-written floor: pread + write in the hook",
    "range": "floor: copy_file_range in the hook (no read into the process)",
    "batch8": "floor: pread + write every 8th commit (the 7 between copied late)",
    "thread": "floor: pread + write by a thread of the writer's process",
}


def build_floor():
    """test/bench/pitr_floor.c, the hand-written floors of a capture in the
    writer's process (a WAL hook that appends the WAL's new bytes to a file)."""
    os.makedirs(os.path.dirname(FLOOR), exist_ok=True)
    subprocess.run(["gcc", "-O2", "-Wall", "-Wextra", "-Werror", "-fPIC", "-shared", "-pthread",
                    "-o", FLOOR, FLOOR_SRC], check=True)


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


def floor_writer(db, copy, design):
    """A connection whose WAL hook is a hand-written floor (pitr_floor.c)."""
    c = fresh(db)
    c.enable_load_extension(True)
    c.load_extension(FLOOR)  # entry point sqlite3_pitrfloor_init
    c.execute("SELECT pitr_floor(?, ?)", (copy, design)).fetchall()
    return c


# BENCH_PITR_BEFORE=path: another build's dbcare command, its `dbcare log`
# a side of the same rounds (a change measured against the build before it)
BEFORE_CLI = os.environ.get("BENCH_PITR_BEFORE")


def log_round(place, i, commits, cli=CLI):
    """The writer (a plain connection, SQLite's automatic checkpoint) while
    `dbcare log` captures in a process of its own: the writer's CPU, and the
    capture process's from just before the first commit to 0.3 s after the
    last (its start and base left out), and the log's directory."""
    db, log = os.path.join(place, f"ml{i}.db"), os.path.join(place, f"mllog{i}")
    c = fresh(db)
    p = capture(db, log, cli)
    time.sleep(0.2)
    k0 = process_cpu(p.pid)
    cpu = write(c, commits)
    time.sleep(0.3)
    captured = process_cpu(p.pid) - k0
    stop(p)
    c.close()
    return cpu, captured, log


def module_rounds(place, commits):
    """Every side, ROUNDS interleaved rounds each, in directory place: the
    writer's CPU seconds per round of each side (and the `dbcare log`
    process's beside), and the last round's logs."""
    sides = {k: [] for k in ("alone", "module", *FLOORS, "capture", "log", "log process",
                             "log before", "log before process")}
    logs = {}
    for i in range(ROUNDS):
        c = fresh(os.path.join(place, f"ma{i}.db"))
        sides["alone"].append(write(c, commits))
        c.close()
        c = module_writer(os.path.join(place, f"mm{i}.db"))
        sides["module"].append(write(c, commits))
        c.close()
        for design in FLOORS:
            c = floor_writer(os.path.join(place, f"mf{design}{i}.db"),
                             os.path.join(place, f"mf{design}{i}.copy"), design)
            sides[design].append(write(c, commits))
            c.close()
        logs["capture"] = os.path.join(place, f"mlog{i}")
        c = module_writer(os.path.join(place, f"mc{i}.db"), logs["capture"])
        sides["capture"].append(write(c, commits))
        c.close()
        cpu, captured, logs["log"] = log_round(place, i, commits)
        sides["log"].append(cpu)
        sides["log process"].append(captured)
        if BEFORE_CLI:
            cpu, captured, _ = log_round(place, i, commits, BEFORE_CLI)
            sides["log before"].append(cpu)
            sides["log before process"].append(captured)
        for f in glob.glob(os.path.join(place, "m*.db*")) + glob.glob(os.path.join(place, "*.copy")):
            os.unlink(f)
    return sides, logs


def bench_module_capture(b, place, where, commits):
    sides, logs = module_rounds(place, commits)
    med = {k: median(v) for k, v in sides.items() if v}
    alone = med["alone"]
    size = f"{commits} commits, {where}"
    ref = "writer alone (CPU, median)"
    per = commits / 1e6

    def rounds(side, over=None):
        xs = [s + o for s, o in zip(sides[side], sides[over])] if over else sides[side]
        ratios = sorted(x / a for x, a in zip(xs, sides["alone"]))
        return (f"rounds {ratios[0]:.2f}× to {ratios[-1]:.2f}× (" +
                ", ".join(f"{r:.2f}" for r in ratios) + ")")

    def over(ms):
        return f"{(ms - alone) / per:.1f} µs a commit over the writer alone"

    b.add("pitr", "sqlite", size, ref, alone * 1000, ROUNDS,
          note=f"{alone / per:.1f} µs a commit; rounds {min(sides['alone']) * 1000:.0f} to "
               f"{max(sides['alone']) * 1000:.0f} ms")
    b.add("pitr", "sqlite", size, "writer, module loaded, no capture (CPU)", med["module"] * 1000,
          ROUNDS, ratio=med["module"] / alone, ref=ref, note=rounds("module"))
    for design, side in FLOORS.items():
        b.add("pitr", "sqlite", size, f"writer + {side} (CPU)", med[design] * 1000, ROUNDS,
              ratio=med[design] / alone, ref=ref, note=f"{over(med[design])}; {rounds(design)}")
    capture = med["capture"]
    b.add("pitr", "sqlite", size, "writer capturing in the module (CPU: the capture is in it)",
          capture * 1000, ROUNDS, ratio=capture / alone, ref=ref, target="≤ 1.1×",
          met=capture / alone <= 1.1,
          note=f"{capture / med['copy']:.2f}× the floor; {over(capture)}; {rounds('capture')}")
    writer = med["log"]
    b.add("pitr", "sqlite", size, "writer while dbcare log captures (the writer's own CPU)",
          writer * 1000, ROUNDS, ratio=writer / alone, ref=ref, target="≤ 1.1×",
          met=writer / alone <= 1.1,
          note=f"{over(writer)}; {rounds('log')}; the capture process beside it: "
               f"{med['log process'] * 1000:.0f} ms (median)")
    both = median([w + p for w, p in zip(sides["log"], sides["log process"])])
    b.add("pitr", "sqlite", size, "writer + dbcare log process (CPU, the two together)",
          both * 1000, ROUNDS, ratio=both / alone, ref=ref,
          note=f"{over(both)}; {rounds('log', 'log process')}")
    if BEFORE_CLI:
        b.add("pitr", "sqlite", size, "writer while dbcare log of BENCH_PITR_BEFORE captures",
              med["log before"] * 1000, ROUNDS, ratio=med["log before"] / alone, ref=ref,
              note=f"{over(med['log before'])}; {rounds('log before')}; the capture process "
                   f"beside it: {med['log before process'] * 1000:.0f} ms (median)")
    for side, name in (("capture", "module's"), ("log", "dbcare log's")):
        wal, logged = wal_and_log_bytes(logs[side])
        b.add("pitr", "sqlite", size, f"{name} log bytes / WAL bytes", 0, 1, ratio=logged / wal,
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
              target="≤ 2×" if pitr else None, met=median(ts) / ref <= 2 if pitr else None,
              tx="none: a restore of files")


def run(b):
    if not os.access(CLI, os.X_OK):
        b.skip("pitr", "build/cli/dbcare is not built")
        return
    build_floor()
    bench_module_capture(b, b.work, "/dev/shm" if b.work.startswith("/dev/shm") else "memory",
                         SHM_COMMITS)
    # on the disk (ext4 under the build directory): each commit's fsync
    disk = tempfile.mkdtemp(prefix="pitr-disk-", dir=os.path.join(ROOT, "build", "bench"))
    try:
        bench_module_capture(b, disk, "disk", DISK_COMMITS)
    finally:
        shutil.rmtree(disk, True)
    bench_restore(b)
