"""bench_maintain.py — dbmaintain_plan('quick') against dbhealth_report('quick')
on the same database (the health benches' fixtures: SQLite 1,000 tables,
PostgreSQL 10,000): the plan is one health run plus its statements, so it
should cost at most 1.2× the report. Twice: on the fixture as it is (nothing
to repair), and with every table's foreign-key index dropped, a finding and a
plan row (CREATE INDEX) per table."""
from bench_health import make_pg_tables
from bench_schema import make_schema
import benchlib
from benchlib import QUICK, interleave, median, module_has, pg_usable, sqlite_connect, timed

# the transaction mode of every row that does not state its own
TX = benchlib.TX_READ

SQLITE_TABLES = 1000
PG_TABLES = 1000 if QUICK else 10000
PLAN = "SELECT count(*) FROM dbmaintain_plan('quick')"
REPORT = "SELECT dbhealth_report('quick')"


def plan_sqlite(b):
    path = b.path(f"maintain_plan_{SQLITE_TABLES}.db")
    make_schema(path, SQLITE_TABLES)
    c = sqlite_connect(path)
    for findings in (False, True):
        if findings:
            for i in range(SQLITE_TABLES):
                c.execute(f"DROP INDEX t{i:05d}_b")
        rows = c.execute(PLAN).fetchone()[0]
        c.execute(REPORT).fetchone()
        tt = interleave({
            "plan": lambda: timed(lambda: c.execute(PLAN).fetchone()),
            "report": lambda: timed(lambda: c.execute(REPORT).fetchone()),
        })
        add(b, "sqlite", SQLITE_TABLES, findings, median(tt["plan"]), median(tt["report"]),
            len(tt["plan"]), rows)
    c.close()


def plan_pg(b):
    pg = b.pg
    db = pg.fresh_db("mp", ("dbcare",))
    s = pg.session(db)
    make_pg_tables(s, PG_TABLES)
    for findings in (False, True):
        if findings:
            for lo in range(0, PG_TABLES, 500):
                s.exec(f"""DO $$ BEGIN FOR i IN {lo}..{min(PG_TABLES, lo + 500) - 1} LOOP
                    EXECUTE format('DROP INDEX t%s_b', i); END LOOP; END $$""")
        rows = s.value(PLAN)
        s.exec(REPORT)
        tt = interleave({"plan": lambda: s.seconds(PLAN), "report": lambda: s.seconds(REPORT)})
        add(b, "postgresql", PG_TABLES, findings, median(tt["plan"]), median(tt["report"]),
            len(tt["plan"]), rows)
    s.close()
    pg.drop_db(db)


def add(b, engine, n, findings, plan, report, reps, rows):
    ratio = plan / report
    size = f"{n} tables" + (", a finding each" if findings else "")
    b.add("maintain plan", engine, size, "dbmaintain_plan('quick')", plan, reps, ratio=ratio,
          ref="report", target="≤ 1.20× report", met=ratio <= 1.20, note=f"{rows} plan rows")
    b.add("maintain plan", engine, size, "dbhealth_report('quick')", report, reps, ratio=1.0,
          ref="report")


def run(b):
    if not module_has("dbmaintain_plan"):
        b.skip("maintain (SQLite)", "dbmaintain_* is not in this build")
    else:
        plan_sqlite(b)
    if pg_usable(b, "maintain (PostgreSQL)", "dbmaintain_plan"):
        plan_pg(b)
