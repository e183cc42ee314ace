"""bench_lint.py — dbmigrate_lint() over 1,000 pending migrations on a
10,000-table SQLite database (the schema of bench_schema.py): each migration
touches its own table (an index, a new column, a dropped column), the first
1,000 tables hold a row each. Side by side: dbmigrate_plan() over the same
migrations with migrate.lint off (it reads the registry only), the cost the
lint adds. Target: under one second."""
from bench_schema import make_schema
from benchlib import QUICK, REPS, interleave, median, sqlite_connect, timed

TABLES = 1000 if QUICK else 10000
MIGRATIONS = 100 if QUICK else 1000


def prepare(path):
    make_schema(path, TABLES)
    c = sqlite_connect(path)
    c.execute("BEGIN")
    for i in range(MIGRATIONS):
        t = f"t{i:05d}"
        c.execute(f"INSERT INTO {t} (a) VALUES ('x')")
        c.execute("SELECT dbmigrate_add(?, ?, ?)",
                  (str(i + 1), f"change {t}",
                   f"CREATE INDEX {t}_c ON {t} (c);\n"
                   f"ALTER TABLE {t} ADD COLUMN d{i} TEXT;\n"
                   f"ALTER TABLE {t} DROP COLUMN c;\n")).fetchone()
    c.execute("COMMIT")
    c.execute("SELECT dbcare_set('migrate.lint', 'off')").fetchone()
    return c


def run(b):
    path = b.path("lint.db")
    c = prepare(path)
    findings = c.execute("SELECT count(*) FROM dbmigrate_lint").fetchone()[0]
    reps = max(3, REPS // 2)
    times = interleave({
        "dbmigrate_lint()": lambda: timed(lambda: c.execute("SELECT count(*) FROM dbmigrate_lint").fetchone()),
        "dbmigrate_plan()": lambda: timed(lambda: c.execute("SELECT count(*) FROM dbmigrate_plan").fetchone()),
    }, reps)
    c.close()
    size = f"{MIGRATIONS} migrations, {TABLES} tables"
    ref = median(times["dbmigrate_plan()"])
    for side, ts in times.items():
        lint = side == "dbmigrate_lint()"
        b.add("lint", "sqlite", size, side, median(ts), len(ts),
              ratio=median(ts) / ref if lint else None, ref="dbmigrate_plan()" if lint else None,
              target="< 1000 ms" if lint else None, met=median(ts) < 1000 if lint else None,
              note=f"{findings} findings" if lint else "the plan alone (migrate.lint off)")
