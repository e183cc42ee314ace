"""bench_check.py — dbcheck_constraints over a child table of 10^5 and 10^6
rows with a foreign key (0.1% orphans), against the engine's own check:
PRAGMA foreign_key_check on SQLite, a hand-written anti-join on PostgreSQL.
Also the peak RSS of the SQLite process, which must stay flat as rows grow."""
import benchlib
from benchlib import (QUICK, REPS_FAST, interleave, median, module_has, sqlite_connect,
                      sqlite_peak_rss, timed_cpu)

# the transaction mode of every row that does not state its own
TX = benchlib.TX_READ

SIZES = [10**4, 10**5] if QUICK else [10**5, 10**6]

SCHEMA = ("CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL);"
          "CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent (id),"
          " qty INTEGER);")


def fill_sqlite(path, n):
    """n children over n/10 parents; every 1000th child points past the last parent."""
    c = sqlite_connect(path, load=False)
    c.executescript(SCHEMA + f"""
        BEGIN;
        WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < {n // 10})
        INSERT INTO parent SELECT i, 'p' || i FROM k;
        WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < {n})
        INSERT INTO child SELECT i, CASE WHEN i % 1000 = 0 THEN {n} + i ELSE 1 + i % {n // 10} END, i % 7
        FROM k;
        COMMIT;""")
    c.close()


def run_sqlite(b):
    if not module_has("dbcheck_constraints"):
        b.skip("check (SQLite)", "dbcheck_* is not in this build")
        return
    for n in SIZES:
        path = b.path(f"check_{n}.db")
        fill_sqlite(path, n)
        c = sqlite_connect(path)
        want = n // 1000
        got = c.execute("SELECT violations FROM dbcheck_constraints('child') WHERE kind = 'foreign_key'").fetchone()
        if not got or got[0] != want:
            raise RuntimeError(f"dbcheck_constraints found {got} FK violations, expected {want}")
        cpu = {"dbcheck": [], "pragma": []}
        times = interleave({
            "dbcheck_constraints('child')":
                lambda: timed_cpu(lambda: c.execute("SELECT * FROM dbcheck_constraints('child')").fetchall(),
                                  cpu["dbcheck"]),
            "PRAGMA foreign_key_check(child)":
                lambda: timed_cpu(lambda: c.execute("PRAGMA foreign_key_check(child)").fetchall(),
                                  cpu["pragma"]),
        }, REPS_FAST)
        c.close()
        base = median(times["PRAGMA foreign_key_check(child)"])
        rss_dbc, _ = sqlite_peak_rss(path, "SELECT * FROM dbcheck_constraints('child')")
        rss_fk, _ = sqlite_peak_rss(path, "PRAGMA foreign_key_check(child)")
        m = median(times["dbcheck_constraints('child')"])
        b.add("check", "sqlite", f"{n:.0e} rows".replace("e+0", "e"), "dbcheck_constraints('child')", m, REPS_FAST,
              ratio=m / base, ref="PRAGMA", target="≤ 1.2× PRAGMA", met=m / base <= 1.2, rss_kb=rss_dbc,
              note="all constraints of child: FK, PK, NOT NULL")
        b.add("check", "sqlite", f"{n:.0e} rows".replace("e+0", "e"), "PRAGMA foreign_key_check(child)", base,
              REPS_FAST, ratio=1.0, ref="PRAGMA", rss_kb=rss_fk)
        size = f"{n:.0e} rows".replace("e+0", "e")
        b.add("check", "sqlite", size, "dbcheck_constraints('child'): CPU", median(cpu["dbcheck"]), REPS_FAST,
              ratio=median(cpu["dbcheck"]) / median(cpu["pragma"]), ref="PRAGMA CPU",
              note="CPU time of this process in the same runs")
        b.add("check", "sqlite", size, "PRAGMA foreign_key_check(child): CPU", median(cpu["pragma"]), REPS_FAST,
              ratio=1.0, ref="PRAGMA CPU")
        b.rss_series = getattr(b, "rss_series", []) + [(n, rss_dbc)]
    if len(b.rss_series) >= 2:
        (n0, r0), (n1, r1) = b.rss_series[0], b.rss_series[-1]
        flat = r1 <= r0 * 1.25
        b.add("check", "sqlite", f"{n0:.0e}→{n1:.0e}".replace("e+0", "e"), "peak RSS growth, dbcheck_constraints",
              None, 1, ratio=r1 / r0, ref=f"RSS at {n0:.0e}".replace("e+0", "e"),
              target="flat (≤ 1.25×)", met=flat)


def run_pg(b):
    pg = b.pg
    if not (pg.dbcare and pg.admin().value(
            "SELECT count(*) FROM pg_available_extensions WHERE name = 'dbcare'") == "1"):
        b.skip("check (PostgreSQL)", "dbcare is not installed in the cluster")
        return
    for n in SIZES:
        db = pg.fresh_db("check", ("dbcare",))
        s = pg.session(db)
        if s.value("SELECT count(*) FROM pg_proc WHERE proname = 'dbcheck_constraints'") == "0":
            b.skip("check (PostgreSQL)", "dbcheck_* is not in this build")
            s.close()
            pg.drop_db(db)
            return
        s.exec(f"""
            CREATE TABLE parent (id integer PRIMARY KEY, name text NOT NULL);
            CREATE TABLE child (id integer PRIMARY KEY, parent_id integer, qty integer);
            INSERT INTO parent SELECT i, 'p' || i FROM generate_series(1, {n // 10}) i;
            INSERT INTO child SELECT i, CASE WHEN i % 1000 = 0 THEN {n} + i ELSE 1 + i % {n // 10} END, i % 7
              FROM generate_series(1, {n}) i;
            ALTER TABLE child ADD CONSTRAINT child_parent_fk FOREIGN KEY (parent_id) REFERENCES parent (id) NOT VALID;""")
        s.exec("VACUUM ANALYZE parent, child")
        got = s.value("SELECT violations FROM dbcheck_constraints('child') WHERE kind = 'foreign_key'")
        if got != str(n // 1000):
            raise RuntimeError(f"dbcheck_constraints found {got} FK violations, expected {n // 1000}")
        anti = ("SELECT count(*) FROM child c WHERE c.parent_id IS NOT NULL"
                " AND NOT EXISTS (SELECT 1 FROM parent p WHERE p.id = c.parent_id)")
        times = interleave({
            "dbcheck_constraints('child')": lambda: s.seconds("SELECT * FROM dbcheck_constraints('child')"),
            "anti-join by hand": lambda: s.seconds(anti),
        }, REPS_FAST)
        s.close()
        pg.drop_db(db)
        base = median(times["anti-join by hand"])
        m = median(times["dbcheck_constraints('child')"])
        size = f"{n:.0e} rows".replace("e+0", "e")
        b.add("check", "postgresql", size, "dbcheck_constraints('child')", m, REPS_FAST, ratio=m / base,
              ref="anti-join", target="≤ 1.2× anti-join", met=m / base <= 1.2,
              note="all constraints of child: FK, PK, NOT NULL")
        b.add("check", "postgresql", size, "anti-join by hand", base, REPS_FAST, ratio=1.0, ref="anti-join")


def run(b):
    run_sqlite(b)
    if b.pg:
        run_pg(b)
    else:
        b.skip("check (PostgreSQL)", "no PostgreSQL cluster")
