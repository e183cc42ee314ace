"""bench_pitr_instructions.py — the module's point-in-time capture counted in
instructions (valgrind's callgrind), where the shared machine moves the CPU
ratios of bench_pitr by tens of percent from round to round: the
instructions the capture's WAL hook (pitr_module.c, on_wal) runs a commit,
for a writer committing single-row transactions (a 200-byte row: two 4 KB
pages in the WAL a commit) on a connection with backup.log.dir set.

The hook is counted for N and for 2N commits and the difference divided by
N: the capture's start and its base (taken in the first commit's hook) are
left out. The count is the user-space side of the cost (the system calls'
own work in the kernel is not in it: bench_pitr measures the whole). The
target: at most 0.6× the 12.2 k instructions a commit the hook ran
before it took the checksums of committed frames from their headers
(docs/benchmarks.md, "Point-in-time capture")."""
import os
import shutil
import sys

from benchlib import QUICK, ROOT, TX_EACH_ROW
from instructions import count_instructions

# its figures are rows of bench "pitr" (benchlib.row_module)
ROWS_OF = "pitr"
MODULE = os.path.join(ROOT, "build", "sqlite", "dbcare.so")
COMMITS = 500 if QUICK else 2000
BEFORE = 12200  # a commit's instructions in the hook before (0.3.9, 2026-11-25)

WRITER = """
import os, sqlite3, sys
module, d, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
os.makedirs(os.path.join(d, "log"))
c = sqlite3.connect(os.path.join(d, "app.db"), isolation_level=None)
c.enable_load_extension(True)
c.load_extension(module)
c.executescript("PRAGMA journal_mode = wal; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
c.execute("SELECT dbcare_set('backup.log.dir', ?)", (os.path.join(d, "log"),)).fetchall()
c.execute("INSERT INTO t (v) VALUES ('start')")
for i in range(n):
    c.execute("INSERT INTO t (v) VALUES (?)", ("v" * 200,))
c.close()
"""


def hook_instructions(b, n):
    d = os.path.join(b.work, f"ir_pitr_{n}")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    script = os.path.join(d, "writer.py")
    with open(script, "w") as f:
        f.write(WRITER)
    # the Python whose sqlite3 loads extensions (Debian's own)
    py = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
    ir = count_instructions([py, script, MODULE, os.path.join(d, "db"), str(n)],
                            os.path.join(d, "callgrind.out"), toggles=("on_wal",))
    shutil.rmtree(d, ignore_errors=True)
    return ir


def run(b):
    if not shutil.which("valgrind"):
        b.skip("pitr instructions", "valgrind is not installed")
        return
    one, two = hook_instructions(b, COMMITS), hook_instructions(b, 2 * COMMITS)
    per = (two - one) / COMMITS
    b.add("pitr", "sqlite", f"{COMMITS} commits", "module's WAL hook a commit: instructions", None,
          1, ratio=per / BEFORE, ref="the hook before (12.2 k)", target="≤ 0.6× before",
          met=per <= BEFORE * 0.6, tx=TX_EACH_ROW, note=f"{per / 1e3:,.1f} k instructions a commit (user space)")
