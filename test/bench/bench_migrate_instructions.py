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
import re
import shutil
import subprocess

from bench_migrate import N, down, migration
from benchlib import MODULE, QUICK, sqlite_connect

TARGET = 1.15
COLLECTED = re.compile(r"Collected\s*:\s*([\d,]+)")


def callgrind(cmd, out, stdin=None, toggles=(), user=None):
    """Instructions callgrind counts for cmd (only inside the toggle
    functions when given)."""
    vg = ["valgrind", "--tool=callgrind", "--dump-instr=no", f"--callgrind-out-file={out}"]
    vg += [f"--toggle-collect={t}" for t in toggles]
    with open(stdin) if stdin else open(os.devnull) as f:
        p = subprocess.run((user or []) + vg + cmd, stdin=f, capture_output=True, text=True)
    m = COLLECTED.search(p.stderr)
    if p.returncode != 0 or not m:
        raise RuntimeError(f"callgrind of {cmd[0]} failed: {p.stderr[-800:]}")
    return int(m.group(1).replace(",", ""))


def add_row(b, engine, raw, dbcare, how):
    ratio = dbcare / raw
    size = f"{N} migrations"
    b.add("migrate", engine, size, "raw SQL, one transaction: instructions", None, 1,
          ratio=1.0, ref="raw instructions", note=f"{raw / 1e6:,.0f} M instructions")
    # the target is set for 1,000 migrations; quick mode's 200 weigh each
    # call's fixed cost five times as much
    verdict = {} if QUICK else dict(target=f"≤ {TARGET}× raw", met=ratio <= TARGET)
    b.add("migrate", engine, size, "dbcare dbmigrate_apply(): instructions", None, 1,
          ratio=ratio, ref="raw instructions", note=f"{dbcare / 1e6:,.0f} M instructions; {how}",
          **verdict)


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
    raw = callgrind(["sqlite3", "-batch", os.path.join(d, "raw.db")], out, stdin=raw_sql)
    shell = callgrind(["sqlite3", "-batch", os.path.join(d, "empty.db"), "SELECT 1;"], out)
    loaded = callgrind(["sqlite3", "-batch", "-cmd", f".load {MODULE}", os.path.join(d, "base.db"),
                        "SELECT 1;"], out)
    apply = callgrind(["sqlite3", "-batch", "-cmd", f".load {MODULE}", app,
                       "SELECT dbmigrate_apply();"], out)
    add_row(b, "sqlite", raw - shell, apply - loaded,
            "sqlite3 shell, its start-up and the module's loading subtracted")


def pg_counts(b, d):
    pg = b.pg
    as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    postgres = os.path.join(pg.bin, "postgres")
    data = os.path.join(d, "data")
    with open(os.path.join(d, "raw.sql"), "w") as f:
        f.write("BEGIN;\n" + "".join(migration(i) for i in range(1, N + 1)) + "COMMIT;\n\n")
    with open(os.path.join(d, "setup.sql"), "w") as f:
        f.write("CREATE EXTENSION dbcare;\n\nBEGIN;\n\n")
        for i in range(1, N + 1):
            f.write(f"SELECT dbmigrate_add('{i}', 'm{i:05d}', $m${migration(i)}$m$, "
                    f"$m${down(i)}$m$);\n\n")
        f.write("COMMIT;\n\n")
    with open(os.path.join(d, "apply.sql"), "w") as f:
        f.write("SELECT dbmigrate_apply() IS NOT NULL;\n\n")
    with open(os.path.join(d, "dbs.sql"), "w") as f:
        f.write("CREATE DATABASE rawdb\nCREATE DATABASE dbc\n")
    if as_pg:
        shutil.chown(d, "postgres")
        for name in os.listdir(d):
            shutil.chown(os.path.join(d, name), "postgres")

    def single(db, script, extra=()):
        with open(os.path.join(d, script)) as f:
            subprocess.run(as_pg + [postgres, "--single", *extra, "-D", data, db], stdin=f,
                           check=True, capture_output=True)

    subprocess.run(as_pg + [os.path.join(pg.bin, "initdb"), "-D", data, "-U", "postgres",
                            "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"],
                   check=True, capture_output=True)
    single("postgres", "dbs.sql")
    single("dbc", "setup.sql", ["-j"])
    out = os.path.join(d, "cg.out")
    run = ["PortalRun", "CommitTransactionCommand"]
    apply = callgrind([postgres, "--single", "-j", "-D", data, "dbc"], out,
                      stdin=os.path.join(d, "apply.sql"), toggles=run, user=as_pg)
    raw = callgrind([postgres, "--single", "-j", "-D", data, "rawdb"], out,
                    stdin=os.path.join(d, "raw.sql"), user=as_pg,
                    toggles=run + ["pg_parse_query", "pg_analyze_and_rewrite_fixedparams",
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
