"""pitr_test.py — what the point-in-time log's script tests written in
Python share (test/script/sqlite_pitr_*.sh): their arguments, fail(),
times as dbcare prints and reads them, connections with or without the
module, and a run of the command with the module. Imported with
PYTHONPATH set to this folder:
    PYTHONPATH="$(dirname "$0")/lib" "$py" - "$cli" "$module" "$work" <<'PY'
    from pitr_test import *
    cli, module, work = args()"""
import calendar
import sqlite3
import subprocess
import sys
import time

__all__ = ["args", "fail", "now_ms", "text", "parse", "connect", "run"]


def args():
    """The script's arguments: cli, module, work."""
    if len(sys.argv) < 4:
        fail("usage: - CLI MODULE WORK")
    return sys.argv[1:4]


def fail(msg, *kill):
    """The test fails with msg; the processes in kill are killed first."""
    print("FAIL: " + msg, flush=True)
    for p in kill:
        if p is not None and p.poll() is None:
            p.kill()
    sys.exit(1)


def now_ms():
    return int(time.time() * 1000)


def text(ms):
    """ms since the epoch as dbcare prints a time (UTC, milliseconds)."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ms // 1000)) + ".%03d" % (ms % 1000)


def parse(t):
    """A time as dbcare prints it, back to ms since the epoch."""
    return calendar.timegm(time.strptime(t[:19], "%Y-%m-%d %H:%M:%S")) * 1000 + int(t[20:23] or 0)


def connect(path, module=None, timeout=5.0):
    """An autocommit connection (the test decides its transactions), with
    the module loaded when one is given; a "file:" path is a URI."""
    c = sqlite3.connect(path, timeout=timeout, isolation_level=None, uri=path.startswith("file:"))
    if module:
        c.enable_load_extension(True)
        c.load_extension(module)
    return c


def run(cli, module, *a, timeout=60):
    """The command with the module, its output captured."""
    return subprocess.run([cli, *a, "--module", module], capture_output=True, text=True,
                          timeout=timeout)
