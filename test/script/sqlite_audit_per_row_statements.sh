#!/usr/bin/env bash
# An audited write costs no statement of dbcare's own per row (issue 63):
# the TEMP triggers' check that no TEMP table or view shadows the log
# (dbaudit_direct) once ran a query on temp.sqlite_schema for every row,
# because its memo lived in auxiliary data a trigger program's frame drops.
# Counted, not timed: Python's trace callback (sqlite3_trace_v2) sees every
# statement the module runs inside a write, as "-- SQL". A bulk INSERT, a
# bulk UPDATE and a prepared INSERT of 300 rows must run no more of them
# than the same of 10 rows.
#
# The answer remembered must still follow the temp schema: a TEMP table or
# view named like the log, made after audited writes on the connection
# (committed, or inside the transaction that writes), never receives an
# entry; every entry lands in main's log; dropped again, the TEMP triggers
# write again (no pending entry left).
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
db=$work/rows.db
"$py" - "$module" "$db" <<'PY' || fail "see above"
import sqlite3, sys
module, path = sys.argv[1], sys.argv[2]
c = sqlite3.connect(path, isolation_level=None)
c.enable_load_extension(True)
c.load_extension(module)
c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER, name TEXT)")
c.execute("SELECT dbaudit_enable('t')")
bad = []

def nested(sql, params=None, many=None):
    """The statements the module ran inside sql (trace lines "-- ...")."""
    seen = []
    c.set_trace_callback(seen.append)
    try:
        if many is not None:
            c.execute("BEGIN")
            c.executemany(sql, many)
            c.execute("COMMIT")
        else:
            c.execute(sql, params or ())
    finally:
        c.set_trace_callback(None)
    return [s for s in seen if s.startswith("-- ")]

def rows(lo, hi):
    return (f"INSERT INTO t WITH RECURSIVE g(i) AS (SELECT {lo} UNION ALL SELECT i + 1 FROM g"
            f" WHERE i < {hi}) SELECT i, i % 7, 'name ' || i FROM g")

nested(rows(1, 5))  # the first write reads the triggers' tokens
shapes = [
    ("bulk INSERT", lambda: nested(rows(101, 110)), lambda: nested(rows(1001, 1300))),
    ("bulk UPDATE", lambda: nested("UPDATE t SET v = v + 1 WHERE id BETWEEN 101 AND 110"),
     lambda: nested("UPDATE t SET v = v + 1 WHERE id BETWEEN 1001 AND 1300")),
    ("prepared INSERT in one transaction",
     lambda: nested("INSERT INTO t VALUES (?, ?, ?)", many=[(i, i, "p") for i in range(2001, 2011)]),
     lambda: nested("INSERT INTO t VALUES (?, ?, ?)", many=[(i, i, "p") for i in range(3001, 3301)])),
]
for label, small, large in shapes:
    few, many = small(), large()
    if len(many) > len(few):
        per_row = sorted(set(many) - set(few)) or sorted(set(many))
        bad.append(f"{label}: 300 rows ran {len(many)} statements of dbcare's, 10 rows "
                   f"{len(few)}; per row: {per_row[:3]}")

count = "SELECT count(*) FROM main.dbcare_audit_log WHERE table_name = 't' AND new_values LIKE ?"

def shadow_case(label, make, drop, in_txn):
    tag = f"shadow {label}"
    if in_txn:
        c.execute("BEGIN")
        c.execute("INSERT INTO t (v, name) VALUES (1, ?)", (tag + " before",))
        for stmt in make:
            c.execute(stmt)
    else:
        c.execute("INSERT INTO t (v, name) VALUES (1, ?)", (tag + " before",))
        for stmt in make:
            c.execute(stmt)
    c.execute("INSERT INTO t (v, name) VALUES (2, ?)", (tag + "/i",))
    c.execute("UPDATE t SET name = ? WHERE name = ?", (tag + "/u", tag + "/i"))
    if in_txn:
        c.execute("COMMIT")
    kind = c.execute("SELECT type FROM temp.sqlite_schema WHERE name = 'dbcare_audit_log'").fetchone()
    if kind and kind[0] == "table":
        n = c.execute("SELECT count(*) FROM temp.dbcare_audit_log").fetchone()[0]
        if n:
            bad.append(f"{label}: {n} entries went into the TEMP table")
    got = sum(c.execute(count, (f'%"{tag}/{op}"%',)).fetchone()[0] for op in "iu")
    if got != 2:
        bad.append(f"{label}: main's log holds {got} entries of the shadowed writes, expected 2")
    c.execute(drop)
    after = tag + " dropped"
    c.execute("INSERT INTO t (v, name) VALUES (4, ?)", (after,))
    got = c.execute(count, (f'%"{after}"%',)).fetchone()[0]
    if got != 1:
        bad.append(f"{label}: after the DROP main's log holds {got} entries, expected 1")

table = ["CREATE TEMP TABLE dbcare_audit_log AS SELECT * FROM main.dbcare_audit_log WHERE 0"]
# a view takes INSERTs only through an INSTEAD OF trigger: this one drops them
view = ["CREATE TEMP VIEW dbcare_audit_log AS SELECT * FROM main.dbcare_audit_log WHERE 0",
        "CREATE TEMP TRIGGER drop_entries INSTEAD OF INSERT ON dbcare_audit_log BEGIN SELECT 1; END"]
shadow_case("TEMP table, committed", table, "DROP TABLE temp.dbcare_audit_log", False)
shadow_case("TEMP table, same transaction", table, "DROP TABLE temp.dbcare_audit_log", True)
shadow_case("TEMP view, committed", view, "DROP VIEW temp.dbcare_audit_log", False)
# a shadow made and rolled back: the connection writes through its TEMP
# triggers again, finished entries
c.execute("BEGIN")
c.execute(table[0])
c.execute("ROLLBACK")
c.execute("INSERT INTO t (v, name) VALUES (5, 'after rollback')")
got = c.execute(count, ('%"after rollback"%',)).fetchone()[0]
if got != 1:
    bad.append(f"after a rolled-back shadow main's log holds {got} entries, expected 1")
pending = c.execute("SELECT count(*) FROM main.dbcare_audit_log WHERE txid <= 0").fetchone()[0]
if pending:
    bad.append(f"{pending} entries were left pending")
broken = c.execute("SELECT broken_id, problem FROM dbaudit_verify"
                   " WHERE broken_id IS NOT NULL OR problem IS NOT NULL").fetchall()
if broken:
    bad.append(f"the log's chain does not verify: {broken}")
if bad:
    print("FAIL: " + "\n  ".join(bad))
    sys.exit(1)
PY
echo "no statement of dbcare's runs per audited row; TEMP shadows made later still write nothing"
