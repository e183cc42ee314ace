#!/usr/bin/env bash
# dbmonitor needs the connection's one trace callback (sqlite3_trace_v2),
# which SQLite can neither report nor hand back. The application's own
# callback (here Python's set_trace_callback) is never lost silently:
#  1. dbmonitor_start(ms) refuses with a clear error, and the application's
#     callback goes on receiving statements;
#  2. only dbmonitor_start(ms, 1), the caller's explicit word that nothing
#     else traces the connection, takes it;
#  3. a callback the application sets after dbmonitor_start survives
#     dbmonitor_stop() (and a plain dbmonitor_start refuses to take it back);
#     the slow_queries check says that dbmonitor no longer records;
#  4. without an application callback, start/stop work as before.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"

"$py" - "$mod" <<'PY'
import json, sqlite3, sys

mod = sys.argv[1]

def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)

def connect():
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.enable_load_extension(True)
    conn.load_extension(mod)
    return conn

def app_sees(conn, seen, marker):
    conn.execute(f"SELECT '{marker}'").fetchall()
    return any(marker in s for s in seen)

def slow_check(conn):
    return conn.execute("SELECT status, message FROM dbhealth_checks WHERE name = 'slow_queries'").fetchone()

# 1. The application traces first: a plain start refuses.
conn = connect()
seen = []
conn.set_trace_callback(seen.append)
try:
    conn.execute("SELECT dbmonitor_start(0)").fetchall()
    fail("dbmonitor_start(0) took the application's trace callback")
except sqlite3.OperationalError as e:
    if not str(e).startswith("dbcare: ") or "trace callback" not in str(e):
        fail(f"unclear refusal: {e}")
    print(f"1. refused: {str(e).splitlines()[0]}")
if not app_sees(conn, seen, "still traced 1"):
    fail("the application's callback no longer sees statements after the refusal")
if conn.execute("SELECT count(*) FROM dbmonitor_slow").fetchone()[0] != 0:
    fail("a refused start records statements")
if conn.execute("SELECT dbmonitor_stop()").fetchone()[0] != 0:
    fail("a refused start left a monitor running")
if not app_sees(conn, seen, "still traced 2"):
    fail("dbmonitor_stop() without a monitor turned the application's callback off")

# 2. The explicit word takes it.
if conn.execute("SELECT dbmonitor_start(0, 1)").fetchone()[0] != 1:
    fail("dbmonitor_start(0, 1) did not start")
conn.execute("SELECT 'monitored'").fetchall()
if conn.execute("SELECT count(*) FROM dbmonitor_slow WHERE sql LIKE '%monitored%'").fetchone()[0] != 1:
    fail("dbmonitor_start(0, 1) does not record")
conn.execute("SELECT dbmonitor_stop()")
conn.close()
print("2. dbmonitor_start(0, 1) records")

# 3. The application sets its callback while dbmonitor runs.
conn = connect()
conn.execute("SELECT dbmonitor_start(0, 1)")
seen = []
conn.set_trace_callback(seen.append)
status, message = slow_check(conn)
if "replaced" not in message:
    fail(f"slow_queries does not say that dbmonitor's callback was replaced: {status} {message}")
try:
    conn.execute("SELECT dbmonitor_start(5)").fetchall()
    fail("a plain dbmonitor_start took the callback back from the application")
except sqlite3.OperationalError as e:
    if "trace callback" not in str(e):
        fail(f"unclear refusal: {e}")
if not app_sees(conn, seen, "traced while monitored"):
    fail("the application's callback does not see statements")
if conn.execute("SELECT dbmonitor_stop()").fetchone()[0] != 1:
    fail("dbmonitor_stop() did not report the running monitor")
if not app_sees(conn, seen, "traced after stop"):
    fail("dbmonitor_stop() turned the application's callback off")
conn.close()
print("3. the application's later callback survives dbmonitor_stop()")

# 4. No application callback: start, restart with a new threshold, stop.
conn = connect()
if conn.execute("SELECT dbmonitor_start(0, 1)").fetchone()[0] != 1 or \
        conn.execute("SELECT dbmonitor_start(100000)").fetchone()[0] != 1:
    fail("start / restart")
status, message = slow_check(conn)
if "replaced" in message:
    fail(f"slow_queries: {message}")
if conn.execute("SELECT dbmonitor_stop()").fetchone()[0] != 1:
    fail("stop")
conn.close()
print("4. ok")
PY
