#!/usr/bin/env bash
# A long JSON Schema validation on SQLite ends soon after a cancel:
# conn.interrupt() (sqlite3_interrupt) from another thread, and a progress
# handler that starts returning non-zero, each stop dbjson_valid,
# dbjson_assert and dbjson_errors with SQLITE_INTERRUPT well within 1.5 s,
# and the connection goes on working. The work: a schema whose $ref fan-out
# doubles at each of 12 levels, applied to every item of a 200,000-item
# array (alone it runs for seconds), and a document of several MB read
# before any validation starts. (The interrupt probe once failed to prepare
# on an interrupted connection and took that for "not interrupted": only
# the step budget ever ended the call.)
set -eu
. "$(dirname "$0")/lib/sqlite.sh"

"$py" - "$mod" <<'PY'
import json, sqlite3, sys, threading, time

mod = sys.argv[1]
LEVELS = 12
defs = {f"d{i}": {"allOf": [{"$ref": f"#/$defs/d{i + 1}"}, {"$ref": f"#/$defs/d{i + 1}"}]}
        for i in range(LEVELS)}
defs[f"d{LEVELS}"] = {"type": "string"}
FAN = json.dumps({"$defs": defs, "items": {"$ref": "#/$defs/d0"}})
FAN_DOC = json.dumps(["x"] * 200000)
# A big document (13 MB): objects with a few members; the schema is cheap,
# so the time goes to reading the document. Whether or not the cancel comes
# before the end, the call must end within the bound (reading it took 6 s).
BIG_DOC = json.dumps([{"id": i, "name": "item %d" % i, "tags": ["a", "b"], "ok": True}
                      for i in range(200000)])
CHEAP = json.dumps({"items": {"type": "object"}})
CALLS = ["SELECT dbjson_valid(?, ?)", "SELECT dbjson_assert(?, ?)",
         "SELECT count(*) FROM dbjson_errors(?, ?)"]
DELAY, BOUND, CPU_BOUND = 0.2, 1.5, 0.3

def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)

def connect():
    c = sqlite3.connect(":memory:")
    c.enable_load_extension(True)
    c.load_extension(mod)
    return c

done = threading.Event()
cancel_cpu = []  # the process's CPU time when the cancel was made

def run(label, c, sql, doc, schema, start, must_stop=True):
    t = time.monotonic()
    cancel_cpu.clear()
    start(c, t)
    try:
        c.execute(sql, (doc, schema)).fetchall()
        done.set()
        if must_stop:
            fail(f"{label}: not interrupted")
    except sqlite3.OperationalError as e:
        if "interrupted" not in str(e):
            fail(f"{label}: {e!r} is not an interrupt")
    took = time.monotonic() - t
    done.set()
    # On a loaded machine the wall clock says little; the CPU time the call
    # spent after the cancel says whether it went on working.
    after = time.process_time() - cancel_cpu[0] if cancel_cpu else 0.0
    if took > BOUND and after > CPU_BOUND:
        fail(f"{label}: ended {took:.2f} s after the start, {took - DELAY:.2f} s "
             f"and {after:.2f} s of CPU after the cancel")
    c.set_progress_handler(None, 0)
    if c.execute("SELECT dbjson_valid('[\"x\"]', ?)", (FAN,)).fetchone()[0] != 1:
        fail(f"{label}: the connection does not work after the interrupt")
    print(f"ok {label}: {took:.2f} s, {after:.2f} s of CPU after the cancel")

def by_thread(c, t):
    # sqlite3_interrupt while no statement runs is forgotten when one
    # starts (binding 13 MB may outlast the delay): interrupt until done
    def keep_interrupting():
        time.sleep(DELAY)
        cancel_cpu.append(time.process_time())
        while not done.is_set():
            c.interrupt()
            time.sleep(0.01)
    done.clear()
    threading.Thread(target=keep_interrupting, daemon=True).start()

def by_progress(c, t):
    def handler():
        if time.monotonic() - t <= DELAY:
            return 0
        if not cancel_cpu:
            cancel_cpu.append(time.process_time())
        return 1
    c.set_progress_handler(handler, 100)

c = connect()
for sql in CALLS:
    for name, start in (("thread", by_thread), ("progress handler", by_progress)):
        run(f"fan-out, {sql.split('(')[0][7:]}, {name}", c, sql, FAN_DOC, FAN, start)
        # read in well under a second now: it may end before the cancel
        run(f"big document, {sql.split('(')[0][7:]}, {name}", c, sql, BIG_DOC, CHEAP, start, False)
PY
