#!/usr/bin/env bash
# The restore drill of a point-in-time log (docs/backups.md, "Back to any
# moment"): `dbcare backup drill --log DIR` restores the log to its last
# restorable moment in scratch, checks it, and reports the measured
# recovery point (how far behind the drill's start the log reaches), in
# its output and its JSON. While a capture runs and a writer commits, the
# drill restores a moment at or after what the capture was seen to reach
# before it, and the recovery point is no more than the time since; with
# the capture stopped, it grows with the time since the capture's last
# record; a damaged base fails the drill (exit 1, a dbcare: error) and
# leaves no scratch file.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/built_cli.sh"

PYTHONPATH="$(dirname "$0")/lib" "$py" - "$cli" "$module" "$work" <<'PY'
import calendar, json, os, signal, sqlite3, subprocess, sys, threading, time
from pitr_test import *
cli, module, work = args()
db, logdir, con = app_with_log(work, None)  # con: open throughout
state = {}
def fail(m):
    print("FAIL: " + m, flush=True)
    if state.get("capture"): state["capture"].kill()
    sys.exit(1)
def progress():
    try:
        return int(open(os.path.join(logdir, "log.progress")).read().split()[0])
    except (OSError, ValueError, IndexError):
        return 0
err = open(os.path.join(work, "capture.err"), "a")
state["capture"] = subprocess.Popen([cli, "log", logdir, "--db", "sqlite:" + db, "--module", module,
                                     "--sleep-ms", "20", "--segment-interval", "1s"], stderr=err)
stop = threading.Event()
def writer():
    w = sqlite3.connect(db, isolation_level=None, timeout=30)
    while not stop.is_set():
        w.execute("INSERT INTO t (v) VALUES (hex(randomblob(100)))")
        time.sleep(0.01)
wt = threading.Thread(target=writer, daemon=True); wt.start()
def drill():
    r = subprocess.run([cli, "backup", "drill", "--log", logdir, "--json", "--db", "sqlite:" + db,
                        "--module", module], capture_output=True, text=True)
    return r
wait_capture_ready_in(state["capture"], err.name)
deadline = time.time() + 120
while progress() == 0 and time.time() < deadline: time.sleep(0.05)
time.sleep(1.0)
seen = progress()
before = now_ms()
r = drill()
after = now_ms()
if r.returncode != 0: fail("drill while capturing: " + r.stderr)
d = json.loads(r.stdout)
if not d["ok"] or d["check"] != "ok" or d["commits_applied"] < 1:
    fail("drill while capturing: %r" % d)
if parse(d["restored_to"]) < seen or not 0 <= d["recovery_point_ms"] <= after - seen:
    fail("drill while capturing (the capture had reached %d, %d ms before the drill ended): %r" % (seen, after - seen, d))
text = subprocess.run([cli, "backup", "drill", "--log", logdir, "--db", "sqlite:" + db, "--module", module],
                      capture_output=True, text=True)
if text.returncode != 0 or "recovery point: " not in text.stdout:
    fail("the drill's text output: " + text.stdout + text.stderr)

# the capture stopped: the log falls behind, and the drill measures it
stop.set(); wt.join()
state["capture"].send_signal(signal.SIGTERM)
if state["capture"].wait() != 0: fail("capture: " + open(os.path.join(work, "capture.err")).read())
state["capture"] = None
last = progress()
time.sleep(1.2)
r = drill()
if r.returncode != 0: fail("drill after the stop: " + r.stderr)
d = json.loads(r.stdout)
if d["recovery_point_ms"] < 1200 or parse(d["restored_to"]) != last:
    fail("drill 1.2 s after the capture stopped at %d: %r" % (last, d))

# a damaged base: the drill fails, nothing left beside the database
base = [f for f in os.listdir(logdir) if f.startswith("base-") and f.endswith(".db")][0]
with open(os.path.join(logdir, base), "r+b") as f:
    f.seek(5000); f.write(b"\xff" * 16)
r = drill()
if r.returncode != 1 or not r.stderr.startswith("dbcare:") or "SHA-256" not in r.stderr:
    fail("a drill of a log with a damaged base: %s%s" % (r.stdout, r.stderr))
left = [f for f in os.listdir(work) if ".pitr-" in f]
if left: fail("the failed drill left %r" % left)
print("ok: the log drill restored its last moment; recovery point %d ms after the stop" % d["recovery_point_ms"])
PY
