#!/usr/bin/env bash
# A point-in-time restore stopped by SIGINT or SIGTERM (docs/backups.md,
# "Back to any moment") leaves nothing: neither its scratch image
# (<db>.pitr-XXXXXX) nor the new database file it began on, and exits
# non-zero; one that finished before the signal left a whole database.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
pitr_python <<'PY'
import os, signal, sqlite3, subprocess, sys, time
from pitr_test import *
cli, module, work = args()
db, log, con = app_with_log(work, None, "CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)",
                            db="a.db", log="la")
p = subprocess.Popen([cli, "log", log, "--db", "sqlite:" + db, "--module", module, "--sleep-ms", "20"],
                     stderr=subprocess.PIPE)
wait_capture_ready(p)
for _ in range(40): con.executemany("INSERT INTO t (v) VALUES (randomblob(4000))", [()] * 100)
wait_restorable(cli, module, log, now_ms(), 120, p)
p.send_signal(signal.SIGTERM)
if p.wait() != 0: fail("the capture failed")
con.close()
t = last_restorable(cli, module, log)  # the end of the log
target = os.path.join(work, "q.db")
interrupted = 0
for sig in (signal.SIGINT, signal.SIGTERM):
    for delay in (0.1, 0.15, 0.2, 0.3, 0.45):
        r = subprocess.Popen([cli, "restore", "--to-time", t, log, "--db", "sqlite:" + target, "--module", module],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        time.sleep(delay); r.send_signal(sig); err = r.communicate()[1]
        left = sorted(f for f in os.listdir(work) if f.startswith("q.db"))
        if r.returncode == 0:
            n = sqlite3.connect(target).execute("SELECT count(*) FROM t").fetchone()[0]
            if n != 4000: fail("a restore that finished has %d rows" % n)
            for f in left: os.unlink(os.path.join(work, f))
            continue
        interrupted += 1
        if left: fail("a restore stopped by %s after %.2fs left %r (%s)" % (sig.name, delay, left, err))
if interrupted < 2: fail("only %d restores were stopped before they ended: the log is too small" % interrupted)
print("ok: %d interrupted restores left nothing" % interrupted)
PY
