#!/usr/bin/env bash
# A read-only SQLite database (opened with ?mode=ro, and one made read-only
# with PRAGMA query_only): every dbcare function, read from
# pragma_function_list and pragma_module_list so a new one is covered, is
# called with harmless arguments (a name nothing has). Whatever fails, fails
# with a "dbcare: " message, and a refused write keeps SQLite's own result
# code, SQLITE_READONLY, so an application can tell it from other errors.
# Uses Python's sqlite3 module (the system libsqlite3), which shows the code.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"

"$py" - "$mod" "$work" <<'PY'
import sqlite3, sys

mod, work = sys.argv[1], sys.argv[2]
SQLITE_READONLY = 8
failures = []

def connect(uri):
    conn = sqlite3.connect(uri, uri=True, isolation_level=None)
    conn.enable_load_extension(True)
    conn.load_extension(mod)
    return conn

# A database with the bookkeeping tables, a migration, a relation and a setting.
path = work + "/ro.db"
rw = connect("file:" + path)
rw.executescript("""
  CREATE TABLE parent (id INTEGER PRIMARY KEY);
  CREATE TABLE child (id INTEGER, parent_id INTEGER);
  SELECT dbmigrate_add('1', 'one', 'CREATE TABLE one (a)');
  SELECT dbmigrate_apply();
  SELECT dbmigrate_add('2', 'two', 'CREATE TABLE two (a)');
  SELECT dbcheck_add_relation('child_parent', 'child', 'parent_id', 'parent', 'id');
  SELECT dbcare_set('migrate.lock_timeout_ms', '100');
""")
functions = rw.execute("SELECT DISTINCT name, narg FROM pragma_function_list "
                       "WHERE name LIKE 'db%' ORDER BY name, narg").fetchall()
modules = [r[0] for r in rw.execute("SELECT name FROM pragma_module_list "
                                    "WHERE name LIKE 'db%' ORDER BY name")]
rw.close()
if len(functions) < 15:
    failures.append("only %d dbcare functions listed" % len(functions))

def calls():
    for name, narg in functions:
        args = ", ".join(["'absent'"] * max(narg, 0))
        yield "SELECT %s(%s)" % (name, args)
    for name in modules:
        yield "SELECT * FROM %s" % name

for how, uri, setup in (("mode=ro", "file:%s?mode=ro" % path, None),
                        ("query_only", "file:" + path, "PRAGMA query_only = 1")):
    conn = connect(uri)
    if setup:
        conn.execute(setup)
    refused = 0
    for sql in calls():
        try:
            conn.execute(sql).fetchall()
        except sqlite3.Error as e:
            msg = str(e)
            if not msg.startswith("dbcare: "):
                failures.append("%s: %s: no dbcare: prefix: %s" % (how, sql, msg))
            if "readonly" in msg or "read-only" in msg:
                refused += 1
                code = getattr(e, "sqlite_errorcode", None)
                if code is not None and code & 0xff != SQLITE_READONLY:
                    failures.append("%s: %s: result code %s, not SQLITE_READONLY: %s"
                                    % (how, sql, code, msg))
        if not conn.in_transaction is False:
            failures.append("%s: %s left a transaction open" % (how, sql))
    if refused < 8:
        failures.append("%s: only %d calls were refused as writes" % (how, refused))
    # the connection goes on working
    if conn.execute("SELECT dbcare_get('migrate.lock_timeout_ms')").fetchone()[0] != "100":
        failures.append("%s: the setting reads wrong after the refusals" % how)
    conn.close()

if failures:
    print("FAIL:\n  " + "\n  ".join(failures))
    sys.exit(1)
print("ok: %d functions and %d table-valued functions on a read-only database"
      % (len(functions), len(modules)))
PY
