"""bench_audit_instructions.py — PostgreSQL trigger mode against its
hand-written anchors, counted in instructions (valgrind's callgrind), which
do not move with the shared machine's load as `audit`'s CPU ratios do
(issue 54): a single-user backend on a scratch data directory of the
cluster's build runs each statement once, and a backend that runs `SELECT 1`
is subtracted (start-up and shut-down).

Sides, each an `INSERT ... SELECT` of ROWS rows, then an `UPDATE` of them
all (two columns changed), in backends of their own:
- the table not audited;
- audited by dbcare (trigger mode);
- audited by the hand-written PL/pgSQL statement trigger of `audit`
  (transition tables, one INSERT ... SELECT per statement) into a log with
  dbcare's indexes (primary key, a row's history, BRIN on the time);
- the same trigger into a log with its primary key alone: the best
  hand-written trigger measured, with no index to find a row's history or
  a time range by;
- the floors (test/bench/audit_floor.c, built into the bench cluster only):
  a C statement trigger that writes one tuple a row into a log made like
  dbcare.audit_log with the table access method's multi-insert and hands
  each index its entries directly, in the cheapest order a B-tree has,
  with a constant row image, no sequence, no hash: into a log with no
  index, with its primary key alone, and with dbcare's indexes. No design
  that writes such a log pays less; a target below the last is out of
  reach of any writer of dbcare's log with its indexes (INSERT only: the
  floor trigger logs inserts)."""
import os
import shutil

from bench_audit import HAND_STATEMENT_TRIGGER
from benchlib import QUICK, TX_ONE
from instructions import SingleUser, write

ROWS = 2000 if QUICK else 20000
TARGET = 2.6  # issue 54: bulk INSERT audited in trigger mode


def hand_pk_only():
    """HAND_STATEMENT_TRIGGER into a log of its own with its primary key alone."""
    sql = HAND_STATEMENT_TRIGGER.replace("hand_log", "hand_pk_log").replace("hand_audit",
                                                                           "hand_pk_audit")
    kept = [line for line in sql.splitlines() if not line.startswith("CREATE INDEX")]
    assert len(kept) == len(sql.splitlines()) - 2, "the hand trigger's indexes moved"
    return "\n".join(kept)


def statement_trigger(table, function):
    return (f"CREATE TRIGGER {table}_insert AFTER INSERT ON {table} REFERENCING NEW TABLE AS "
            f"new_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}();\n\n"
            f"CREATE TRIGGER {table}_update AFTER UPDATE ON {table} REFERENCING OLD TABLE AS "
            f"old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}()")


SIDES = [("plain", "not audited"), ("audited", "dbcare, trigger mode"),
         ("hand", "hand statement trigger, dbcare's indexes"),
         ("hand_pk", "hand statement trigger, primary key alone")]
# the floors' logs: (side, how the log is made, what the row says)
FLOORS = [("floor", "", "floor (C): the log's tuples alone, no index"),
          ("floor_pk", " INCLUDING CONSTRAINTS", "floor (C): the log's tuples, primary key alone"),
          ("floor_ix", " INCLUDING INDEXES", "floor (C): the log's tuples and dbcare's indexes")]


def floor_setup():
    sql = ["CREATE FUNCTION audit_floor_trigger() RETURNS trigger"
           " AS '$libdir/dbcare_bench_audit_floor' LANGUAGE C"]
    for t, like, _ in FLOORS:
        sql.append(f"CREATE TABLE {t}_log (LIKE dbcare.audit_log{like})")
        if t == "floor_pk":
            sql.append(f"ALTER TABLE {t}_log ADD PRIMARY KEY (id)")
        sql.append(f"CREATE TRIGGER {t}_insert AFTER INSERT ON {t} REFERENCING NEW TABLE AS new_rows"
                   f" FOR EACH STATEMENT EXECUTE FUNCTION audit_floor_trigger('{t}_log')")
    return sql


def run(b):
    if not shutil.which("valgrind"):
        b.skip("audit instructions", "valgrind is not installed")
        return
    if b.pg is None or not b.pg.dbcare:
        b.skip("audit instructions", "no PostgreSQL cluster with dbcare")
        return
    d = os.path.join(b.work, "ir_audit")
    os.makedirs(d)
    # single-user mode with -j ends a statement at a semicolon and a blank line
    setup = ["CREATE EXTENSION dbcare"]
    setup += [f"CREATE TABLE {t} (id int PRIMARY KEY, v int NOT NULL, name text, at timestamptz)"
              for t in [t for t, _ in SIDES] + [t for t, _, _ in FLOORS]]
    setup += ["SELECT dbaudit_enable('audited')", HAND_STATEMENT_TRIGGER.strip().rstrip(";"),
              hand_pk_only().strip().rstrip(";"), statement_trigger("hand", "hand_audit"),
              statement_trigger("hand_pk", "hand_pk_audit"), *floor_setup(), "CHECKPOINT"]
    write(d, "setup.sql", ";\n\n".join(setup) + ";\n\n")
    write(d, "none.sql", "SELECT 1;\n\n")
    for t in [t for t, _ in SIDES] + [t for t, _, _ in FLOORS]:
        write(d, f"insert_{t}.sql", f"INSERT INTO {t} SELECT g, g % 100, 'name ' || g, now()"
                                    f" FROM generate_series(1, {ROWS}) g;\n\n")
        write(d, f"update_{t}.sql", f"UPDATE {t} SET v = v + 1, name = name || '!';\n\n")
    pg = SingleUser(b.pg, d, ["a"], setup_db="a")

    def backend(script):
        return pg.count("a", script)

    base = backend("none.sql")
    size = f"{ROWS:,} rows"
    for op in ("insert", "update"):
        # each side's UPDATE finds the rows its INSERT left
        sides = SIDES + ([(t, name) for t, _, name in FLOORS] if op == "insert" else [])
        counts = {t: backend(f"{op}_{t}.sql") - base for t, _ in sides}
        ref = f"bulk {op.upper()}, not audited: instructions"
        for t, name in sides:
            ratio = counts[t] / counts["plain"]
            verdict = {}
            if t == "audited" and op == "insert":
                verdict = dict(target=f"≤ {TARGET}× no audit", met=ratio <= TARGET)
            note = f"{counts[t] / ROWS / 1e3:,.1f} k instructions a row"
            if t != "plain":
                note += f"; {counts[t] / counts['audited']:.2f}× dbcare's"
            b.add("audit instructions", "postgresql", size, f"bulk {op.upper()}, {name}: instructions",
                  None, 1, ratio=ratio, ref=ref, note=note, tx=TX_ONE, **verdict)
    shutil.rmtree(d, ignore_errors=True)
