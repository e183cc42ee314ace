"""bench_generate.py — dbmigrate_generate() against a 300-table schema
(the schema of bench_schema.py on SQLite, the health bench's fixture on
PostgreSQL): the desired schema is the same tables with a column added to
every tenth, an index on every tenth and one new table, read, diffed,
planned and proved (applied and undone on the scratch place) in the call.
Targets: under two seconds, and in CPU time at most 3x (SQLite) and 1.2x
(PostgreSQL) the build of the desired schema once (its SQL run in a new
in-memory database; in a new schema of a transaction rolled back), both
ratios measured in the same run, rounds alternating. The anchor on PostgreSQL is migra (its
TypeScript port @pgkit/migra, installed by setup_peers.sh): a diff of two
databases, timed as a process on the same pair of schemas, the desired one
made in a database of its own beforehand (not timed). Atlas, pg-schema-diff
and sqldef are not installable from this machine's package registries."""
import os
import sqlite3
import subprocess

from bench_health import make_pg_tables
from bench_schema import make_schema

import benchlib
from benchlib import BUILD, REPS, median, pg_usable, sqlite_connect, timed, timed_cpu

# the transaction mode of every row that does not state its own
TX = benchlib.TX_CALL

MIGRA = os.path.join(BUILD, "node_modules", ".bin", "migra")

TABLES = 300


def desired_sqlite(n):
    out = []
    for i in range(n):
        ref = f"t{i - 1:05d}" if i else f"t{i:05d}"
        extra = ", d TEXT" if i % 10 == 0 else ""
        out.append(f"CREATE TABLE t{i:05d} (id INTEGER PRIMARY KEY, a TEXT NOT NULL,"
                   f" b INTEGER REFERENCES {ref}(id), c REAL DEFAULT 0{extra}, UNIQUE (a));")
        out.append(f"CREATE INDEX t{i:05d}_b ON t{i:05d}(b);")
        if i % 10 == 5:
            out.append(f"CREATE INDEX t{i:05d}_c ON t{i:05d}(c);")
    out.append("CREATE TABLE added (id INTEGER PRIMARY KEY, t INTEGER REFERENCES t00000(id));")
    return "\n".join(out)


def desired_pg(n):
    out = []
    for i in range(n):
        ref = 0 if i == 0 else i - 1
        extra = ", d text" if i % 10 == 0 else ""
        out.append(f"CREATE TABLE t{i} (id integer PRIMARY KEY, a text NOT NULL UNIQUE,"
                   f" b integer REFERENCES t{ref} (id), c real DEFAULT 0{extra});")
        out.append(f"CREATE INDEX t{i}_b ON t{i} (b);")
        if i % 10 == 5:
            out.append(f"CREATE INDEX t{i}_c ON t{i} (c);")
    out.append("CREATE TABLE added (id integer PRIMARY KEY, t integer REFERENCES t0 (id));")
    return "\n".join(out)


def add_row(b, engine, times, steps, cpu=None):
    ms = median(times)
    note = f"{steps} steps, proved"
    if cpu:
        note += f"; backend CPU {median(cpu):.0f} ms"
    b.add("generate", engine, f"{TABLES} tables", "dbmigrate_generate()", ms, len(times),
          target="< 2000 ms", met=ms < 2000, note=note)


def add_ratio(b, engine, build_cpu, gen_cpu, limit):
    """Generation against building the desired schema once, in CPU time."""
    build, gen = median(build_cpu), median(gen_cpu)
    b.add("generate", engine, f"{TABLES} tables", "build of the desired schema (CPU)", build,
          len(build_cpu), ratio=1.0, ref="build")
    b.add("generate", engine, f"{TABLES} tables", "dbmigrate_generate() (CPU)", gen, len(gen_cpu),
          ratio=gen / build, ref="build", target=f"≤ {limit}× build", met=gen / build <= limit,
          note="CPU time; rounds of the two alternating")


def run_pg(b):
    pg = b.pg
    db = pg.fresh_db("gen", ("dbcare",))
    s = pg.session(db)
    make_pg_tables(s, TABLES)
    sql = f"SELECT count(*) FROM dbmigrate_generate($d${desired_pg(TABLES)}$d$)"
    # the desired SQL run once in a schema of its own, rolled back
    build = (f"BEGIN; CREATE SCHEMA dbcare_bench_build; SET LOCAL search_path = dbcare_bench_build;"
             f" {desired_pg(TABLES)} ROLLBACK")
    steps = s.value(sql)
    s.exec(build)
    pid = int(s.value("SELECT pg_backend_pid()"))
    runs, builds = [], []
    for _ in range(max(7, REPS)):
        runs.append(s.timed_with_cpu(sql, pid))
        builds.append(s.timed_with_cpu(build, pid))
    s.close()
    # the backend's CPU time too: the wall time carries the machine's load
    cpu = [c for _, c in runs if c is not None]
    add_row(b, "postgresql", [ms for ms, _ in runs], steps, cpu)
    build_cpu = [c for _, c in builds if c is not None]
    if cpu and build_cpu:
        add_ratio(b, "postgresql", build_cpu, cpu, 1.2)
    if os.path.exists(MIGRA):
        run_migra(b, db, len(runs))
    else:
        b.skip("generate (migra, PostgreSQL)", "migra could not be installed (npm); its row is left out")
    pg.drop_db(db)


def run_migra(b, live_db, reps):
    """migra's diff from the live database to one made from the desired SQL
    (dbcare installed in both, its schema left out of the diff)."""
    pg = b.pg
    want = pg.fresh_db("genwant", ("dbcare",))
    s = pg.session(want)
    s.exec(desired_pg(TABLES))
    s.close()
    cmd = [MIGRA, "run", pg.url(live_db), pg.url(want), "--unsafe", "--exclude-schema", "dbcare"]

    def diff():
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode not in (0, 2):  # 2: differences found (migra's convention)
            raise RuntimeError("migra failed: " + (r.stderr or r.stdout)[:300])
        return r.stdout

    statements = diff().count(";")
    times = [timed(diff) * 1000.0 for _ in range(reps)]
    pg.drop_db(want)
    b.add("generate", "postgresql", f"{TABLES} tables", "migra diff (@pgkit/migra)", median(times),
          len(times), note=f"{statements} statements; a process diffing two databases, the desired one "
          "made beforehand: no proof, no lock-safe forms, no row counts")


def run(b):
    if pg_usable(b, "generate (PostgreSQL)", "dbmigrate_generate"):
        run_pg(b)
    path = b.path("generate.db")
    make_schema(path, TABLES)
    c = sqlite_connect(path)
    want = desired_sqlite(TABLES)
    steps = c.execute("SELECT count(*) FROM dbmigrate_generate(?)", (want,)).fetchone()[0]

    def build():
        m = sqlite3.connect(":memory:", isolation_level=None)
        m.executescript("BEGIN;\n" + want + "\nCOMMIT;")
        m.close()

    times, gen_cpu, build_cpu = [], [], []
    for _ in range(max(5, REPS)):
        times.append(timed_cpu(lambda: c.execute("SELECT count(*) FROM dbmigrate_generate(?)",
                                                 (want,)).fetchone(), gen_cpu) * 1000.0)
        timed_cpu(build, build_cpu)
    c.close()
    add_row(b, "sqlite", times, steps)
    add_ratio(b, "sqlite", build_cpu, gen_cpu, 3)
