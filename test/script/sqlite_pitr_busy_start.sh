#!/usr/bin/env bash
# `dbcare log` started while a writer holds the write lock longer than the
# busy timeout (10 s) waits for it and takes its base once the lock is
# free, saying it waits (docs/backups.md, "Back to any moment"); it does
# not exit with "database is locked", which left a log with no capture
# when a restarted capture met a long write transaction.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
pitr_python <<'PY'
import os, sqlite3, subprocess, sys, time
from pitr_test import *
cli, module, work = args()
db, log, con = app_with_log(work, None, "CREATE TABLE t (v)")
con.execute("BEGIN IMMEDIATE"); con.execute("INSERT INTO t VALUES (1)")
err = open(os.path.join(work, "capture.err"), "w+")
p = subprocess.Popen([cli, "log", log, "--sleep-ms", "20", "--db", "sqlite:" + db, "--module", module], stderr=err)
time.sleep(11.5)  # past the 10 s busy timeout, the lock still held
if p.poll() is not None:
    err.seek(0); fail("the capture exited while the lock was held: " + err.read())
con.execute("COMMIT")
end = time.time() + 10
while time.time() < end and not any(f.startswith("base-") and f.endswith(".db") for f in os.listdir(log)):
    time.sleep(0.05)
p.terminate()
rc = p.wait()
err.seek(0); said = err.read()
if not any(f.startswith("base-") and f.endswith(".db") for f in os.listdir(log)):
    fail("no base once the lock was free: " + said)
if rc != 0 or "still waiting to take a base" not in said:
    fail("exit %d, said: %s" % (rc, said))
print("ok: the capture waited out a 11.5 s write lock and took its base")
PY
