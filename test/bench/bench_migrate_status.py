"""bench_migrate_status.py — dbmigrate_status, dbmigrate_validate and
dbmigrate_assert per call with 1k, 10k and 100k applied migrations, on SQLite
and PostgreSQL, and how they grow; assert both answered by the stored status
summary and as the first call after a change, which derives the status and
stores it. The history is made by applying trivial migrations."""
import benchlib
from benchlib import (QUICK, growth_note, interleave, median, module_has, pg_usable,
                      sqlite_connect, within_nlogn)

# the transaction mode of every row that does not state its own
TX = benchlib.TX_READ

SIZES = [1000, 10000] if QUICK else [1000, 10000, 100000]


def run(b):
    if not module_has("dbmigrate_apply"):
        b.skip("migrate status/validate/assert", "dbmigrate_* is not in this build")
    else:
        run_sqlite(b)
    if pg_usable(b, "migrate status/validate/assert (PostgreSQL)", "dbmigrate_assert"):
        run_pg(b)


def report(b, engine, series, n, times):
    for k, ts in times.items():
        m = median(ts)
        series.setdefault(k, []).append(m)
        kw = dict(target="< 5 ms", met=m < 5) if k == "dbmigrate_assert()" and n == 10000 else {}
        b.add("migrate status", engine, f"{n} applied", k, m, len(ts), **kw)


def report_growth(b, engine, series):
    for k, ts in series.items():
        ok = within_nlogn(SIZES, ts)
        b.add("migrate status", engine, f"{SIZES[0]}→{SIZES[-1]}", f"{k} growth", None, 1,
              target="≤ n log n", met=ok, note=growth_note(SIZES, ts))


def run_pg(b):
    pg = b.pg
    series = {}
    for n in SIZES:
        db = pg.fresh_db("st", ("dbcare",))
        s = pg.session(db)
        # one statement registers them all (a transaction of its own)
        s.exec(f"SELECT count(dbmigrate_add(i::text, 'step ' || i, 'SELECT ' || i || ';')) "
               f"FROM generate_series(1, {n}) i")
        s.exec("SELECT dbmigrate_apply()")
        assert_sql = f"SELECT dbmigrate_assert('{n}')"
        s.exec(assert_sql)
        # any write to the migration tables bumps their generation: the next
        # reading call derives the status and stores the summary again
        change = "UPDATE dbcare.migrations SET name = name WHERE false"
        calls = {
            "dbmigrate_status()": lambda: s.seconds("SELECT count(*) FROM dbmigrate_status()"),
            "dbmigrate_validate()": lambda: s.seconds("SELECT count(*) FROM dbmigrate_validate()"),
            "dbmigrate_assert()": lambda: s.seconds(assert_sql),
            "dbmigrate_assert() after a change": lambda: (s.exec(change), s.seconds(assert_sql))[1],
        }
        times = interleave(calls)
        s.close()
        pg.drop_db(db)
        report(b, "postgresql", series, n, times)
    report_growth(b, "postgresql", series)


def run_sqlite(b):
    series = {}
    for n in SIZES:
        path = b.path(f"status_{n}.db")
        c = sqlite_connect(path)
        c.execute("BEGIN")
        for i in range(1, n + 1):
            c.execute("SELECT dbmigrate_add(?, ?, ?)", (str(i), f"step {i}", f"SELECT {i};"))
        c.execute("COMMIT")
        c.execute("SELECT dbmigrate_apply()").fetchone()
        assert_sql = f"SELECT dbmigrate_assert('{n}')"
        calls = {
            "dbmigrate_status()": lambda: _t(c, "SELECT count(*) FROM dbmigrate_status"),
            "dbmigrate_validate()": lambda: _t(c, "SELECT count(*) FROM dbmigrate_validate"),
            # the summary row stored by an earlier call answers
            "dbmigrate_assert()": lambda: _t(c, assert_sql),
            # the first call after a write to the migration tables derives
            # the status and stores the summary
            "dbmigrate_assert() after a change": lambda: _after_change(c, assert_sql),
        }
        times = interleave(calls)
        c.close()
        report(b, "sqlite", series, n, times)
    report_growth(b, "sqlite", series)


def _after_change(c, q):
    # what any write to the registry, the applied list or a failed run does
    c.execute("DELETE FROM dbcare_migrations_summary")
    return _t(c, q)


def _t(c, q):
    import time
    t0 = time.perf_counter()
    c.execute(q).fetchall()
    return time.perf_counter() - t0
