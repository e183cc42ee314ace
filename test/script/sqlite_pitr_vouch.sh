#!/usr/bin/env bash
# A moment the log vouches for (`log status`: last_restorable) restores
# row for row: every commit made before it is in the restore. A poll reads
# the WAL, then takes its time; a commit made in between (a capture
# descheduled there: DBCARE_TEST_SCAN_PAUSE_MS, a test-only pause, makes
# the window wide) is read only by the next poll. The log once vouched for
# that poll's time anyway, and a restore there missed the commit
# (sqlite_pitr_resume.sh failed so under load: 3 rows, not 5).
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
pitr_python <<'PY'
import os, sqlite3, subprocess, time
from pitr_test import *
cli, module, work = args()
db, log, con = app_with_log(work, None)
p, err = start_capture(cli, module, work, db, log, 20, DBCARE_TEST_SCAN_PAUSE_MS="150")
moments = []
for i in range(6):
    time.sleep(0.05 * i)  # lands at other places of the polls' pauses
    con.execute("INSERT INTO t (v) VALUES (?)", (str(i),))
    wait_restorable(cli, module, log, now_ms(), 60, p)  # every commit so far is in the log
    t = now_ms()
    wait_restorable(cli, module, log, t, 60, p)  # vouched for before the next commit
    moments.append((t, i + 1))
p.terminate()
if p.wait() != 0: fail("capture: " + open(err).read())
for t, n in moments:
    out = os.path.join(work, "r%d.db" % n)
    r = run(cli, module, "restore", "--to-time", text(t), log, "--db", "sqlite:" + out)
    if r.returncode != 0: fail("restore to %s: %s" % (text(t), r.stderr))
    got = sqlite3.connect(out).execute("SELECT count(*) FROM t").fetchone()[0]
    if got != n: fail("the log vouched for %s, after %d commits; its restore holds %d" % (text(t), n, got))
print("ok: every moment the log vouched for restored every commit made before it")
PY
