"""bench_audit_designs.py — what SQLite's audit could cost in the sqlite3
shell under other designs, counted in instructions (valgrind) beside the
design shipped and the hand-written anchor, in the same run: one-row
INSERTs in one transaction, each statement prepared anew as the shell
prepares it. SQLite compiles every trigger of a table, and every trigger
those fire, into each statement it prepares, whether their WHEN holds or
not; these sides say how much of the audited statement that is, and what
no design keeping a shared trigger for connections without dbcare can
reach (issue 63's "at or below the hand-written trigger in the shell").

Sides, each a file made in Python with the module loaded, then the
writes in the shell (module loaded on every side; a run with no rows is
subtracted):
- not audited;
- the hand-written trigger writing dbcare's log columns with its row
  index (bench_audit's SHAPE_HAND_INDEXED);
- audited by dbcare, as shipped (audit_sql.c: the TEMP trigger writes the
  entry; the shared trigger inserts into its pending view);
- the same with the pending view's trigger writing its entry without the
  pending form's expressions (typeof, hex, quote of each column): what
  those cost the prepare;
- the same with the shared trigger writing the row into a table of its
  own (no view, no index, no trigger): the smallest shared trigger;
- dbcare's TEMP trigger alone, with no shared trigger on the table: the
  floor of the TEMP trigger, which would leave the writes of connections
  without dbcare unaudited.
The prototypes keep the shared trigger's WHEN and token, so the TEMP
trigger writes every entry on each side (checked after each run)."""
import os
import re
import shutil
import sqlite3

from bench_audit import SHAPE_HAND_INDEXED
from benchlib import MODULE, QUICK, TX_ONE
from instructions import count_instructions

ROWS = 500 if QUICK else 2000
TABLE = "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER, name TEXT, at TEXT)"
PENDING_VIEW = "dbcare_audit_pending_insert_t"
SHARED = "dbcare_audit_insert_t"

SIDES = [("plain", "not audited"),
         ("hand_indexed", "hand-written trigger, dbcare's log and row index"),
         ("dbcare", "audited by dbcare"),
         ("bare_pending", "dbcare, its pending entry without the pending form's expressions"),
         ("own_table", "dbcare, its shared trigger writing a table of its own"),
         ("temp_only", "dbcare's TEMP trigger alone, no shared trigger")]


def token_of(c):
    sql = c.execute("SELECT sql FROM sqlite_schema WHERE type = 'trigger' AND name = ?",
                    (SHARED,)).fetchone()[0]
    return re.search(r"'(dbcare-direct:[0-9a-f]{16})'", sql).group(1)


def prototype_sql(side, marker):
    """The DDL turning the shipped design into side's prototype."""
    when = f"WHEN NOT sqlite_compileoption_used('{marker}')"
    if side == "bare_pending":
        return (f'DROP TRIGGER "{PENDING_VIEW}"; CREATE TRIGGER "{PENDING_VIEW}" INSTEAD OF INSERT'
                f' ON "{PENDING_VIEW}" BEGIN INSERT INTO dbcare_audit_log (at, txid, operation,'
                " table_name, key, old_values, new_values) VALUES ('', 0, 'insert', 't', NEW.n1,"
                " NULL, NEW.n2); INSERT INTO dbcare_audit_written (id) VALUES (last_insert_rowid());"
                " END;")
    if side == "own_table":
        return (f'CREATE TABLE own_pending (op, c1, c2, c3, c4); DROP TRIGGER "{SHARED}";'
                f' CREATE TRIGGER "{SHARED}" AFTER INSERT ON t {when} BEGIN INSERT INTO own_pending'
                " VALUES ('insert', NEW.id, NEW.v, NEW.name, NEW.at); END;")
    if side == "temp_only":
        # the token stays live (the TEMP trigger reads the shared triggers'
        # tokens from main's schema) on a trigger of another table
        return (f'DROP TRIGGER "{SHARED}"; CREATE TABLE stand_in (x);'
                f" CREATE TRIGGER stand_in_insert AFTER INSERT ON stand_in {when}"
                " BEGIN SELECT 1; END;")
    return ""


def make_file(path, side):
    for suffix in ("", "-journal"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    c = sqlite3.connect(path, isolation_level=None)
    c.enable_load_extension(True)
    c.load_extension(MODULE)
    c.execute(TABLE)
    if side == "hand_indexed":
        c.executescript(SHAPE_HAND_INDEXED)
    elif side != "plain":
        c.execute("SELECT dbaudit_enable('t')").fetchall()
        c.executescript(prototype_sql(side, token_of(c)))
    c.close()


def written(path, side):
    """Whether the run wrote what its side writes: every row, and on an
    audited side each row's finished entry (a transaction id)."""
    c = sqlite3.connect(path)  # without dbcare: nothing is completed here
    try:
        rows = c.execute("SELECT count(*) FROM t").fetchone()[0]
        if side == "plain":
            return rows
        if side == "hand_indexed":
            return min(rows, c.execute("SELECT count(*) FROM hand_log").fetchone()[0])
        return min(rows, c.execute("SELECT count(*) FROM dbcare_audit_log WHERE table_name = 't'"
                                   " AND txid > 0").fetchone()[0])
    finally:
        c.close()


def instructions_a_row(b, side):
    d = b.path(f"designs_{side}")
    os.makedirs(d, exist_ok=True)
    counts = []
    for n in (ROWS, 0):
        path = os.path.join(d, "app.db")
        make_file(path, side)
        script = os.path.join(d, "writes.sql")
        with open(script, "w") as f:
            f.write(f".load {MODULE}\nBEGIN;\n")
            f.writelines(f"INSERT INTO t VALUES ({i}, {i % 100}, 'name {i}', '2026-01-01');\n"
                         for i in range(1, n + 1))
            f.write("COMMIT;\n")
        counts.append(count_instructions(["sqlite3", "-batch", "-bail", path],
                                         os.path.join(d, "cg.out"), stdin=script))
        if written(path, side) != n:
            raise RuntimeError(f"the audit design {side} wrote {written(path, side)} of {n} rows"
                               " with their entries")
    shutil.rmtree(d, ignore_errors=True)
    return (counts[0] - counts[1]) / ROWS


def run(b):
    if not shutil.which("valgrind") or not shutil.which("sqlite3"):
        b.skip("audit designs", "valgrind and the sqlite3 shell are needed")
        return
    ir = {side: instructions_a_row(b, side) for side, _ in SIDES}
    label = "one-row INSERTs in one transaction, sqlite3 shell"
    for side, name in SIDES:
        b.add("audit designs", "sqlite", f"{ROWS:,} rows", f"{label}, {name}: instructions", None, 1,
              ratio=ir[side] / ir["plain"], ref=f"{label}, not audited: instructions", tx=TX_ONE,
              note=f"{ir[side] / 1e3:,.1f} k instructions a row; "
                   f"{ir[side] / ir['hand_indexed']:.2f}× the hand-written trigger")
