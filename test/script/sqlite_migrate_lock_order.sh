#!/usr/bin/env bash
# In WAL mode a changing dbmigrate call whose first statement were a read
# would pin a snapshot; a writer committing meanwhile would then make its
# write fail busy at once instead of waiting out the busy timeout. The call
# must wait for the writer and succeed.
set -euo pipefail
module=${DBCARE_SQLITE_MODULE:?}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 - "$module" "$work/t.db" <<'PY'
import sqlite3, sys, threading, time
module, path = sys.argv[1], sys.argv[2]

def connect():
    c = sqlite3.connect(path, isolation_level=None, timeout=10, check_same_thread=False)
    c.enable_load_extension(True)
    c.load_extension(module)
    return c

a, b = connect(), connect()
a.execute("PRAGMA journal_mode = wal")
a.execute("CREATE TABLE other (x)")
a.execute("SELECT dbmigrate_add('1', 'one', 'CREATE TABLE one (x);')")
a.execute("SELECT dbmigrate_apply()")
a.execute("SELECT dbmigrate_add('2', 'two', 'CREATE TABLE two (x);')")

b.execute("BEGIN IMMEDIATE")
b.execute("INSERT INTO other VALUES (1)")
result = {}
def apply():
    try:
        result["applied"] = a.execute("SELECT dbmigrate_apply()").fetchone()[0]
    except Exception as e:  # the failure this test guards against
        result["error"] = str(e)
t = threading.Thread(target=apply)
t.start()
time.sleep(0.5)
b.execute("COMMIT")
t.join()
assert result == {"applied": 1}, result
print("ok: waited for the writer, then applied", result["applied"])
PY
