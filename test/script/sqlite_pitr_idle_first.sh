#!/usr/bin/env bash
# A connection that loads the module but never commits does not keep the
# log's capture from the process's writer (sqlite/pitr/pitr_module.c, the
# registry; docs/backups.md, "Capture inside the application"). In a
# process, connection 1 loads the module first: read-only (mode=ro), or
# read-write but only reading (a pool's reader); connection 2 then loads it
# and commits 3,000 rows; the process ends with os._exit (no close). A
# restore from the log alone to its latest moment has every row. On main
# connection 1 took the log's lock at load and, never committing, never
# polled: the log held no row.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/built_cli.sh"

PYTHONPATH="$(dirname "$0")/lib" "$py" - "$cli" "$module" "$work" <<'PY'
import os, sqlite3
from pitr_test import *
cli, module, work = args()

def case(name, first_uri):
    d = os.path.join(work, name)
    os.mkdir(d)
    db, logdir, c = app_with_log(d, module)
    c.close()
    pid = os.fork()
    if pid == 0:
        reader = connect(first_uri % db, module)
        reader.execute("SELECT count(*) FROM t").fetchall()
        writer = connect(db, module)
        for i in range(300):
            writer.execute("BEGIN")
            writer.executemany("INSERT INTO t (v) VALUES (?)", [("row %d" % i,)] * 10)
            writer.execute("COMMIT")
        reader.execute("SELECT count(*) FROM t").fetchall()
        os._exit(0)
    _, status = os.waitpid(pid, 0)
    if status != 0:
        fail("%s: the application process failed (%d)" % (name, status))
    out = os.path.join(d, "r.db")
    r = run(cli, module, "restore", "--to-time", "latest", logdir, "--db", "sqlite:" + out)
    if r.returncode != 0:
        fail("%s: the restore failed: %s" % (name, r.stderr))
    got = sqlite3.connect(out).execute("SELECT count(*) FROM t").fetchone()[0]
    if got != 3000:
        fail("%s: restored %d rows of 3,000 committed" % (name, got))
    print("ok: %s first: 3,000 rows restored from the log" % name)

case("read-only", "file:%s?mode=ro")
case("idle-reader", "%s")
PY
