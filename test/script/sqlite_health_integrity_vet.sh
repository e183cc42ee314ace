#!/usr/bin/env bash
# The health report's integrity check (PRAGMA quick_check / integrity_check)
# on a hostile file opened read-write: on the caller's connection the pragma
# evaluates CHECKs, virtual generated columns and (integrity_check) index
# keys and partial-index predicates with nothing limiting what they call. It
# runs there only when all of them pass the allow-list; otherwise on a
# read-only connection of its own, and the caller's connection is never
# reconfigured.
#  1. A table named dbcare_* (any case), which the schema model leaves out,
#     with a CHECK calling an application function (Python) or the shell's
#     sha3_query() that runs writefile(): nothing is called, no file written.
#  2. Interrupts while the report runs on a file with a refused CHECK:
#     afterwards ignore_check_constraints is what it was and a CHECK still
#     refuses a bad row.
#  3. An expression index, a partial index and a virtual generated column
#     calling a deterministic application function: never called.
#  4. An in-memory database with a refused CHECK: the check says it did not
#     run, and why.
set -euo pipefail
. "$(dirname "$0")/lib/sqlite.sh"

"$py" - "$mod" "$work" <<'PY'
import json, os, sqlite3, sys, threading

mod, work = sys.argv[1], sys.argv[2]

def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)

def build(name, ddl, rows_sql, fns=("spy",)):
    path = os.path.join(work, name)
    b = sqlite3.connect(path, isolation_level=None)
    b.execute("PRAGMA synchronous = OFF")
    for f in fns:
        b.create_function(f, 1, lambda v: v, deterministic=True)
    for d in ddl:
        b.execute(d)
    b.execute("PRAGMA ignore_check_constraints = ON")
    b.execute(rows_sql)
    b.close()
    return path

def victim(path, fns=("spy",)):
    calls = []
    conn = sqlite3.connect(path, isolation_level=None)
    for f in fns:
        conn.create_function(f, 1, lambda v, f=f: calls.append((f, v)) or v, deterministic=True)
    conn.enable_load_extension(True)
    conn.load_extension(mod)
    conn.enable_load_extension(False)
    return conn, calls

def integrity(conn, mode):
    report = json.loads(conn.execute(f"SELECT dbhealth_report('{mode}')").fetchone()[0])
    return [c for c in report["checks"] if c["name"] == "integrity"][0]

# 1. dbcare_-named tables, in any case
path = build("dbcare_named.db",
             ["CREATE TABLE DBCARE_x (x INTEGER CONSTRAINT c_spy CHECK (x = 1 OR spy(x) IS NULL))"],
             "INSERT INTO DBCARE_x VALUES (1), (2), (3)")
conn, calls = victim(path)
for mode in ("standard", "full"):
    c = integrity(conn, mode)
    if calls:
        fail(f"dbcare_ table, {mode}: the integrity check called spy(): {calls}")
    if c["status"] != "ok" or "c_spy of table DBCARE_x" not in c["message"] \
            or "read-only connection" not in c["message"]:
        fail(f"dbcare_ table, {mode}: the refused CHECK is not named: {c}")
if conn.execute("PRAGMA ignore_check_constraints").fetchone()[0] != 0:
    fail("dbcare_ table: ignore_check_constraints changed")
conn.close()
print("1. dbcare_ table, Python: ok")

# 2. an interrupt while the pragma runs on the connection of its own
path = build("big.db",
             ["CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT, x INTEGER CHECK (x = 1 OR spy(x) IS NULL))",
              "CREATE INDEX t_v ON t (v)", "CREATE INDEX t_vx ON t (x, v)"],
             "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000) "
             "INSERT INTO t SELECT i, hex(randomblob(24)), i % 7 FROM n")
conn, calls = victim(path)
interrupted = 0
# An interrupt lands only while a statement of the connection runs (one
# between the report's statements is lost): from the delay on, it is sent
# again every millisecond until the report ends (on a quiet machine the
# report on 200,000 rows takes about 40 ms).
for delay in (0.005, 0.015):
    done = threading.Event()
    def keep_interrupting():
        if not done.wait(delay):
            while not done.wait(0.001):
                conn.interrupt()
    timer = threading.Thread(target=keep_interrupting)
    timer.start()
    try:
        c = integrity(conn, "standard")
    except sqlite3.OperationalError as e:
        if "interrupted" not in str(e):
            fail(f"interrupt: unexpected error {e}")
        interrupted += 1
    done.set()
    timer.join()
    if calls:
        fail(f"interrupt after {delay}s: spy() called: {calls}")
    if conn.execute("PRAGMA ignore_check_constraints").fetchone()[0] != 0:
        fail(f"interrupt after {delay}s: ignore_check_constraints left on")
    try:
        conn.execute("INSERT INTO t (v, x) VALUES ('bad', 0)")
        fail(f"interrupt after {delay}s: a row violating the CHECK was accepted")
    except sqlite3.IntegrityError:
        calls.clear()  # the application's own INSERT evaluated its CHECK
if interrupted == 0:
    fail("no report was interrupted")
conn.close()
print(f"2. interrupt: ok ({interrupted} of 2 reports interrupted)")

# 3. index keys, partial-index predicates, virtual generated columns
path = build("keys.db",
             ["CREATE TABLE k (x INTEGER, y INTEGER)",
              "CREATE INDEX k_expr ON k (spy(x))",
              "CREATE INDEX k_part ON k (y) WHERE spy(x) > 0"],
             "INSERT INTO k VALUES (1, 1), (2, 2)")
conn, calls = victim(path)
for mode in ("standard", "full"):
    c = integrity(conn, mode)
    if calls:
        fail(f"index keys, {mode}: the integrity check called spy(): {calls}")
    # quick_check evaluates no index key: it runs on the caller's connection
    if c["status"] != "ok" or (mode == "full" and ("index k_expr" not in c["message"]
                                                   or "instead of integrity_check" not in c["message"])):
        fail(f"index keys, {mode}: {c}")
conn.close()
path = build("generated.db",
             ["CREATE TABLE g (x INTEGER, z AS (spy(x)) VIRTUAL)",
              "CREATE INDEX g_z ON g (z)"],
             "INSERT INTO g (x) VALUES (1), (2)")
conn, calls = victim(path)
for mode in ("standard", "full"):
    c = integrity(conn, mode)
    if calls:
        fail(f"generated column, {mode}: the integrity check called spy(): {calls}")
    if c["status"] != "ok" or "generated column z of table g" not in c["message"] \
            or (mode == "full" and "instead of integrity_check" not in c["message"]):
        fail(f"generated column, {mode}: {c}")
conn.close()
# A declared type or NOT NULL on it: even quick_check computes the column, which the connection
# of its own cannot (no spy() there): the check says it did not run. (The
# constraint_violations check's NOT NULL count reads the column on the
# caller's connection: only the integrity row is asserted here.)
path = build("generated_nn.db",
             ["CREATE TABLE gn (x INTEGER, z INTEGER AS (spy(x)) VIRTUAL NOT NULL)"],
             "INSERT INTO gn (x) VALUES (1), (2)")
conn, calls = victim(path)
c = integrity(conn, "standard")
if c["status"] != "skipped" or "not run" not in c["message"] or "unknown function: spy()" not in c["message"] \
        or "generated column z of table gn" not in c["message"]:
    fail(f"generated NOT NULL column: {c}")
conn.close()
print("3. index keys, predicates, generated columns: ok")

# 4. no file to open read-only
conn, calls = victim(":memory:")
conn.execute("CREATE TABLE m (x INTEGER CONSTRAINT c_mem CHECK (x = 1 OR spy(x) IS NULL))")
c = integrity(conn, "standard")
if calls or c["status"] != "skipped" or "no file" not in c["message"] or "c_mem of table m" not in c["message"]:
    fail(f":memory:: {c} {calls}")
if conn.execute("PRAGMA ignore_check_constraints").fetchone()[0] != 0:
    fail(":memory:: ignore_check_constraints changed")
print("4. :memory:: ok -- " + c["message"])
PY

# 1, the shell: its sha3_query() runs any SQL, writefile() included.
cd "$work"
sqlite3 dbcare_shell.db "CREATE TABLE dbcare_evil (x INTEGER CHECK (x = 1 OR
  sha3_query('SELECT writefile' || '(''pwned'', ''x'')') IS NULL));
  PRAGMA ignore_check_constraints = ON; INSERT INTO dbcare_evil VALUES (2);"
rm -f pwned
out=$(sqlite3 -cmd ".load $mod" dbcare_shell.db \
  "SELECT json_extract(value, '\$.message') FROM json_each(dbhealth_report('full'), '\$.checks')
    WHERE json_extract(value, '\$.name') = 'integrity';" 2>&1) || true
[ ! -e pwned ] || fail "the integrity check ran sha3_query() of a dbcare_ table's CHECK: $out"
case "$out" in
  *'of table dbcare_evil'*) echo "1. dbcare_ table, shell: ok" ;;
  *) fail "the shell's report does not name the refused CHECK: $out" ;;
esac
