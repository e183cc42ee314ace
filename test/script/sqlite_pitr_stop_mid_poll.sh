#!/usr/bin/env bash
# A stop keeps every commit restorable: dbcare log stopped (SIGTERM) while
# a poll sleeps between its read of the WAL and its time (a capture
# descheduled there: DBCARE_TEST_SCAN_PAUSE_MS, a test-only pause, makes
# that most of each poll) copies the commits made after that read, and
# restore --to-time latest holds them all. The stop's last read, without
# the write lock, once marked them seen late and nothing vouched after
# them: the log's last stretch ended at the poll before, and the restore
# missed them (sqlite_pitr_writer_checkpoint.sh failed so under load:
# 1474 rows, not 1500).
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
pitr_python <<'PY'
import os, signal, sqlite3, subprocess, time
from pitr_test import *
cli, module, work = args()
db, log, con = app_with_log(work, None)
p, err = start_capture(cli, module, work, db, log, 10, DBCARE_TEST_SCAN_PAUSE_MS="500")
time.sleep(0.3)
commits = 20
for i in range(commits):  # a few ms: most likely inside one poll's pause
    con.execute("INSERT INTO t (v) VALUES (?)", ("r%d" % i,))
con.close()
p.send_signal(signal.SIGTERM)
if p.wait(timeout=60) != 0: fail("capture: " + open(err).read())
out = os.path.join(work, "r.db")
r = run(cli, module, "restore", "--to-time", "latest", log, "--db", "sqlite:" + out)
if r.returncode != 0: fail("restore latest: " + r.stderr)
got = sqlite3.connect(out).execute("SELECT count(*) FROM t").fetchone()[0]
if got != commits: fail("restored %d rows, not the %d committed before the stop" % (got, commits))
print("ok: a capture stopped in the middle of a poll restores every commit")
PY
