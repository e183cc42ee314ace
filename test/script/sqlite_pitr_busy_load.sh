#!/usr/bin/env bash
# A connection that loads the module while another connection holds the
# file's lock (here: one in locking_mode EXCLUSIVE, as after a crash the
# connection recovering the WAL does) cannot read backup.log.dir at load
# (docs/sqlite-builds.md, "Loading behind another connection's lock"). On
# main it then never captured: a silent gap in the log for as long as the
# connection lived. It now reads the setting at its first commit (the WAL
# hook, the lock released) and starts the capture there: log status finds
# it capturing, the health check says a capture runs, and a restore to
# the latest moment holds every row it committed. Loaded behind the lock
# on a database without backup.log.dir, the connection gives SQLite its
# automatic checkpoint back at that first commit (the WAL stays short).
# Behind a WAL writer that holds the write lock (readers go on), the load
# waits at most 250 ms for the capture's base, not 10 s, and the capture
# starts at a later commit.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
pitr_python <<'PY'
import json, os, sqlite3, time
from pitr_test import *
cli, module, work = args()

def behind_lock(db):
    """A connection with the module, loaded while another holds the lock."""
    a = sqlite3.connect(db, isolation_level=None)
    a.execute("PRAGMA locking_mode = EXCLUSIVE")
    a.execute("INSERT INTO t (v) VALUES ('exclusive')")  # holds the lock from here on
    b = connect(db, module, timeout=0.2)
    try:
        b.execute("SELECT count(*) FROM t").fetchall()
        fail("the other connection's lock did not keep the load out")
    except sqlite3.OperationalError as e:
        if "locked" not in str(e):
            raise
    a.close()
    return b

db, log, con = app_with_log(work, module)
con.execute("INSERT INTO t (v) VALUES ('setup')")
con.close()
b = behind_lock(db)
for i in range(3):
    b.execute("INSERT INTO t (v) VALUES (?)", ("b%d" % i,))
st = json.loads(run(cli, module, "log", "status", log, "--json").stdout)
if not st["capturing"]:
    fail("no capture after the commits of a connection loaded behind the lock: %r" % st)
check = b.execute("SELECT status || '|' || message FROM dbhealth_checks() "
                  "WHERE name = 'point_in_time_log'").fetchone()[0]
if "a capture runs" not in check:
    fail("health: " + check)
r = run(cli, module, "restore", "--to-time", "latest", log, "--db", "sqlite:" + os.path.join(work, "r.db"))
if r.returncode != 0:
    fail("restore latest: " + r.stderr)
rows = [v for (v,) in sqlite3.connect(os.path.join(work, "r.db")).execute("SELECT v FROM t ORDER BY id")]
if rows[-3:] != ["b0", "b1", "b2"]:
    fail("the restored rows: %r" % rows)
b.close()
print("ok: loaded behind the lock, captured from its first commit on: %r" % rows)

# a WAL writer holding the write lock (readers go on): the load reads the
# setting and tries the capture's base, which needs that lock; it waits
# at most 250 ms for it (on main: 10 s, the load held up as long), and
# the capture starts at a commit after the writer's (tried again once a
# second), its base holding every commit before
db2, log2, con2 = app_with_log(work, module, db="app2.db", log="log2")
con2.close()
for f in os.listdir(log2):  # a log that needs a base: none taken yet
    os.unlink(os.path.join(log2, f))
a = sqlite3.connect(db2, isolation_level=None)
a.execute("BEGIN IMMEDIATE")
a.execute("INSERT INTO t (v) VALUES ('long writer')")
t0 = time.monotonic()
b = connect(db2, module, timeout=5)
took = time.monotonic() - t0
a.execute("COMMIT")
a.close()
if took > 2:
    fail("the load waited %.1f s behind the writer for the capture's base" % took)
b.execute("INSERT INTO t (v) VALUES ('c0')")
time.sleep(1.1)  # a failed start is tried again a second later
b.execute("INSERT INTO t (v) VALUES ('c1')")
st = json.loads(run(cli, module, "log", "status", log2, "--json").stdout)
if not st["capturing"]:
    fail("no capture after the writer let go: %r" % st)
r = run(cli, module, "restore", "--to-time", "latest", log2, "--db", "sqlite:" + os.path.join(work, "r2.db"))
if r.returncode != 0:
    fail("restore latest: " + r.stderr)
rows = [v for (v,) in sqlite3.connect(os.path.join(work, "r2.db")).execute("SELECT v FROM t ORDER BY id")]
if rows[-3:] != ["long writer", "c0", "c1"]:
    fail("the restored rows: %r" % rows)
b.close()
print("ok: the load behind a WAL writer took %.2f s; captured from a later commit: %r" % (took, rows))

# no backup.log.dir: SQLite's own checkpoint is back from the first commit
plain = os.path.join(work, "plain.db")
c = sqlite3.connect(plain, isolation_level=None)
c.executescript("PRAGMA journal_mode = wal; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);")
c.close()
b = behind_lock(plain)
b.execute("PRAGMA synchronous = OFF")
for i in range(1500):
    b.execute("INSERT INTO t (v) VALUES (?)", ("x" * 100,))
frames = os.path.getsize(plain + "-wal") // (4096 + 24)
b.close()
if frames > 1200:
    fail("the WAL holds %d frames after 1,500 commits: no checkpoint ran" % frames)
print("ok: no log directory, the WAL kept to %d frames" % frames)
PY
