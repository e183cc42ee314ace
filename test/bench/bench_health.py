"""bench_health.py — health reports: `quick` by number of tables (SQLite up to
1,000, PostgreSQL up to 10,000), SQLite `full` against PRAGMA integrity_check +
PRAGMA foreign_key_check alone by rows, and PostgreSQL `standard` against
bt_index_check on every index alone."""
from bench_check import fill_sqlite
from bench_schema import cold, make_schema
import benchlib
from benchlib import (QUICK, REPS, REPS_FAST, growth_note, interleave, median, module_has, pg_usable,
                      sqlite_connect, timed)

# the transaction mode of every row that does not state its own
TX = benchlib.TX_READ

SQLITE_TABLES = [100, 1000]
PG_TABLES = [1000] if QUICK else [1000, 10000]
SQLITE_ROWS = [10**5] if QUICK else [10**5, 10**6, 10**7]
PG_ROWS = [10**5] if QUICK else [10**5, 10**6]


def quick_sqlite(b):
    series, cold_series = [], []
    for n in SQLITE_TABLES:
        path = b.path(f"health_quick_{n}.db")
        make_schema(path, n)
        c = sqlite_connect(path)
        c.execute("SELECT dbhealth_report('quick')").fetchone()
        tt = interleave({
            "q": lambda: timed(lambda: c.execute("SELECT dbhealth_report('quick')").fetchone()),
            "cold": lambda: cold(path, "SELECT dbhealth_report('quick')"),
        })
        c.close()
        ts = tt["q"]
        m = median(ts)
        series.append(m)
        cold_series.append(median(tt["cold"]))
        kw = dict(target="< 50 ms", met=m < 50) if n == 1000 else {}
        b.add("health quick", "sqlite", f"{n} tables", "dbhealth_report('quick')", m, len(ts),
              note="repeated report, schema unchanged (per-connection schema cache)", **kw)
        b.add("health quick", "sqlite", f"{n} tables", "dbhealth_report('quick') cold",
              median(tt["cold"]), len(tt["cold"]),
              note="first report on a connection or after a schema change: reads the catalog")
    b.notes.append(f"health quick: SQLite, {growth_note(SQLITE_TABLES, series)}")
    b.notes.append(f"health quick cold: SQLite, {growth_note(SQLITE_TABLES, cold_series)}")


def full_rounds(n):
    """Rounds at n rows: the per-round ratio spreads 0.87-1.14x at 10^7 (the
    kernel's page cache and memory placement, in both sides' CPU time alike),
    so five rounds leave the median to one or two of them; more where a
    round is cheap."""
    return REPS_FAST if n <= 10**5 else max(REPS, 11 if n <= 10**6 else 9)


def full_sqlite(b):
    for n in SQLITE_ROWS:
        reps = full_rounds(n)
        path = b.path(f"health_full_{n}.db")
        fill_sqlite(path, n)
        c = sqlite_connect(path)
        c.execute("CREATE INDEX child_parent ON child (parent_id)")
        c.execute("ANALYZE")
        c.execute("SELECT dbhealth_report('full')").fetchone()

        def native():
            t0 = timed(lambda: c.execute("PRAGMA integrity_check").fetchall())
            return t0 + timed(lambda: c.execute("PRAGMA foreign_key_check").fetchall())

        times = interleave({
            "dbhealth_report('full')": lambda: timed(lambda: c.execute("SELECT dbhealth_report('full')").fetchone()),
            "PRAGMA integrity_check + foreign_key_check": native,
        }, reps)
        c.close()
        base = median(times["PRAGMA integrity_check + foreign_key_check"])
        m = median(times["dbhealth_report('full')"])
        size = f"{n:.0e} rows".replace("e+0", "e")
        b.add("health full", "sqlite", size, "dbhealth_report('full')", m, reps, ratio=m / base,
              ref="PRAGMAs", target="≤ 1.10× PRAGMAs", met=m / base <= 1.10)
        b.add("health full", "sqlite", size, "PRAGMA integrity_check + foreign_key_check", base, reps,
              ratio=1.0, ref="PRAGMAs")


def make_pg_tables(s, n):
    """The quick-report fixture: n tables, each with a primary key, a unique
    column, a foreign key to the previous table and its index, analysed."""
    # In chunks: one transaction holding 10,000 relations' locks would need
    # a huge lock table, and a DO block keeps the round trips few.
    for lo in range(0, n, 500):
        s.exec(f"""DO $$ BEGIN FOR i IN {lo}..{min(n, lo + 500) - 1} LOOP
            EXECUTE format('CREATE TABLE t%s (id integer PRIMARY KEY, a text NOT NULL UNIQUE,
              b integer REFERENCES t%s (id), c real DEFAULT 0)', i, CASE WHEN i = 0 THEN 0 ELSE i - 1 END);
            EXECUTE format('CREATE INDEX t%s_b ON t%s (b)', i, i);
          END LOOP; END $$""")
    s.exec("ANALYZE")


def quick_pg(b):
    pg = b.pg
    series = []
    for n in PG_TABLES:
        db = pg.fresh_db("hq", ("dbcare",))
        s = pg.session(db)
        make_pg_tables(s, n)
        s.exec("SELECT dbhealth_report('quick')")
        ts = interleave({"q": lambda: s.seconds("SELECT dbhealth_report('quick')")})["q"]
        s.close()
        pg.drop_db(db)
        m = median(ts)
        series.append(m)
        kw = dict(target="< 1 s", met=m < 1000) if n == 10000 else {}
        b.add("health quick", "postgresql", f"{n} tables", "dbhealth_report('quick')", m, len(ts), **kw)
    if len(series) > 1:
        b.notes.append(f"health quick: PostgreSQL, {growth_note(PG_TABLES, series)}")


def standard_pg(b):
    pg = b.pg
    for n in PG_ROWS:
        db = pg.fresh_db("hs", ("dbcare", "amcheck"))
        s = pg.session(db)
        s.exec(f"""
            CREATE TABLE parent (id integer PRIMARY KEY, name text NOT NULL UNIQUE);
            CREATE TABLE child (id integer PRIMARY KEY, parent_id integer REFERENCES parent (id), qty integer);
            CREATE INDEX child_parent ON child (parent_id);
            CREATE INDEX child_qty ON child (qty);
            INSERT INTO parent SELECT i, 'p' || i FROM generate_series(1, {n // 10}) i;
            INSERT INTO child SELECT i, 1 + i % {n // 10}, i % 7 FROM generate_series(1, {n}) i;""")
        s.exec("VACUUM ANALYZE")
        s.exec("SELECT dbhealth_report('standard')")
        every_index = ("SELECT count(bt_index_check(c.oid)) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
                       " JOIN pg_am a ON a.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace"
                       " WHERE a.amname = 'btree' AND i.indisvalid AND i.indisready"
                       " AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')")
        pid = s.value("SELECT pg_backend_pid()")
        cpu = {}

        def side(name, sql):
            # wall time, and the backend's CPU time of the same run beside it
            def run_once():
                ms, c = s.timed_with_cpu(sql, pid)
                if c is not None:
                    cpu.setdefault(name, []).append(c)
                return ms / 1000.0
            return run_once

        report, native = "dbhealth_report('standard')", "bt_index_check on every index"
        times = interleave({report: side(report, "SELECT dbhealth_report('standard')"),
                            native: side(native, every_index)}, REPS_FAST)
        s.close()
        pg.drop_db(db)
        base = median(times[native])
        m = median(times[report])
        size = f"{n:.0e} rows".replace("e+0", "e")
        b.add("health standard", "postgresql", size, report, m, REPS_FAST, ratio=m / base,
              ref="bt_index_check", target="≤ 1.10× bt_index_check", met=m / base <= 1.10)
        b.add("health standard", "postgresql", size, native, base, REPS_FAST,
              ratio=1.0, ref="bt_index_check", note="user indexes (dbcare's own included)")
        if len(cpu.get(report, [])) == REPS_FAST and len(cpu.get(native, [])) == REPS_FAST:
            cbase = median(cpu[native])
            b.add("health standard", "postgresql", size, f"{report}: CPU", median(cpu[report]), REPS_FAST,
                  ratio=median(cpu[report]) / cbase, ref="bt_index_check CPU",
                  note="CPU time of the server process in the same runs")
            b.add("health standard", "postgresql", size, f"{native}: CPU", cbase, REPS_FAST,
                  ratio=1.0, ref="bt_index_check CPU")


def run(b):
    if not module_has("dbhealth_report"):
        b.skip("health (SQLite)", "dbhealth_* is not in this build")
    else:
        quick_sqlite(b)
        full_sqlite(b)
    if pg_usable(b, "health (PostgreSQL)", "dbhealth_report"):
        quick_pg(b)
        standard_pg(b)
