#!/usr/bin/env bash
# SQLite: the integrity check of a file whose CHECK calls a function dbcare
# does not evaluate (an application's, or writefile()) must not switch the
# caller's CHECK constraints off, not even for a moment that an interrupt
# can make last: PRAGMA ignore_check_constraints cannot be set back while
# sqlite3_interrupt() is in force (every statement then fails to compile),
# and a connection left with it on accepts rows that break every CHECK.
# Python's sqlite3 module: a progress handler calls conn.interrupt() after
# k callbacks, for k from early in the report to past its end.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"

"$py" - "$mod" "$work/flags.db" <<'PY'
import sqlite3, sys
mod, path = sys.argv[1], sys.argv[2]

def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)

c = sqlite3.connect(path, isolation_level=None)
c.executescript("""
CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER CHECK (v > 0),
                w INTEGER CHECK (random() IS NOT NULL), x TEXT);
CREATE INDEX t_x ON t (x);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
INSERT INTO t SELECT i, i, i, hex(randomblob(8)) FROM n;
""")
c.enable_load_extension(True)
c.load_extension(mod)

row = c.execute("SELECT status, message FROM dbhealth_checks('standard') "
                "WHERE name = 'integrity'").fetchone()
if row[0] != "ok" or "random()" not in row[1]:
    fail("the refused CHECK is not named: %r" % (row,))
print("ok: uninterrupted: %s" % row[1])

interrupted = 0
for k in range(1, 300, 2):
    calls = [0]
    def handler():
        calls[0] += 1
        if calls[0] == k:
            c.interrupt()
        return 0
    c.set_progress_handler(handler, 10)
    try:
        c.execute("SELECT count(*) FROM dbhealth_checks('standard')").fetchall()
    except sqlite3.OperationalError as e:
        if "interrupted" not in str(e):
            fail("k=%d: %s" % (k, e))
        interrupted += 1
    c.set_progress_handler(None, 0)
    if c.execute("PRAGMA ignore_check_constraints").fetchone()[0]:
        fail("k=%d: ignore_check_constraints left on after the report" % k)
    try:
        c.execute("INSERT INTO t (v, w, x) VALUES (-1, 1, 'bad')")
        fail("k=%d: a row breaking CHECK (v > 0) was accepted" % k)
    except sqlite3.IntegrityError:
        pass
if interrupted < 10:
    fail("only %d reports were interrupted" % interrupted)
print("ok: %d interrupted reports left CHECK constraints on" % interrupted)

# An application function in a CHECK is never called by the report, on a
# file (its pragma runs aside and still finds a NULL in a NOT NULL column)
# or in memory (nothing can run aside: the check says why it is skipped).
for where in (path + "-app", ":memory:"):
    a = sqlite3.connect(where, isolation_level=None)
    calls = []
    a.create_function("app_ok", 1, lambda v: calls.append(v) or 1)
    a.executescript("""
    CREATE TABLE p (id INTEGER PRIMARY KEY, v TEXT CHECK (app_ok(v)), n TEXT);
    INSERT INTO p VALUES (1, 'a', 'x'), (2, 'b', NULL);
    PRAGMA writable_schema = ON;
    UPDATE sqlite_schema SET sql = replace(sql, 'n TEXT', 'n TEXT NOT NULL') WHERE name = 'p';
    PRAGMA writable_schema = OFF;
    """)
    a.enable_load_extension(True)
    a.load_extension(mod)
    del calls[:]
    status, msg = a.execute("SELECT status, message FROM dbhealth_checks('full') "
                            "WHERE name = 'integrity'").fetchone()
    if calls:
        fail("%s: the report called app_ok() %d times" % (where, len(calls)))
    want = "skipped" if where == ":memory:" else "critical"
    if status != want or "app_ok()" not in msg:
        fail("%s: integrity is %s: %s" % (where, status, msg))
    if want == "critical" and "NULL value in p.n" not in msg:
        fail("%s: the NULL is not found: %s" % (where, msg))
    if a.execute("PRAGMA ignore_check_constraints").fetchone()[0]:
        fail("%s: ignore_check_constraints left on" % where)
    print("ok: %s: %s: %s" % (where, status, msg))
PY
