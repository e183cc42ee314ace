"""pitr_test.py — what the point-in-time log's script tests written in
Python share (test/script/sqlite_pitr_*.sh): their arguments, fail(),
times as dbcare prints and reads them, connections with or without the
module, the application's database with its log directory, and a run of
the command with the module. Imported with
PYTHONPATH set to this folder:
    PYTHONPATH="$(dirname "$0")/lib" "$py" - "$cli" "$module" "$work" <<'PY'
    from pitr_test import *
    cli, module, work = args()"""
import calendar
import json
import os
import select
import sqlite3
import subprocess
import sys
import time

__all__ = ["args", "fail", "now_ms", "text", "parse", "connect", "app_with_log", "run",
           "wait_capture_ready", "wait_logged"]


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


def app_with_log(work, module, schema="CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)",
                 db="app.db", log="log", settings=()):
    """The application's database: work/db in WAL mode, made by schema, and
    its log directory work/log (made, empty). With module, the setup
    connection loads it and sets backup.log.dir to that directory, then
    each (key, value) of settings: the next commit of a connection with
    the module starts the capture. With module None, dbcare never touches
    the database: the test starts a capture itself (dbcare log).
    Returns (db path, log path, the setup connection, open, autocommit)."""
    db, logdir = os.path.join(work, db), os.path.join(work, log)
    os.mkdir(logdir)
    con = connect(db, module)
    con.executescript("PRAGMA journal_mode = wal; " + schema)
    for key, value in ((("backup.log.dir", logdir),) + tuple(settings)) if module else ():
        con.execute("SELECT dbcare_set(?, ?)", (key, value)).fetchall()
    return db, logdir, con


def run(cli, module, *a, timeout=60):
    """The command with the module, its output captured."""
    return subprocess.run([cli, *a, "--module", module], capture_output=True, text=True,
                          timeout=timeout)


def wait_capture_ready(p, timeout=120):
    """Waits until the capture p (`dbcare log`, started with stderr=PIPE)
    says it took its base or continues its epoch: from then on its SIGTERM
    handler is installed and every later commit goes into the log. Fails
    if p ends first or after timeout seconds (a deadline for a loaded
    machine, not a pace). Returns what p printed so far."""
    deadline, seen, fd = time.monotonic() + timeout, b"", p.stderr.fileno()
    while not any(line.startswith((b"log: base ", b"log: continuing epoch "))
                  for line in seen.split(b"\n")):
        left = deadline - time.monotonic()
        if left <= 0:
            fail("the capture did not start in %d s: %r" % (timeout, seen), p)
        if select.select([fd], [], [], min(left, 0.5))[0]:
            chunk = os.read(fd, 4096)
            if not chunk:
                p.wait()
                fail("the capture ended (rc %s) before it started: %r" % (p.returncode, seen))
            seen += chunk
    return seen.decode(errors="replace")


def start_capture(cli, module, work, db, log, sleep_ms, **env):
    """`dbcare log` capturing db into log every sleep_ms, its stderr in
    work/capture.err, env (test-only settings: DBCARE_TEST_SCAN_PAUSE_MS)
    added to the environment; returns (the process, the stderr's path)
    once it is ready (wait_capture_ready_in)."""
    path = os.path.join(work, "capture.err")
    with open(path, "w") as err:
        p = subprocess.Popen([cli, "log", log, "--sleep-ms", str(sleep_ms), "--db", "sqlite:" + db,
                              "--module", module], stderr=err, env=dict(os.environ, **env))
    wait_capture_ready_in(p, path)
    return p, path


def wait_logged(cli, module, log, commits, timeout=120, *kill):
    """Waits until the log's stretches (`dbcare log status --json`) hold at
    least commits commits in all; fails after timeout seconds."""
    deadline, n = time.monotonic() + timeout, -1
    while time.monotonic() < deadline:
        r = run(cli, module, "log", "status", log, "--json")
        if r.returncode == 0:
            n = sum(s.get("commits", 0) for s in json.loads(r.stdout).get("stretches", []))
            if n >= commits:
                return n
        time.sleep(0.05)
    fail("the log holds %d commits after %d s, not %d" % (n, timeout, commits), *kill)


def wait_capture_ready_in(p, path, offset=0, timeout=120):
    """wait_capture_ready for a capture p whose stderr goes to the file
    path: its lines from byte offset on (the file's size before p
    started)."""
    deadline = time.monotonic() + timeout
    while True:
        with open(path, "rb") as f:
            f.seek(offset)
            seen = f.read()
        if any(line.startswith((b"log: base ", b"log: continuing epoch "))
               for line in seen.split(b"\n")):
            return seen.decode(errors="replace")
        if p.poll() is not None:
            fail("the capture ended (rc %s) before it started: %r" % (p.returncode, seen))
        if time.monotonic() > deadline:
            fail("the capture did not start in %d s: %r" % (timeout, seen), p)
        time.sleep(0.05)


def last_restorable(cli, module, log):
    """The last moment the log vouches for (`log status --json`), as text."""
    r = run(cli, module, "log", "status", log, "--json")
    if r.returncode != 0:
        fail("log status %s: %s" % (log, r.stderr))
    return json.loads(r.stdout)["last_restorable"]


def wait_restorable(cli, module, log, t_ms, timeout=120, *kill):
    """Waits until the log vouches for the moment t_ms (ms since the
    epoch): every commit before it is logged, and a restore to it is
    exact. Fails after timeout seconds."""
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        r = run(cli, module, "log", "status", log, "--json")
        if r.returncode == 0:
            last = json.loads(r.stdout).get("last_restorable")
            if last and parse(last) >= t_ms:
                return last
        time.sleep(0.05)
    fail("the log vouches up to %s after %d s, not %s" % (last, timeout, text(t_ms)), *kill)


__all__ += ["wait_capture_ready_in", "last_restorable", "wait_restorable", "start_capture"]
