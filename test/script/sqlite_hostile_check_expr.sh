#!/usr/bin/env bash
# A hostile database file whose CHECK constraints call functions: the
# constraint checker pastes a CHECK expression into a statement of its own, at
# top level, where neither SQLITE_DIRECTONLY, PRAGMA trusted_schema = OFF nor a
# read-only open protect the caller. Only expressions made of SQLite's own
# built-in pure functions may be evaluated; every other one is reported as not
# checked, through dbcheck_constraints() and dbhealth_report('full'), and the
# function is never called.
#  1. Python (the system libsqlite3): the victim registers application
#     functions that record every call; none is called, the built-in
#     constraints (length, lower, abs, json_valid, LIKE, ->>) are counted as a
#     plain query counts them.
#  2. The same with the application overriding lower() and like(): a built-in
#     name whose live definition is not SQLite's own is not evaluated either.
#  3. The sqlite3 shell opened as the issue describes (-readonly, trusted_schema
#     OFF): the shell's own sha3_query() would run writefile(); no file appears.
#  4. The same file opened read-write: PRAGMA quick_check and integrity_check,
#     which the health report runs, evaluate every CHECK of a writable file
#     with neither trusted_schema = OFF nor SQLITE_DIRECTONLY in the way. The
#     report runs them on a read-only connection of its own (which evaluates
#     no CHECK) when a CHECK is refused, and says so;
#     no application or shell function is called (Python with SQLite's
#     default trusted_schema = ON, and the shell likewise: with it OFF this
#     file's json_valid() CHECK makes SQLite refuse the schema of a writable file).
set -eu
. "$(dirname "$0")/lib/sqlite.sh"

"$py" - "$mod" "$work" <<'PY'
import json, os, sqlite3, sys

mod, work = sys.argv[1], sys.argv[2]
path = os.path.join(work, "hostile.db")

def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)

# Constraint name -> expression. The builtin ones must be checked; the others
# call a function SQLite does not provide (or hide it behind quotes/comments).
BUILTIN = {
    "c_len": "length(s) <= 3",
    "c_lower": "lower(s) = s",
    "c_abs": "abs(n) < 10",
    "c_json": "json_valid(j)",
    "c_like": "s NOT LIKE 'z%'",
    "c_ptr": "CASE WHEN json_valid(j) THEN j ->> '$.a' END IS NOT 5",
    "c_text": "s <> 'spy(1)' /* spy(2) */ -- spy(3)\n",
}
HOSTILE = {
    "c_app": "x = 1 OR spy(x) IS NULL",
    "c_quoted": "x = 1 OR \"spy\" /* */ (x) IS NULL",
    "c_bracket": "x = 1 OR [spy](x) IS NULL",
    # the name of the inner call split from its "(" gets past a word filter
    "c_shell": "x = 1 OR sha3_query('SELECT writefile' || '(''pwned'', ''x'')') IS NULL",
}

# The attacker builds the file: its own stand-ins make the CHECKs valid, and
# PRAGMA ignore_check_constraints lets violating rows in without calling them.
b = sqlite3.connect(path, isolation_level=None)
b.create_function("spy", 1, lambda v: None)
b.create_function("sha3_query", 1, lambda v: None)
cons = ",\n".join(f"CONSTRAINT {n} CHECK ({e})" for n, e in {**BUILTIN, **HOSTILE}.items())
b.execute(f"CREATE TABLE h (id INTEGER PRIMARY KEY, x INTEGER, s TEXT, j TEXT, n INTEGER,\n{cons})")
b.execute("PRAGMA ignore_check_constraints = ON")
b.executemany("INSERT INTO h (x, s, j, n) VALUES (?, ?, ?, ?)", [
    (1, "ab", "{}", 1),
    (2, "ABCD", "nope", 20),
    (3, "zed", '{"a":5}', -30),
    (4, "spy(1)", "[]", 0),
])
# What a plain query counts for the builtin ones (no application function here).
plain = sqlite3.connect(path)
expected = {n: plain.execute(f"SELECT count(*) FROM h WHERE NOT ({e}\n)").fetchone()[0]
            for n, e in BUILTIN.items()}
plain.close()
b.close()
if any(v == 0 for v in expected.values()):
    fail(f"every builtin constraint should have a violation: {expected}")

ROWS = {"ab", "ABCD", "zed", "spy(1)", "z%"}

def victim(overrides, writable=False):
    calls = []
    conn = sqlite3.connect(f"file:{path}?mode={'rw' if writable else 'ro'}", uri=True,
                           isolation_level=None)
    # read-only as the issue describes; read-write with SQLite's defaults
    if not writable:
        conn.execute("PRAGMA trusted_schema = OFF")
    def recorder(name):
        return lambda *a: calls.append((name,) + a)
    def override(name):
        # dbcare's own catalog queries may use LIKE (the application's choice
        # of like() applies to them); only a call on the table's rows or the
        # CHECK's pattern would come from evaluating the constraint.
        return lambda *a: calls.append((name,) + a) if ROWS & set(a) else None
    conn.create_function("spy", 1, recorder("spy"))
    conn.create_function("sha3_query", 1, recorder("sha3_query"))
    for name, nargs in overrides:
        conn.create_function(name, nargs, override(name))
    conn.enable_load_extension(True)
    conn.load_extension(mod)
    return conn, calls

def check(label, overrides, not_checked):
    conn, calls = victim(overrides)
    rows = {r[1]: r for r in conn.execute(
        "SELECT table_name, constraint_name, kind, violations, sample FROM dbcheck_constraints('h')")}
    if calls:
        fail(f"{label}: dbcheck_constraints called application code: {calls}")
    for name in list(BUILTIN) + list(HOSTILE):
        r = rows.get(name)
        if r is None:
            fail(f"{label}: no row for {name}: {rows}")
        if name in not_checked:
            sample = json.loads(r[4])
            why = sample.get("not_checked") if isinstance(sample, dict) else None
            if r[3] is not None or not why or not_checked[name] not in why:
                fail(f"{label}: {name} should be not checked because of {not_checked[name]}: {r}")
        elif r[3] != expected[name]:
            fail(f"{label}: {name}: {r[3]} violations, a plain query counts {expected[name]}: {r}")
    report = json.loads(conn.execute("SELECT dbhealth_report('full')").fetchone()[0])
    if calls:
        fail(f"{label}: dbhealth_report('full') called application code: {calls}")
    cv = [c for c in report["checks"] if c["name"] == "constraint_violations"][0]
    if cv["status"] not in ("warning", "critical") \
            or f"; {len(not_checked)} not checked: c_app of table h" not in cv["message"]:
        fail(f"{label}: the health report hides the unchecked constraints: {cv}")
    conn.close()
    print(f"{label}: ok ({len(not_checked)} not checked) -- {cv['message']}")

def check_writable():
    conn, calls = victim([], writable=True)
    for mode in ("quick", "standard", "full"):
        report = json.loads(conn.execute(f"SELECT dbhealth_report('{mode}')").fetchone()[0])
        if calls:
            fail(f"writable file: dbhealth_report('{mode}') called application code: {calls}")
        integ = [c for c in report["checks"] if c["name"] == "integrity"]
        if mode != "quick" and (not integ or "CHECK constraints not evaluated" not in integ[0]["message"]
                                or "of table h" not in integ[0]["message"]):
            fail(f"writable file, {mode}: the integrity check does not say which CHECK it skipped: {integ}")
    for q in ("SELECT dbhealth_score()", "SELECT dbhealth_metrics()"):
        conn.execute(q).fetchall()
        if calls:
            fail(f"writable file: {q} called application code: {calls}")
    if conn.execute("PRAGMA ignore_check_constraints").fetchone()[0] != 0:
        fail("writable file: the report left ignore_check_constraints on")
    conn.close()
    print("writable file: ok, no CHECK evaluated by the pragmas")

hostile = {n: ("sha3_query" if n == "c_shell" else "spy") for n in HOSTILE}
check("application functions", [], hostile)
check("overridden builtins", [("lower", 1), ("like", 2)],
      {**hostile, "c_lower": "lower", "c_like": "like"})
check_writable()
PY

# 3. The shell's own sha3_query runs any SQL, writefile() included.
cd "$work"
out=$(sqlite3 -readonly -cmd ".load $mod" -cmd "PRAGMA trusted_schema = OFF" hostile.db \
  "SELECT constraint_name, violations, sample FROM dbcheck_constraints WHERE constraint_name = 'c_shell';
   SELECT json_extract(value, '\$.message') FROM json_each(dbhealth_report('full'), '\$.checks')
    WHERE json_extract(value, '\$.name') = 'constraint_violations';" 2>&1) || true
echo "$out"
if [ -e pwned ]; then
  echo "FAIL: the shell's sha3_query ran writefile() through a CHECK constraint"
  exit 1
fi
case "$out" in
  *'c_shell||{"not_checked":'*sha3_query*'not checked'*) echo "shell: ok" ;;
  *) echo "FAIL: the shell does not report c_shell as not checked"; exit 1 ;;
esac

# 4. The shell on the same file opened read-write: the report's pragma must not
# evaluate the CHECK that calls sha3_query().
rm -f pwned
out=$(sqlite3 -cmd ".load $mod" hostile.db \
  "SELECT json_extract(value, '\$.message') FROM json_each(dbhealth_report(), '\$.checks')
    WHERE json_extract(value, '\$.name') = 'integrity';" 2>&1) || true
echo "$out"
if [ -e pwned ]; then
  echo "FAIL: the health report's quick_check ran sha3_query() of a CHECK constraint"
  exit 1
fi
case "$out" in
  *'CHECK constraints not evaluated'*) echo "shell, writable: ok" ;;
  *) echo "FAIL: the shell's report does not say the CHECKs were skipped"; exit 1 ;;
esac
