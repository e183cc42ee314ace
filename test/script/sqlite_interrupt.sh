#!/usr/bin/env bash
# Interrupts in the middle of dbmigrate_apply in SQLite, through Python's
# sqlite3 module (the system libsqlite3): another thread calls
# conn.interrupt() (sqlite3_interrupt) once the migration is busy, and a
# progress handler returns non-zero. Each time the apply fails with an error,
# schema, history and status are as before, and the connection goes on
# working. Rollback-journal and WAL mode.
set -eu
mod="${DBCARE_SQLITE_MODULE:?}"
py=/usr/bin/python3
[ -x "$py" ] || py=python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$py" - "$mod" "$work" <<'PY'
import os, sqlite3, sys, threading, time

mod, work = sys.argv[1], sys.argv[2]
LONG = ("CREATE TABLE big (a, b);\n"
        "INSERT INTO big WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 50000000)\n"
        "SELECT x, randomblob(50) FROM c;")

def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)

def state(conn):
    return (conn.execute("SELECT group_concat(name || ':' || type, ',') FROM "
                         "(SELECT name, type FROM sqlite_schema ORDER BY name)").fetchone()[0],
            conn.execute("SELECT group_concat(id || ':' || ifnull(version, '') || ':' || direction, ',') "
                         "FROM (SELECT * FROM dbmigrate_history ORDER BY id)").fetchone()[0],
            conn.execute("SELECT group_concat(version || ':' || state, ',') "
                         "FROM (SELECT * FROM dbmigrate_status ORDER BY version)").fetchone()[0])

def still_usable(conn, label, before):
    if state(conn) != before:
        fail(f"{label}: state changed: {state(conn)} (was {before})")
    if conn.execute("SELECT dbmigrate_current()").fetchone()[0] != "1":
        fail(f"{label}: current is not 1")
    if conn.execute("SELECT count(*) FROM sqlite_schema WHERE name = 'big'").fetchone()[0] != 0:
        fail(f"{label}: the migration's table exists")
    if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
        fail(f"{label}: integrity_check")
    if conn.in_transaction:
        fail(f"{label}: a transaction was left open")
    conn.execute("CREATE TABLE scratch (a)")
    conn.execute("DROP TABLE scratch")

for mode in ("delete", "wal"):
    conn = sqlite3.connect(os.path.join(work, f"int-{mode}.db"), isolation_level=None,
                           check_same_thread=False)
    conn.enable_load_extension(True)
    conn.load_extension(mod)
    conn.execute(f"PRAGMA journal_mode = {mode}")
    conn.execute("SELECT dbmigrate_add('1', 'one', 'CREATE TABLE one (a);')")
    conn.execute("SELECT dbmigrate_apply()")
    conn.execute("SELECT dbmigrate_add('2', 'long', ?)", (LONG,))
    before = state(conn)

    # 1. sqlite3_interrupt from another thread, once the apply is busy: a
    # progress handler that only counts tells when it is.
    steps = [0]
    def count():
        steps[0] += 1
        return 0
    conn.set_progress_handler(count, 10000)
    def interrupter():
        deadline = time.time() + 20
        while steps[0] < 300 and time.time() < deadline:
            time.sleep(0.005)
        conn.interrupt()
    t = threading.Thread(target=interrupter)
    t.start()
    try:
        conn.execute("SELECT dbmigrate_apply()").fetchall()
        fail(f"{mode}: the interrupted apply succeeded")
    except sqlite3.OperationalError as e:
        if "interrupt" not in str(e):
            fail(f"{mode}: interrupt gave: {e}")
        print(f"{mode}: conn.interrupt() -> {e}")
    t.join()
    conn.set_progress_handler(None, 0)
    still_usable(conn, f"{mode} interrupt", before)

    # 2. a progress handler that asks to stop
    calls = [0]
    def stop():
        calls[0] += 1
        return 1 if calls[0] > 300 else 0
    conn.set_progress_handler(stop, 10000)
    try:
        conn.execute("SELECT dbmigrate_apply()").fetchall()
        fail(f"{mode}: the apply stopped by the progress handler succeeded")
    except sqlite3.OperationalError as e:
        if "interrupt" not in str(e):
            fail(f"{mode}: progress handler gave: {e}")
        print(f"{mode}: progress handler -> {e}")
    conn.set_progress_handler(None, 0)
    still_usable(conn, f"{mode} progress handler", before)

    # the migration applies once it is fixed
    conn.execute("SELECT dbmigrate_add('2', 'short', 'CREATE TABLE big (a, b);')")
    if conn.execute("SELECT dbmigrate_apply()").fetchone()[0] != 1:
        fail(f"{mode}: the fresh apply")
    conn.close()
    print(f"{mode}: ok")
PY
