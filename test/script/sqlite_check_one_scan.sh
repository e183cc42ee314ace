#!/usr/bin/env bash
# dbcheck_constraints and the full health report check a table's row-local
# constraints (CHECK, NOT NULL) in one scan of the table, not one scan each:
# a trace callback (Python's set_trace_callback hears every statement dbcare
# runs on the connection) counts the statements that read the table.
#  1. 3 CHECKs and 3 NOT NULL columns: one statement reads the table, and
#     every constraint's count and sample equal what a plain query finds.
#  2. A CHECK that errors at runtime (json_extract over malformed JSON) is
#     reported exactly as when it is checked alone: the call fails naming it.
#     Without that row, the same table is checked in one scan again.
#  3. A CHECK the allow-list refuses stays not checked; the others still
#     share one scan.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"

lib="$(cd "$(dirname "$0")/lib" && pwd)"
PYTHONPATH="$lib" "$py" - "$mod" "$work" <<'PY'
import json, os, sqlite3, sys
import module_db

mod, work = sys.argv[1], sys.argv[2]

def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)

CHECKS = {
    "c_qty": "qty > 0",
    "c_price": "price >= 0 AND price < 1000",
    "c_code": "length(code) = 3",
}
NOT_NULL = ["qty", "price", "code"]

def build(path, extra_check="", rows=2000):
    b = sqlite3.connect(path, isolation_level=None)
    b.create_function("spy", 1, lambda v: None)  # the author's own stand-in
    cons = "".join(f",\n CONSTRAINT {n} CHECK ({e})" for n, e in CHECKS.items())
    b.execute(f"CREATE TABLE lines (qty INTEGER NOT NULL, price REAL NOT NULL,"
              f" code TEXT NOT NULL, j TEXT{cons}{extra_check})")
    b.execute("PRAGMA ignore_check_constraints = ON")
    b.execute("BEGIN")
    for i in range(1, rows + 1):
        qty = -i if i % 97 == 0 else i
        price = 5000.0 if i % 89 == 0 else i / 10
        code = "toolong" if i % 83 == 0 else "abc"
        b.execute("INSERT INTO lines VALUES (?, ?, ?, ?)", (qty, price, code, '{"a":1}'))
    b.execute("COMMIT")
    # NULLs in NOT NULL columns: a file another tool wrote, or whose schema
    # text was edited later. Written before the NOT NULLs are declared.
    b.close()
    return path

def with_nulls(path):
    """Rebuild so that some rows hold NULLs in the NOT NULL columns."""
    b = sqlite3.connect(path, isolation_level=None)
    b.execute("PRAGMA writable_schema = ON")
    sql = b.execute("SELECT sql FROM sqlite_schema WHERE name = 'lines'").fetchone()[0]
    loose = sql.replace(" NOT NULL", "")
    b.execute("UPDATE sqlite_schema SET sql = ? WHERE name = 'lines'", (loose,))
    b.close()
    b = sqlite3.connect(path, isolation_level=None)
    b.execute("PRAGMA ignore_check_constraints = ON")
    b.execute("UPDATE lines SET qty = NULL WHERE rowid % 71 = 0")
    b.execute("UPDATE lines SET code = NULL WHERE rowid % 67 = 0")
    b.execute("UPDATE lines SET price = NULL WHERE rowid % 61 = 0")
    b.execute("PRAGMA writable_schema = ON")
    b.execute("UPDATE sqlite_schema SET sql = ? WHERE name = 'lines'", (sql,))
    b.close()

def connect(path):
    return module_db.connect(path, mod)

def traced(c, sql):
    rows, seen = module_db.traced(c, sql)
    return rows, [s for s in seen if '"main"."lines"' in s]

def expected(c):
    """What plain queries find, constraint by constraint (rowid order).
    typeof(): SQLite folds "x IS NULL" to false for a column declared NOT NULL."""
    want = {}
    for n, e in CHECKS.items():
        keys = [r[0] for r in c.execute(f"SELECT rowid FROM lines WHERE NOT ({e}) ORDER BY rowid")]
        want[n] = (len(keys), keys[:5])
    for col in NOT_NULL:
        keys = [r[0] for r in c.execute(f"SELECT rowid FROM lines WHERE typeof({col}) = 'null' ORDER BY rowid")]
        want[f"lines_{col}_not_null"] = (len(keys), keys[:5])
    return want

# 1. one scan, the same counts and samples
path = build(os.path.join(work, "one.db"))
with_nulls(path)
c = connect(path)
rows, reads = traced(c, "SELECT constraint_name, violations, sample FROM dbcheck_constraints('lines')")
got = {r[0]: (r[1], json.loads(r[2])) for r in rows}
want = expected(c)
if got != want:
    fail(f"results differ from plain queries:\n got  {got}\n want {want}")
if any(v[0] == 0 for v in want.values()):
    fail(f"every constraint should have violations here: {want}")
if len(reads) != 1:
    fail(f"{len(reads)} statements read the table, expected 1:\n" + "\n".join(reads))
rows, reads = traced(c, "SELECT dbhealth_report('full')")
if len(reads) > 2:  # the CHECK and the NOT NULL facts at most, never 6
    fail(f"dbhealth_report('full') read the table {len(reads)} times:\n" + "\n".join(reads))
c.close()

# 2. a CHECK that errors at runtime: the same error as alone
path = build(os.path.join(work, "err.db"),
             extra_check=",\n CONSTRAINT c_json CHECK (json_extract(j, '$.a') IS NOT 2)", rows=300)
b = sqlite3.connect(path, isolation_level=None)
b.execute("PRAGMA ignore_check_constraints = ON")
b.execute("UPDATE lines SET j = 'not json' WHERE rowid = 150")
b.close()
c = connect(path)
try:
    c.execute("SELECT * FROM dbcheck_constraints('lines')").fetchall()
    fail("a CHECK erroring at runtime did not fail the call")
except sqlite3.Error as e:
    msg = str(e)
if "malformed JSON" not in msg or "c_json" not in msg:
    fail(f"the error does not name the bad CHECK and its cause: {msg}")
c.execute("DELETE FROM lines WHERE rowid = 150")
rows, reads = traced(c, "SELECT constraint_name, violations FROM dbcheck_constraints('lines')")
if len(reads) != 1 or dict(rows).get("c_json") != 0:
    fail(f"after the bad row is gone: {rows}, {len(reads)} reads")
c.close()

# 3. a refused CHECK stays not checked; the others share one scan
path = build(os.path.join(work, "refused.db"),
             extra_check=",\n CONSTRAINT c_app CHECK (spy(qty) IS NULL)", rows=300)
c = connect(path)
called = []
c.create_function("spy", 1, lambda v: called.append(v))
rows, reads = traced(c, "SELECT constraint_name, violations, sample FROM dbcheck_constraints('lines')")
got = {r[0]: (r[1], json.loads(r[2])) for r in rows}
if called:
    fail("the application function was called")
if got["c_app"][0] is not None or "not_checked" not in got["c_app"][1]:
    fail(f"c_app should be not checked: {got['c_app']}")
if len(reads) != 1:
    fail(f"{len(reads)} statements read the table, expected 1")
if got["c_qty"][0] != 3:
    fail(f"c_qty: {got['c_qty']}")
print("ok")
PY
