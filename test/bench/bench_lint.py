"""bench_lint.py — dbmigrate_lint() over 1,000 pending migrations on a
10,000-table SQLite database (the schema of bench_schema.py): each migration
touches its own table (an index, a new column, a dropped column), the first
1,000 tables hold a row each. Side by side: dbmigrate_plan() over the same
migrations with migrate.lint off (it reads the registry only), the cost the
lint adds. Target: under one second. The same on PostgreSQL, on the health
bench's 10,000-table fixture (keys, a foreign key and an index per table),
the first 1,000 tables holding a row and analysed."""
from bench_health import make_pg_tables
from bench_schema import make_schema
import benchlib
from benchlib import QUICK, REPS, interleave, median, pg_usable, sqlite_connect, timed

# the transaction mode of every row that does not state its own
TX = benchlib.TX_READ

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
                   migration_script(t, i))).fetchone()
    c.execute("COMMIT")
    c.execute("SELECT dbcare_set('migrate.lint', 'off')").fetchone()
    return c


def migration_script(t, i):
    return (f"CREATE INDEX {t}_c ON {t} (c);\n"
            f"ALTER TABLE {t} ADD COLUMN d{i} TEXT;\n"
            f"ALTER TABLE {t} DROP COLUMN c;\n")


def add_row(b, engine, size, times, findings):
    ref = median(times["dbmigrate_plan()"])
    for side, ts in times.items():
        lint = side == "dbmigrate_lint()"
        b.add("lint", engine, size, side, median(ts), len(ts),
              ratio=median(ts) / ref if lint else None, ref="dbmigrate_plan()" if lint else None,
              target="< 1000 ms" if lint else None, met=median(ts) < 1000 if lint else None,
              note=f"{findings} findings" if lint else "the plan alone (migrate.lint off)")


def run_pg(b):
    pg = b.pg
    db = pg.fresh_db("lint", ("dbcare",))
    s = pg.session(db)
    make_pg_tables(s, TABLES)
    s.exec(f"""DO $$ BEGIN FOR i IN 0..{MIGRATIONS - 1} LOOP
        EXECUTE format('INSERT INTO t%s (id, a) VALUES (1, ''x'')', i);
        PERFORM dbmigrate_add((i + 1)::text, 'change t' || i,
          format('CREATE INDEX t%1$s_c ON t%1$s (c);' || chr(10) ||
                 'ALTER TABLE t%1$s ADD COLUMN d%1$s text;' || chr(10) ||
                 'ALTER TABLE t%1$s DROP COLUMN c;' || chr(10), i));
      END LOOP; END $$""")
    s.exec("ANALYZE")
    s.exec("SELECT dbcare_set('migrate.lint', 'off')")
    findings = s.value("SELECT count(*) FROM dbmigrate_lint()")
    reps = max(3, REPS // 2)
    times = interleave({
        "dbmigrate_lint()": lambda: s.seconds("SELECT count(*) FROM dbmigrate_lint()"),
        "dbmigrate_plan()": lambda: s.seconds("SELECT count(*) FROM dbmigrate_plan()"),
    }, reps)
    s.close()
    pg.drop_db(db)
    add_row(b, "postgresql", f"{MIGRATIONS} migrations, {TABLES} tables", times, findings)


def run(b):
    if pg_usable(b, "lint (PostgreSQL)", "dbmigrate_lint"):
        run_pg(b)
    path = b.path("lint.db")
    c = prepare(path)
    findings = c.execute("SELECT count(*) FROM dbmigrate_lint").fetchone()[0]
    reps = max(3, REPS // 2)
    times = interleave({
        "dbmigrate_lint()": lambda: timed(lambda: c.execute("SELECT count(*) FROM dbmigrate_lint").fetchone()),
        "dbmigrate_plan()": lambda: timed(lambda: c.execute("SELECT count(*) FROM dbmigrate_plan").fetchone()),
    }, reps)
    c.close()
    add_row(b, "sqlite", f"{MIGRATIONS} migrations, {TABLES} tables", times, findings)
