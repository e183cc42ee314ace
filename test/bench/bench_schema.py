"""bench_schema.py — dbschema_fingerprint() and dbschema_snapshot() on SQLite
with 100 / 1,000 / 10,000 tables: time per call and how it grows. This is the
catalog reader that health `quick` and migration drift checks depend on."""
import benchlib
from benchlib import (QUICK, REPS, growth_note, interleave, median, sqlite_connect,
                      sqlite_peak_rss, timed)

# the transaction mode of every row that does not state its own
TX = benchlib.TX_READ

SIZES = [100, 1000] if QUICK else [100, 1000, 10000]


def make_schema(path, n):
    """n tables, each with a primary key, a NOT NULL column, a UNIQUE
    constraint, a foreign key to the previous table and an index on it."""
    c = sqlite_connect(path, load=False)
    c.execute("BEGIN")
    for i in range(n):
        ref = f"t{i - 1:05d}" if i else f"t{i:05d}"
        c.execute(f"CREATE TABLE t{i:05d} (id INTEGER PRIMARY KEY, a TEXT NOT NULL,"
                  f" b INTEGER REFERENCES {ref}(id), c REAL DEFAULT 0, UNIQUE (a))")
        c.execute(f"CREATE INDEX t{i:05d}_b ON t{i:05d}(b)")
    c.execute("COMMIT")
    c.close()


def cold(path, sql):
    """Seconds of sql as the first dbcare call on a new connection (SQLite's
    own schema already parsed): what a schema change costs, since the
    module caches the model per connection until the schema changes."""
    c = sqlite_connect(path)
    c.execute("SELECT count(*) FROM sqlite_schema WHERE name IN (SELECT name FROM pragma_table_list)").fetchone()
    t = timed(lambda: c.execute(sql).fetchone())
    c.close()
    return t


def run(b):
    series = {"dbschema_fingerprint": [], "dbschema_snapshot": [],
              "dbschema_fingerprint cold": [], "dbschema_snapshot cold": []}
    for n in SIZES:
        path = b.path(f"schema_{n}.db")
        make_schema(path, n)
        c = sqlite_connect(path)
        c.execute("SELECT dbschema_fingerprint()").fetchone()  # schema parsed, caches warm
        reps = REPS if n < 10000 else max(5, REPS)
        times = interleave({
            "dbschema_fingerprint": lambda: timed(lambda: c.execute("SELECT dbschema_fingerprint()").fetchone()),
            "dbschema_snapshot": lambda: timed(lambda: c.execute("SELECT dbschema_snapshot()").fetchone()),
            "dbschema_fingerprint cold": lambda: cold(path, "SELECT dbschema_fingerprint()"),
            "dbschema_snapshot cold": lambda: cold(path, "SELECT dbschema_snapshot()"),
        }, reps)
        c.close()
        for fn, ts in times.items():
            series[fn].append(median(ts))
            rss = None
            if fn == "dbschema_snapshot":
                rss, _ = sqlite_peak_rss(path, "SELECT length(dbschema_snapshot())")
            name, _, kind = fn.partition(" ")
            what = ("first call on a connection: reads the catalog; " if kind else
                    "repeated call, schema unchanged (per-connection cache); ")
            b.add("schema", "sqlite", f"{n} tables", f"{name}(){' cold' if kind else ''}", median(ts),
                  len(ts), rss_kb=rss, note=what + f"{median(ts) / n * 1000:.1f} µs per table")
    for fn, ts in series.items():
        name, _, kind = fn.partition(" ")
        b.notes.append(f"schema: {name}(){' cold' if kind else ''} on SQLite, "
                       f"{growth_note(SIZES, ts)} (1.00 = linear)")
