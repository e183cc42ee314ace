"""bench_retain.py — archiving N rows of 10 columns (all due) with a
retention policy, against the hand-written single-statement move: on
PostgreSQL `WITH d AS (DELETE ... RETURNING *) INSERT INTO archive SELECT
... FROM d`, on SQLite `INSERT ... SELECT` + `DELETE` in one transaction.
dbcare moves retain.batch_size (5,000) rows per batch, each batch its own
transaction (CALL dbretain_run on PostgreSQL, a loop of dbretain_apply
calls on SQLite); the note gives the longest batch, the time it holds its
locks. Also dbretain_plan() over 100 policies whose age columns are
indexed.

Peak memory must stay flat in the row count: each dbcare side also runs at
a tenth of N, the SQLite loop in a process of its own (its peak RSS), the
PostgreSQL run in a backend of its own (the peak of its private resident
memory, RssAnon, sampled while the CALL runs: VmHWM would count the shared
buffers the backend touched, which grow with the table and are no memory
of its own). The growth from a tenth of N to N is reported against the
target "flat (≤ 1.25×)". On PostgreSQL the backend's CPU time of each side
is reported too (the machine is shared: CPU is steadier than wall time).

N is BENCH_RETAIN_ROWS (default 1,000,000, the issue's size; 100,000 with
BENCH_QUICK). BENCH_RETAIN_BEFORE=path/to/dbcare.so also runs the SQLite
loop with an earlier build's module, side by side in the same run."""
import json
import os
import shutil
import subprocess
import sys
import threading
import time

import benchlib
from benchlib import MODULE, QUICK, module_has, pg_usable, sqlite_connect

# the transaction mode of every row that does not state its own
TX = benchlib.TX_BATCHES

ROWS = int(os.environ.get("BENCH_RETAIN_ROWS", "100000" if QUICK else "1000000"))
# An earlier build's SQLite module (a dbcare.so), measured beside this one.
BEFORE = os.environ.get("BENCH_RETAIN_BEFORE")
POLICIES = 100
COLUMNS = ("id INTEGER PRIMARY KEY, created_at {ts} NOT NULL, user_id INTEGER, title TEXT, "
           "body TEXT, score REAL, flags INTEGER, lang TEXT, source TEXT, views INTEGER")
NAMES = "id, created_at, user_id, title, body, score, flags, lang, source, views"


SMALL = max(ROWS // 10, 1000)
FLAT = 1.25  # the most peak memory may grow from SMALL to ROWS rows


def size_label(n=ROWS):
    return f"{n:,} rows"


def flat_row(b, engine, side, small_kb, big_kb, what):
    growth = big_kb / small_kb
    b.add("retain", engine, f"{SMALL:,}→{ROWS:,} rows", f"peak memory growth, {side}", None, 1,
          ratio=growth, ref=f"peak at {SMALL:,} rows", target=f"flat (≤ {FLAT}×)",
          met=growth <= FLAT, rss_kb=big_kb,
          note=f"{what}: {small_kb:,} KiB at {SMALL:,} rows, {big_kb:,} KiB at {ROWS:,}")


# ------------------------------------------------------------------ SQLite

def fill_sqlite(path, n=ROWS):
    c = sqlite_connect(path, load=False)
    c.executescript(f"""
        CREATE TABLE src ({COLUMNS.format(ts="TEXT")});
        CREATE INDEX src_created ON src (created_at);
        CREATE TABLE hand_archive ({COLUMNS.format(ts="TEXT")}, archived_at TEXT NOT NULL);
        BEGIN;
        WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < {n})
        INSERT INTO src SELECT i, datetime('now', '-60 days', '+' || (i % 86400) || ' seconds'),
               i % 1000, 'title ' || i, 'body of row ' || i, i * 0.5, i % 16, 'en', 'web', i % 97
        FROM k;
        COMMIT;""")
    c.close()


# The loop runs in a process of its own: its peak RSS is the loop's.
LOOP_CHILD = r"""
import json, resource, sqlite3, sys, time
db, module = sys.argv[1:3]
c = sqlite3.connect(db, isolation_level=None)
c.enable_load_extension(True)
c.load_extension(module)
c.enable_load_extension(False)
c.execute("SELECT dbretain_add('p', 'src', 'created_at', '30 days', 'archive', 'archive_src')")
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
longest, calls = 0.0, 0
t0 = time.perf_counter()
while True:
    t1 = time.perf_counter()
    moved = c.execute("SELECT archived FROM dbretain_apply('p')").fetchone()[0]
    longest = max(longest, (time.perf_counter() - t1) * 1000)
    calls += 1
    if moved == 0:
        break
total = (time.perf_counter() - t0) * 1000
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
archived = list(c.execute("SELECT count(*), count(DISTINCT id) FROM archive_src").fetchone())
print(json.dumps(dict(total=total, calls=calls, longest=longest, peak=peak, base=base,
                      archived=archived)))
"""


def loop_sqlite(b, template, module, n=ROWS):
    """Archives every row with dbretain_apply calls until one moves none,
    in a child process; (total ms, calls, longest call ms, peak RSS KiB)."""
    path = b.path("retain_dbcare.db")
    shutil.copy(template, path)
    out = subprocess.run([sys.executable, "-c", LOOP_CHILD, path, module or MODULE],
                         check=True, capture_output=True, text=True).stdout
    r = json.loads(out)
    if r["archived"] != [n, n]:
        raise RuntimeError(f"dbretain archived {r['archived']}, expected {n}")
    return r["total"], r["calls"], r["longest"], r["peak"]


def run_sqlite(b):
    if not module_has("dbretain_apply"):
        b.skip("retain (SQLite)", "dbretain_* is not in this build")
        return
    template = b.path("retain_template.db")
    fill_sqlite(template)

    # the hand-written move
    path = b.path("retain_hand.db")
    shutil.copy(template, path)
    c = sqlite_connect(path, load=False)
    cutoff = c.execute("SELECT strftime('%Y-%m-%d %H:%M:%f', 'now', '-30 days')").fetchone()[0]
    t0 = time.perf_counter()
    c.executescript(f"""
        BEGIN;
        INSERT INTO hand_archive SELECT {NAMES}, strftime('%Y-%m-%d %H:%M:%f', 'now')
          FROM src WHERE created_at < '{cutoff}';
        DELETE FROM src WHERE created_at < '{cutoff}';
        COMMIT;""")
    hand = (time.perf_counter() - t0) * 1000
    left = c.execute("SELECT count(*) FROM src").fetchone()[0]
    c.close()
    if left != 0:
        raise RuntimeError(f"the hand-written move left {left} rows")

    # dbcare: one batch per call, each call its own transaction; with
    # BENCH_RETAIN_BEFORE, an earlier build's module too, in the same run
    sides = [("dbretain_apply loop (archive)", None)]
    if BEFORE:
        sides.append(("dbretain_apply loop (archive), previous build", BEFORE))
    peak = None
    for side, module in sides:
        total, calls, longest, rss = loop_sqlite(b, template, module)
        peak = peak or rss
        b.add("retain", "sqlite", size_label(), side, total, 1,
              ratio=total / hand, ref="single-statement move", target="≤ 1.3× hand-written",
              met=total / hand <= 1.3, rss_kb=rss,
              note=f"{calls} calls of 5,000 rows, each its own transaction; longest {longest:.0f} ms")
    b.add("retain", "sqlite", size_label(), "INSERT ... SELECT + DELETE", hand, 1, ratio=1.0,
          ref="single-statement move", note="one transaction holding the write lock throughout",
          tx=benchlib.TX_ONE)

    # peak memory, flat in the row count: the same loop at a tenth of the rows
    small = b.path("retain_small.db")
    fill_sqlite(small, SMALL)
    rss_small = loop_sqlite(b, small, None, SMALL)[3]
    flat_row(b, "sqlite", "dbretain_apply loop", rss_small, peak, "peak RSS of the process")

    # the plan of 100 policies, each age column indexed
    path = b.path("retain_plan.db")
    c = sqlite_connect(path)
    for i in range(POLICIES):
        c.execute(f"CREATE TABLE t{i} (id INTEGER PRIMARY KEY, at TEXT NOT NULL)")
        c.execute(f"CREATE INDEX t{i}_at ON t{i} (at)")
        c.execute(f"INSERT INTO t{i} SELECT value, datetime('now', '-' || value || ' days') "
                  f"FROM (WITH RECURSIVE k(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM k "
                  f"WHERE value < 100) SELECT value FROM k)")
        c.execute(f"SELECT dbretain_add('p{i}', 't{i}', 'at', '30 days', 'delete')")
    times = []
    for _ in range(5):
        t1 = time.perf_counter()
        n = len(c.execute("SELECT * FROM dbretain_plan()").fetchall())
        times.append((time.perf_counter() - t1) * 1000)
    c.close()
    if n != POLICIES:
        raise RuntimeError(f"dbretain_plan gave {n} rows")
    m = sorted(times)[len(times) // 2]
    b.add("retain", "sqlite", f"{POLICIES} policies", "dbretain_plan()", m, len(times),
          target="< 50 ms", met=m < 50, note="100 rows per table, 70 due each", tx=benchlib.TX_READ)


# ------------------------------------------------------------------ PostgreSQL

def rss_anon_kb(pid):
    """The backend's private resident memory now (RssAnon), or None."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def pg_side(pg, db, sql):
    """Runs sql in a backend of its own: (wall ms, backend CPU ms or None,
    peak RssAnon KiB sampled every 5 ms while it ran)."""
    r = pg.session(db)
    pid = r.value("SELECT pg_backend_pid()")
    peak = [rss_anon_kb(pid) or 0]
    done = threading.Event()

    def sample():
        while not done.wait(0.005):
            peak[0] = max(peak[0], rss_anon_kb(pid) or 0)

    t = threading.Thread(target=sample)
    c0 = r.backend_cpu_ms(pid)
    t.start()
    try:
        ms = r.exec(sql)[0]
    finally:
        done.set()
        t.join()
    c1 = r.backend_cpu_ms(pid)
    peak[0] = max(peak[0], rss_anon_kb(pid) or 0)
    r.close()
    return ms, (c1 - c0 if c0 is not None and c1 is not None else None), peak[0]


def run_pg(b):
    if not pg_usable(b, "retain (PostgreSQL)", "dbretain_apply"):
        return
    pg = b.pg
    db = pg.fresh_db("retain", ("dbcare",))
    s = pg.session(db)
    cols = COLUMNS.replace("INTEGER PRIMARY KEY", "bigint PRIMARY KEY").replace("REAL", "float8")
    s.exec("CREATE SCHEMA archive")

    def fill(n=ROWS):
        s.exec("DROP TABLE IF EXISTS src, hand_archive, archive.src")
        s.exec(f"CREATE TABLE src ({cols.format(ts='timestamptz')})")
        s.exec(f"CREATE TABLE hand_archive ({cols.format(ts='timestamptz')}, "
               "archived_at timestamptz NOT NULL)")
        s.exec(f"INSERT INTO src SELECT i, now() - interval '60 days' + (i % 86400) * interval '1 s',"
               f" i % 1000, 'title ' || i, 'body of row ' || i, i * 0.5, i % 16, 'en', 'web', i % 97"
               f" FROM generate_series(1, {n}) i")
        s.exec("CREATE INDEX src_created ON src (created_at)")
        s.exec("VACUUM ANALYZE src")

    def dbcare_run(n):
        fill(n)
        s.exec("DELETE FROM dbcare.retain_policies")
        s.exec("SELECT dbretain_add('p', 'src', 'created_at', '30 days', 'archive', 'archive.src')")
        got = pg_side(pg, db, "CALL dbretain_run('p')")
        if s.value("SELECT count(*) = count(DISTINCT id) AND count(*) = "
                   f"{n} FROM archive.src") != "t":
            raise RuntimeError("dbretain_run did not archive every row once")
        return got

    fill()
    hand, hand_cpu, _ = pg_side(pg, db, f"WITH d AS (DELETE FROM src WHERE created_at < now() - "
                                        f"interval '30 days' RETURNING *) INSERT INTO hand_archive "
                                        f"SELECT {NAMES}, now() FROM d")
    if s.value("SELECT count(*) FROM hand_archive") != str(ROWS):
        raise RuntimeError("the hand-written move did not move every row")

    total, cpu, peak = dbcare_run(ROWS)
    # the longest batch: the same rows again, one dbretain_apply per
    # transaction, each call timed by the client
    s.exec("INSERT INTO src SELECT " + NAMES + " FROM archive.src")
    s.exec("TRUNCATE archive.src")
    s.exec("VACUUM ANALYZE src")
    longest = 0.0
    while True:
        ms, moved = s.exec("SELECT archived FROM dbretain_apply('p')")
        longest = max(longest, ms)
        if moved == "0":
            break
    b.add("retain", "postgresql", size_label(), "CALL dbretain_run (archive)", total, 1,
          ratio=total / hand, ref="single-statement move", target="≤ 1.3× hand-written",
          met=total / hand <= 1.3,
          note=f"batches of 5,000 rows, each committed; longest batch {longest:.0f} ms")
    b.add("retain", "postgresql", size_label(), "WITH d AS (DELETE ... RETURNING *) INSERT", hand, 1,
          ratio=1.0, ref="single-statement move", note="one transaction holding its row locks throughout",
          tx=benchlib.TX_ONE)
    if cpu is not None and hand_cpu:
        b.add("retain", "postgresql", size_label(), "CALL dbretain_run (archive): backend CPU", cpu, 1,
              ratio=cpu / hand_cpu, ref="hand-written CPU",
              note="CPU time of the backend in the same run")
        b.add("retain", "postgresql", size_label(), "WITH d AS (...) INSERT: backend CPU", hand_cpu, 1,
              ratio=1.0, ref="hand-written CPU", tx=benchlib.TX_ONE)
    # peak memory, flat in the row count: the same run at a tenth of the rows
    peak_small = dbcare_run(SMALL)[2]
    flat_row(b, "postgresql", "CALL dbretain_run", peak_small, peak,
             "peak private memory (RssAnon) of the backend")

    # the plan of 100 policies
    s.exec("DELETE FROM dbcare.retain_policies")
    s.exec(f"""DO $$ BEGIN FOR i IN 0..{POLICIES - 1} LOOP
        EXECUTE format('CREATE TABLE t%s (id int PRIMARY KEY, at timestamptz NOT NULL)', i);
        EXECUTE format('CREATE INDEX ON t%s (at)', i);
        EXECUTE format('INSERT INTO t%s SELECT g, now() - g * interval ''1 day'' FROM generate_series(1, 100) g', i);
        PERFORM dbretain_add('p' || i, 't' || i, 'at', '30 days', 'delete');
      END LOOP; END $$""")
    s.exec("ANALYZE")
    times = sorted(s.exec("SELECT count(*) FROM dbretain_plan()")[0] for _ in range(5))
    m = times[len(times) // 2]
    b.add("retain", "postgresql", f"{POLICIES} policies", "dbretain_plan()", m, len(times),
          target="< 50 ms", met=m < 50, note="100 rows per table, 70 due each", tx=benchlib.TX_READ)
    s.close()
    pg.drop_db(db)


def run(b):
    run_sqlite(b)
    if b.pg:
        run_pg(b)
    else:
        b.skip("retain (PostgreSQL)", "no PostgreSQL cluster")
