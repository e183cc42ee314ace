"""bench_migrate.py — applying 1,000 generated migrations (each: CREATE TABLE, a
3-row INSERT, CREATE INDEX) to a fresh database: dbcare against the same SQL
raw in one transaction (the physical limit), dbmate and Sqitch, on SQLite and
PostgreSQL. All sides of one engine run interleaved, 5+ rounds, fresh
database each time."""
import os
import shutil
import subprocess
import time

from benchlib import (BUILD, MODULE, QUICK, REPS, TX_ONE, TX_TOOL, interleave, median, module_has,
                      sqlite_connect, timed, timed_cpu)

N = 200 if QUICK else 1000
# The target pair (raw in one transaction, dbcare's apply) takes well under a
# second a round: more rounds steady its median, which five rounds leave to
# one slow round of this shared machine. The CLI sides (Sqitch takes 15-20 s
# a round) keep REPS.
REPS_APPLY = max(REPS, 11)
TARGET_PAIR = ("raw SQL, one transaction", "dbcare dbmigrate_apply()")
DBMATE = os.path.join(BUILD, "node_modules", ".bin", "dbmate")


def migration(i):
    t = f"m{i:05d}"
    return (f"CREATE TABLE {t} (id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER);\n"
            f"INSERT INTO {t} (id, name, qty) VALUES (1, 'a', 1), (2, 'b', 2), (3, 'c', 3);\n"
            f"CREATE INDEX {t}_name ON {t} (name);\n")


def down(i):
    return f"DROP TABLE m{i:05d};\n"


def write_projects(root):
    """The same migrations as files for each tool: golang-migrate names for
    dbmigrate_load, dbmate's up/down file, a Sqitch project per engine."""
    shutil.rmtree(root, ignore_errors=True)
    dirs = {k: os.path.join(root, k) for k in ("dbcare", "dbmate", "sqitch_sqlite", "sqitch_pg")}
    for d in dirs.values():
        os.makedirs(d)
    plan = ["%syntax-version=1.0.0", "%project=bench", ""]
    for s in ("sqitch_sqlite", "sqitch_pg"):
        for sub in ("deploy", "revert", "verify"):
            os.makedirs(os.path.join(dirs[s], sub))
    for i in range(1, N + 1):
        up, dn = migration(i), down(i)
        with open(os.path.join(dirs["dbcare"], f"{i}_m{i:05d}.up.sql"), "w") as f:
            f.write(up)
        with open(os.path.join(dirs["dbcare"], f"{i}_m{i:05d}.down.sql"), "w") as f:
            f.write(dn)
        with open(os.path.join(dirs["dbmate"], f"{i:014d}_m{i:05d}.sql"), "w") as f:
            f.write(f"-- migrate:up\n{up}\n-- migrate:down\n{dn}")
        for s in ("sqitch_sqlite", "sqitch_pg"):
            with open(os.path.join(dirs[s], "deploy", f"m{i:05d}.sql"), "w") as f:
                f.write(up)
            with open(os.path.join(dirs[s], "revert", f"m{i:05d}.sql"), "w") as f:
                f.write(dn)
        plan.append(f"m{i:05d} 2026-01-01T00:00:00Z Bench <bench@example.invalid> # migration {i}")
    for s, engine in (("sqitch_sqlite", "sqlite"), ("sqitch_pg", "pg")):
        with open(os.path.join(dirs[s], "sqitch.plan"), "w") as f:
            f.write("\n".join(plan) + "\n")
        with open(os.path.join(dirs[s], "sqitch.conf"), "w") as f:
            f.write(f"[core]\n\tengine = {engine}\n\tplan_file = sqitch.plan\n\ttop_dir = .\n")
    with open(os.path.join(root, "raw.sql"), "w") as f:
        f.write("BEGIN;\n" + "".join(migration(i) for i in range(1, N + 1)) + "COMMIT;\n")
    return dirs


def run_cli(args, cwd=None, env=None):
    """Wall-clock seconds of a command, which must succeed."""
    t0 = time.perf_counter()
    r = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
    t = time.perf_counter() - t0
    if r.returncode != 0:
        raise RuntimeError(f"{args[0]} failed: {(r.stderr or r.stdout)[-400:]}")
    return t


def run_cli_stdin(args, stdin):
    """Wall-clock seconds of a command reading stdin from a file; must succeed."""
    t0 = time.perf_counter()
    r = subprocess.run(args, stdin=stdin, capture_output=True, text=True)
    t = time.perf_counter() - t0
    if r.returncode != 0:
        raise RuntimeError(f"{args[0]} failed: {(r.stderr or r.stdout)[-400:]}")
    return t


def sqitch_env():
    env = dict(os.environ)
    env.update(SQITCH_FULLNAME="Bench", SQITCH_EMAIL="bench@example.invalid",
               SQITCH_USER_CONFIG="/dev/null", SQITCH_SYSTEM_CONFIG="/dev/null")
    return env


def interleave_sides(sides):
    """The target pair interleaved with REPS_APPLY rounds, then the CLI
    sides (each a whole process) interleaved with REPS."""
    pair = {k: v for k, v in sides.items() if k in TARGET_PAIR}
    rest = {k: v for k, v in sides.items() if k not in TARGET_PAIR}
    times = interleave(pair, REPS_APPLY)
    times.update(interleave(rest, REPS))
    return times


def verdicts(b, engine, times, add_ms):
    """Rows for one engine: dbcare's apply against raw, the CLI sides against
    each other (dbcare's CLI side includes reading the files)."""
    raw = median(times["raw SQL, one transaction"])
    peers = [k for k in times if k.startswith(("dbmate", "Sqitch"))]
    for side, ts in times.items():
        m = median(ts)
        kw = {}
        if side == "dbcare dbmigrate_apply()":
            kw = dict(ratio=m / raw, ref="raw", target="≤ 1.15× raw", met=m / raw <= 1.15,
                      note=f"dbmigrate_add ×{N} before it: {add_ms:.0f} ms in one transaction")
        elif side == "raw SQL, one transaction":
            kw = dict(ratio=1.0, ref="raw")
        elif side.startswith("dbcare CLI"):
            slowest_peer_ok = all(m < median(times[p]) for p in peers) if peers else None
            kw = dict(target="faster than every peer" if peers else None, met=slowest_peer_ok,
                      note="load files + apply, one process")
            cli_raw = times.get("raw SQL CLI")
            if cli_raw:
                kw.update(ratio=m / median(cli_raw), ref="raw CLI")
        elif side == "raw SQL CLI":
            kw = dict(ratio=1.0, ref="raw CLI", note="one process, script from a file")
        else:
            base = times.get("dbcare CLI (dbmigrate_load + apply)") or times.get("raw SQL CLI")
            if base:
                ref = "dbcare CLI" if "dbcare CLI (dbmigrate_load + apply)" in times else "raw CLI"
                kw = dict(ratio=m / median(base), ref=ref)
        tx = TX_ONE if side in TARGET_PAIR or "CLI" in side else TX_TOOL
        b.add("migrate", engine, f"{N} migrations", side, m, len(ts), tx=tx, **kw)


def cpu_rows(b, engine, cpu_times, note):
    """The CPU time of raw and of dbcare's apply in the same runs, beside the
    wall times: the work itself, without the machine's I/O and scheduling
    noise, which moves the wall ratio by several per cent between runs."""
    raw, dbcare = cpu_times.get("raw", []), cpu_times.get("dbcare", [])
    if not raw or len(raw) != len(dbcare):
        return
    size = f"{N} migrations"
    b.add("migrate", engine, size, "raw SQL, one transaction: CPU", median(raw), len(raw),
          ratio=1.0, ref="raw CPU", tx=TX_ONE)
    b.add("migrate", engine, size, "dbcare dbmigrate_apply(): CPU", median(dbcare), len(dbcare),
          ratio=median(dbcare) / median(raw), ref="raw CPU", note=note, tx=TX_ONE)


# ------------------------------------------------------------------ SQLite

def run_sqlite(b, dirs, root):
    has_dbcare = module_has("dbmigrate_apply")
    raw_sql = open(os.path.join(root, "raw.sql")).read()
    add_costs = []
    cpu_times = {}

    def fresh(name):
        d = os.path.join(b.work, "mig_" + name)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        return os.path.join(d, "test.db")

    def raw():
        c = sqlite_connect(fresh("raw"), load=False)
        t = timed_cpu(lambda: c.executescript(raw_sql), cpu_times.setdefault("raw", []))
        c.close()
        return t

    def dbcare():
        c = sqlite_connect(fresh("dbcare"))
        t0 = time.perf_counter()
        c.execute("BEGIN")
        for i in range(1, N + 1):
            c.execute("SELECT dbmigrate_add(?, ?, ?, ?)", (str(i), f"m{i:05d}", migration(i), down(i)))
        c.execute("COMMIT")
        add_costs.append((time.perf_counter() - t0) * 1000)
        t = timed_cpu(lambda: c.execute("SELECT dbmigrate_apply()").fetchone(),
                      cpu_times.setdefault("dbcare", []))
        got = c.execute("SELECT count(*) FROM sqlite_schema WHERE name LIKE 'm%' AND type = 'table'").fetchone()[0]
        c.close()
        if got != N:
            raise RuntimeError(f"dbmigrate_apply created {got} tables, not {N}")
        return t

    def raw_cli():
        db = fresh("rawcli")
        with open(os.path.join(root, "raw.sql")) as f:
            t0 = time.perf_counter()
            subprocess.run(["sqlite3", "-batch", db], stdin=f, check=True, capture_output=True)
            return time.perf_counter() - t0

    def dbcare_cli():
        db = fresh("dbcarecli")
        return run_cli(["sqlite3", "-batch", "-cmd", f".load {MODULE}", db,
                        f"SELECT dbmigrate_load('{dirs['dbcare']}')", "SELECT dbmigrate_apply()"])

    def dbmate():
        db = fresh("dbmate")
        return run_cli([DBMATE, "--url", f"sqlite:{db}", "--migrations-dir", dirs["dbmate"],
                        "--no-dump-schema", "up"])

    def sqitch():
        db = fresh("sqitch")
        return run_cli(["sqitch", "deploy", f"db:sqlite:{db}"], cwd=dirs["sqitch_sqlite"], env=sqitch_env())

    sides = {"raw SQL, one transaction": raw}
    if has_dbcare:
        sides["dbcare dbmigrate_apply()"] = dbcare
        sides["dbcare CLI (dbmigrate_load + apply)"] = dbcare_cli
    else:
        b.skip("migrate (dbcare, SQLite)", "dbmigrate_* is not in this build")
    sides["raw SQL CLI"] = raw_cli
    if os.path.exists(DBMATE):
        sides["dbmate up"] = dbmate
    else:
        b.skip("migrate (dbmate)", "dbmate is not installed (npm)")
    if shutil.which("sqitch"):
        sides["Sqitch deploy"] = sqitch
    else:
        b.skip("migrate (Sqitch)", "sqitch is not installed")
    times = interleave_sides(sides)
    verdicts(b, "sqlite", times, median(add_costs) if add_costs else 0)
    cpu_rows(b, "sqlite", cpu_times, "CPU time of this process in the same runs")


# ------------------------------------------------------------------ PostgreSQL

def run_pg(b, dirs, root):
    pg = b.pg
    raw_sql = open(os.path.join(root, "raw.sql")).read()
    add_costs = []
    cpu_times = {}
    made = []

    def fresh(ext=()):
        name = pg.fresh_db("mig", ext)
        made.append(name)
        return name

    def timed_side(s, sql, cpu_key):
        """Times one statement after a checkpoint: dirty pages left by the side
        before (or by the preparation) are written out first, not during it.
        The backend's CPU time is kept beside the wall time: it is the work
        itself, without the machine's I/O and scheduling noise."""
        pid = s.value("SELECT pg_backend_pid()")
        pg.admin().exec("CHECKPOINT")
        ms, cpu = s.timed_with_cpu(sql, pid)
        if cpu is not None:
            cpu_times.setdefault(cpu_key, []).append(cpu)
        return ms / 1000.0

    def raw():
        db = fresh()
        s = pg.session(db)
        t = timed_side(s, raw_sql, "raw")
        s.close()
        return t

    def dbcare():
        db = fresh(("dbcare",))
        s = pg.session(db)
        t0 = time.perf_counter()
        s.exec("BEGIN")
        for i in range(1, N + 1):
            q = lambda x: "'" + x.replace("'", "''") + "'"  # noqa: E731
            s.exec(f"SELECT dbmigrate_add({q(str(i))}, {q(f'm{i:05d}')}, {q(migration(i))}, {q(down(i))})")
        s.exec("COMMIT")
        add_costs.append((time.perf_counter() - t0) * 1000)
        t = timed_side(s, "SELECT dbmigrate_apply()", "dbcare")
        got = int(s.value("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'm%'"))
        s.close()
        if got != N:
            raise RuntimeError(f"dbmigrate_apply created {got} tables, not {N}")
        return t

    def psql(db, *args):
        env = dict(os.environ, PGHOST=pg.host, PGPORT=pg.port, PGUSER=pg.user)
        return run_cli([os.path.join(pg.bin, "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db, *args], env=env)

    def raw_cli():
        return psql(fresh(), "-1", "-f", os.path.join(root, "raw.sql"))

    def dbcare_cli():
        return psql(fresh(("dbcare",)), "-c", f"SELECT dbmigrate_load('{dirs['dbcare']}')",
                    "-c", "SELECT dbmigrate_apply()")

    def dbmate():
        return run_cli([DBMATE, "--url", pg.url(fresh()), "--migrations-dir", dirs["dbmate"],
                        "--no-dump-schema", "up"])

    def sqitch():
        env = sqitch_env()
        env["PATH"] = pg.bin + os.pathsep + env.get("PATH", "")
        return run_cli(["sqitch", "deploy", f"db:pg://{pg.user}@127.0.0.1:{pg.port}/{fresh()}"],
                       cwd=dirs["sqitch_pg"], env=env)

    sides = {"raw SQL, one transaction": raw}
    has_dbcare = pg.dbcare and pg.admin().value(
        "SELECT count(*) FROM pg_available_extensions WHERE name = 'dbcare'") == "1"
    if has_dbcare:
        probe = pg.fresh_db("probe", ("dbcare",))
        s = pg.session(probe)
        has_dbcare = s.value("SELECT count(*) FROM pg_proc WHERE proname = 'dbmigrate_apply'") != "0"
        s.close()
        pg.drop_db(probe)
    if has_dbcare:
        sides["dbcare dbmigrate_apply()"] = dbcare
        sides["dbcare CLI (dbmigrate_load + apply)"] = dbcare_cli
    else:
        b.skip("migrate (dbcare, PostgreSQL)", "dbmigrate_* is not in this build")
    sides["raw SQL CLI"] = raw_cli
    if os.path.exists(DBMATE):
        sides["dbmate up"] = dbmate
    if shutil.which("sqitch"):
        sides["Sqitch deploy"] = sqitch

    def cleanup_after(fn):
        def wrapped():
            t = fn()
            while made:
                pg.drop_db(made.pop())
            return t
        return wrapped

    times = interleave_sides({k: cleanup_after(v) for k, v in sides.items()})
    verdicts(b, "postgresql", times, median(add_costs) if add_costs else 0)
    cpu_rows(b, "postgresql", cpu_times, "CPU time of the server process in the same runs")


def run(b):
    root = os.path.join(b.work, "migrations")
    dirs = write_projects(root)
    run_sqlite(b, dirs, root)
    if b.pg:
        run_pg(b, dirs, root)
    else:
        b.skip("migrate (PostgreSQL)", "no PostgreSQL cluster")
