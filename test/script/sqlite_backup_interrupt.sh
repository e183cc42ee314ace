#!/usr/bin/env bash
# An interrupt (sqlite3_interrupt from another thread, as Python's
# conn.interrupt() or a driver's cancel) anywhere in a database's first
# dbbackup_create: the call fails with a dbcare error, or succeeds, and
# the connection is exactly as before: no transaction left open, no advice
# to run ROLLBACK, and the application's next write is still there after
# reopening. A first backup makes the backup bookkeeping (DDL), which once
# expired the statement meant to end the copy's read transaction under an
# interrupt: the read stayed open, the next dbmigrate_apply() answered 1
# and its migration vanished at close.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"

"$py" - "$mod" "$work" <<'PY'
import os, shutil, sqlite3, sys, threading, time

mod, work = sys.argv[1], sys.argv[2]
os.chdir(work)

def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)

def connect(path):
    c = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    c.enable_load_extension(True)
    c.load_extension(mod)
    return c

for mode in ("wal", "delete"):
    tpl = f"tpl-{mode}.db"
    c = connect(tpl)
    c.execute(f"PRAGMA journal_mode = {mode}")
    c.execute("CREATE TABLE s (id INTEGER PRIMARY KEY, v TEXT)")
    c.execute("INSERT INTO s WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
              "LIMIT 200000) SELECT x, hex(randomblob(30)) FROM c")
    c.close()

    def fresh():
        for f in os.listdir("."):
            if f.startswith(("t.db", "b-")):
                os.remove(f)
        shutil.copy(tpl, "t.db")
        return connect("t.db")

    # how long a whole first backup takes here, now: the interrupts land
    # across it
    c = fresh()
    t0 = time.monotonic()
    c.execute("SELECT dbbackup_create('b-whole.db')")
    whole = time.monotonic() - t0
    c.close()

    interrupted = 0
    for i in range(1, 13):
        c = fresh()
        delay = whole * i / 12.0
        timer = threading.Timer(delay, c.interrupt)
        timer.start()
        err = None
        try:
            c.execute(f"SELECT dbbackup_create('b-{i}.db')").fetchall()
        except sqlite3.Error as e:
            err = str(e)
        timer.join()
        label = f"{mode}: interrupt at {delay * 1000:.0f} ms of {whole * 1000:.0f} ms"
        if err is not None:
            # SQLite's own word when the interrupt lands on the caller's
            # statement outside dbcare's call (before it or after it)
            if err != "interrupted" and not err.startswith("dbcare: "):
                fail(f"{label}: not a dbcare error: {err}")
            if "not an error" in err:
                fail(f"{label}: the message names no cause: {err}")
            interrupted += "interrupted" in err
        if "ROLLBACK" in (err or "") or c.in_transaction:
            fail(f"{label}: a transaction is left open (in_transaction {c.in_transaction}): {err}")
        c.execute("SELECT dbmigrate_add('1', 'x', 'CREATE TABLE x (id INTEGER PRIMARY KEY)')")
        if c.execute("SELECT dbmigrate_apply()").fetchone()[0] != 1:
            fail(f"{label}: the next migration did not apply")
        c.close()
        c = sqlite3.connect("t.db")
        if not c.execute("SELECT 1 FROM sqlite_master WHERE name = 'x'").fetchone():
            fail(f"{label}: the migration applied after the interrupt is gone after reopening")
        c.close()
    if interrupted == 0:
        fail(f"{mode}: no interrupt landed inside the backup (the sweep tested nothing)")
    print(f"{mode}: {interrupted} of 12 backups interrupted, the connection usable after each")
PY
echo ok
