"""bench_migrate_instructions.py — the apply target counted in instructions
(valgrind's callgrind) as well as timed: dbcare's apply of the generated
migrations against the same SQL raw in one transaction, on both engines.

Why: on this kind of shared 2-core machine the wall and CPU ratios of the
apply pair move by ±10 % between runs of the same build (docs/benchmarks.md),
more than the target's margin. An instruction count does not move: each side
runs once, under callgrind, in a process of its own.

- SQLite: the sqlite3 shell on both sides. Raw runs the script; dbcare runs
  SELECT dbmigrate_apply() on a database where dbmigrate_add registered the
  migrations beforehand. The shell's start-up (and, for dbcare, loading the
  module) is counted alone and subtracted.
- PostgreSQL: a single-user backend (no client, no other process) on a
  scratch data directory of the cluster's own build. Collected: for raw,
  parsing, analysis, planning, execution and the commit of the script; for
  dbcare, execution and the commit of SELECT dbmigrate_apply() (which
  parses and plans its statements inside).
"""
import os
import shutil

from bench_migrate import N, down, migration
from benchlib import MODULE, QUICK, TX_ONE, sqlite_connect
from instructions import SingleUser, count_instructions, write

# its figures are rows of bench "migrate" (benchlib.row_module)
ROWS_OF = "migrate"
TARGET = 1.15
def add_row(b, engine, raw, dbcare, how):
    ratio = dbcare / raw
    size = f"{N} migrations"
    b.add("migrate", engine, size, "raw SQL, one transaction: instructions", None, 1,
          ratio=1.0, ref="raw instructions", note=f"{raw / 1e6:,.0f} M instructions", tx=TX_ONE)
    # the target is set for 1,000 migrations; quick mode's 200 weigh each
    # call's fixed cost five times as much
    verdict = {} if QUICK else dict(target=f"≤ {TARGET}× raw", met=ratio <= TARGET)
    b.add("migrate", engine, size, "dbcare dbmigrate_apply(): instructions", None, 1,
          ratio=ratio, ref="raw instructions", note=f"{dbcare / 1e6:,.0f} M instructions; {how}",
          tx=TX_ONE, **verdict)


def sqlite_counts(b, d):
    raw_sql = os.path.join(d, "raw.sql")
    with open(raw_sql, "w") as f:
        f.write("BEGIN;\n" + "".join(migration(i) for i in range(1, N + 1)) + "COMMIT;\n")
    app = os.path.join(d, "app.db")
    c = sqlite_connect(app)
    c.execute("BEGIN")
    for i in range(1, N + 1):
        c.execute("SELECT dbmigrate_add(?, ?, ?, ?)", (str(i), f"m{i:05d}", migration(i), down(i)))
    c.execute("COMMIT")
    c.close()
    out = os.path.join(d, "cg.out")
    raw = count_instructions(["sqlite3", "-batch", os.path.join(d, "raw.db")], out, stdin=raw_sql)
    shell = count_instructions(["sqlite3", "-batch", os.path.join(d, "empty.db"), "SELECT 1;"], out)
    loaded = count_instructions(["sqlite3", "-batch", "-cmd", f".load {MODULE}",
                                 os.path.join(d, "base.db"), "SELECT 1;"], out)
    apply = count_instructions(["sqlite3", "-batch", "-cmd", f".load {MODULE}", app,
                                "SELECT dbmigrate_apply();"], out)
    add_row(b, "sqlite", raw - shell, apply - loaded,
            "sqlite3 shell, its start-up and the module's loading subtracted")


def pg_counts(b, d):
    write(d, "raw.sql", "BEGIN;\n" + "".join(migration(i) for i in range(1, N + 1)) + "COMMIT;\n\n")
    write(d, "setup.sql", "CREATE EXTENSION dbcare;\n\nBEGIN;\n\n" + "".join(
        f"SELECT dbmigrate_add('{i}', 'm{i:05d}', $m${migration(i)}$m$, $m${down(i)}$m$);\n\n"
        for i in range(1, N + 1)) + "COMMIT;\n\n")
    write(d, "apply.sql", "SELECT dbmigrate_apply() IS NOT NULL;\n\n")
    pg = SingleUser(b.pg, d, ["rawdb", "dbc"], setup_db="dbc")
    run = ["PortalRun", "CommitTransactionCommand"]
    apply = pg.count("dbc", "apply.sql", toggles=run)
    raw = pg.count("rawdb", "raw.sql", toggles=run + ["pg_parse_query",
                                                      "pg_analyze_and_rewrite_fixedparams",
                                                      "pg_plan_queries"])
    add_row(b, "postgresql", raw, apply, "single-user backend, statements and commit counted")


def run(b):
    if not shutil.which("valgrind"):
        b.skip("migrate instructions", "valgrind is not installed")
        return
    d = os.path.join(b.work, "ir_sqlite")
    os.makedirs(d)
    sqlite_counts(b, d)
    if b.pg is None or not b.pg.dbcare:
        b.skip("migrate instructions (PostgreSQL)", "no PostgreSQL cluster with dbcare")
        return
    d = os.path.join(b.work, "ir_pg")
    os.makedirs(d)
    pg_counts(b, d)
