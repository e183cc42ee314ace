#!/usr/bin/env bash
# Idle is not stalled (docs/backups.md, "Watching the log"): the module's
# capture writes only at its connection's commits, so an idle application's
# log ages while it misses nothing. With the application idle past
# health.point_in_time_log.warn, point_in_time_log is ok with lag 0 and says
# the log holds every commit (dbcare_log_lag_seconds 0); a commit the
# capture has not copied (a connection without the module, while the
# application stays idle) makes it warn with the lag; the application's
# next commit copies it and the check is ok again.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
PYTHONPATH="$(dirname "$0")/lib" "$py" - "$module" "$work" <<'PY'
import os, re, sqlite3, sys, time
from pitr_test import *
module, work = sys.argv[1:3]
db, logdir, setup = app_with_log(work, module, "CREATE TABLE t (a INT)",
                                 settings=[("health.point_in_time_log.warn", "1")])
setup.close()
def with_module(path): return connect(path, module)

# the checker: a connection of its own that never captures
checker = with_module("file:%s?dbcare_capture=0" % db)
def check():
    return checker.execute("SELECT status, message FROM dbhealth_checks() WHERE name = 'point_in_time_log'").fetchone()
def lag():
    m = re.search(r'^dbcare_log_lag_seconds\{[^}]*\} (\S+)$', checker.execute("SELECT dbhealth_metrics()").fetchone()[0], re.M)
    return float(m.group(1)) if m else None

check()  # its first call writes a cache of its own (a commit), before the application starts
app = with_module(db)  # captures
app.execute("INSERT INTO t VALUES (1)")
time.sleep(1.6)  # idle past warn (1 s)
st, msg = check()
if st != "ok" or not msg.startswith("log lag 0 s; a capture runs;") or "idle: the log holds every commit" not in msg:
    fail("an idle application's log: %s, %s" % (st, msg))
if lag() != 0:
    fail("dbcare_log_lag_seconds of an idle log: %s" % lag())
print("ok: idle: %s | %s" % (st, msg))

plain = sqlite3.connect(db, isolation_level=None)  # no module: captured at the app's next commit
plain.execute("INSERT INTO t VALUES (2)")
st, msg = check()
if st != "warning" or not re.match(r"log lag [1-9]\d* s; a capture runs;", msg) or "idle" in msg:
    fail("a commit the log lacks: %s, %s" % (st, msg))
if not lag() >= 1:
    fail("dbcare_log_lag_seconds with a commit the log lacks: %s" % lag())
print("ok: behind: %s | %s" % (st, msg))

app.execute("INSERT INTO t VALUES (3)")  # copies both
st, msg = check()
if st != "ok" or not msg.startswith("log lag 0 s;"):
    fail("after the application's next commit: %s, %s" % (st, msg))
print("ok: caught up: %s | %s" % (st, msg))
PY
