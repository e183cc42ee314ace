"""bench_cli.py — the dbcare command (build/cli/dbcare) against the same SQL
run raw by the engine's own shell, and against dbmate, in one run:

- 1,000 migration files (bench_migrate's: CREATE TABLE, a 3-row INSERT,
  CREATE INDEX each) applied by `dbcare migrate` (files read on the client,
  registered through dbmigrate_add_all on SQLite (one call) and
  dbmigrate_add per file on PostgreSQL, applied by dbmigrate_apply in one
  transaction) against `sqlite3 < file` and `psql -1 -f file`: target
  ≤ 1.2× raw; dbmate up beside them.
- a fleet of 1,000 SQLite files × 10 migrations with `--jobs 2` (two worker
  processes, each taking file after file) against a shell loop running the
  same SQL with sqlite3 per file: target ≤ 1.3×.
- the same fleet rolled out as a user would (`--canary 10 --max-failures
  5`, the canaries first, then the rest): target ≤ 60 s for the 1,000
  files (test/script/sqlite_cli_fleet_thousand.sh checks its correctness).
"""
import os
import shutil
import subprocess

import bench_migrate as bm
import benchlib
from benchlib import MODULE, QUICK, REPS, ROOT, interleave, median

# the transaction mode of every row that does not state its own
TX = benchlib.TX_TOOL

CLI = os.path.join(ROOT, "build", "cli", "dbcare")
FLEET = 200 if QUICK else 1000
FLEET_MIGRATIONS = 10
TARGET = 1.2
FLEET_TARGET = 1.3
ROLLOUT_TARGET_S = 60


def cli_env(extra=None):
    env = dict(os.environ, DBCARE_MODULE=MODULE)
    env.pop("DATABASE_URL", None)
    env.update(extra or {})
    return env


def rows(b, engine, size, times, raw_side, cli_side, target, note):
    raw = median(times[raw_side])
    for side, ts in times.items():
        m = median(ts)
        kw = dict(ratio=m / raw, ref="raw CLI")
        if side == cli_side:
            ok = m / raw <= target
            peers = [k for k in times if k.startswith("dbmate")]
            faster = all(m < median(times[p]) for p in peers)
            kw.update(target=f"≤ {target}× raw" + (", faster than dbmate" if peers else ""),
                      met=ok and faster, note=note)
        b.add("cli", engine, size, side, m, len(ts), **kw)


def migrate_sqlite(b, dirs, root):
    def fresh(name):
        d = os.path.join(b.work, "cli_" + name)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        return os.path.join(d, "test.db")

    def raw():
        db = fresh("raw")
        with open(os.path.join(root, "raw.sql")) as f:
            return bm.run_cli_stdin(["sqlite3", "-batch", db], f)

    def dbcare():
        return bm.run_cli([CLI, "migrate", "--quiet", "--db", "sqlite:" + fresh("dbcare"),
                           "--dir", dirs["dbcare"]], env=cli_env())

    def dbmate():
        return bm.run_cli([bm.DBMATE, "--url", "sqlite:" + fresh("dbmate"), "--migrations-dir",
                           dirs["dbmate"], "--no-dump-schema", "up"])

    sides = {"raw SQL CLI (sqlite3 < file)": raw, "dbcare migrate": dbcare}
    if os.path.exists(bm.DBMATE):
        sides["dbmate up"] = dbmate
    else:
        b.skip("cli (dbmate, SQLite)", "dbmate could not be installed (npm); its column is left out")
    times = interleave(sides, REPS)
    rows(b, "sqlite", f"{bm.N} migrations", times, "raw SQL CLI (sqlite3 < file)", "dbcare migrate",
         TARGET, "read files, dbmigrate_add_all, dbmigrate_apply; one process")


def migrate_pg(b, dirs, root):
    pg = b.pg
    made = []

    def fresh(ext=()):
        name = pg.fresh_db("cli", ext)
        made.append(name)
        return name

    env = cli_env(dict(PGHOST=pg.host, PGPORT=pg.port, PGUSER=pg.user))

    def raw():
        return bm.run_cli([os.path.join(pg.bin, "psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1",
                           "-d", fresh(), "-1", "-f", os.path.join(root, "raw.sql")], env=env)

    def dbcare():
        return bm.run_cli([CLI, "migrate", "--quiet", "--db", pg.conninfo(fresh(("dbcare",))),
                           "--dir", dirs["dbcare"]], env=env)

    def dbmate():
        return bm.run_cli([bm.DBMATE, "--url", pg.url(fresh()), "--migrations-dir", dirs["dbmate"],
                           "--no-dump-schema", "up"])

    def cleanup_after(fn):
        def wrapped():
            pg.admin().exec("CHECKPOINT")
            t = fn()
            while made:
                pg.drop_db(made.pop())
            return t
        return wrapped

    sides = {"raw SQL CLI (psql -1 -f)": raw, "dbcare migrate": dbcare}
    if os.path.exists(bm.DBMATE):
        sides["dbmate up"] = dbmate
    times = interleave({k: cleanup_after(v) for k, v in sides.items()}, REPS)
    rows(b, "postgresql", f"{bm.N} migrations", times, "raw SQL CLI (psql -1 -f)", "dbcare migrate",
         TARGET, "read files, dbmigrate_add each, dbmigrate_apply; one process")


def fleet(b):
    root = os.path.join(b.work, "cli_fleet")
    mig = os.path.join(root, "migrations")
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(mig)
    for i in range(1, FLEET_MIGRATIONS + 1):
        with open(os.path.join(mig, f"V{i}__m{i:05d}.sql"), "w") as f:
            f.write(bm.migration(i))
    raw_sql = os.path.join(root, "raw.sql")
    with open(raw_sql, "w") as f:
        f.write("BEGIN;\n" + "".join(bm.migration(i) for i in range(1, FLEET_MIGRATIONS + 1)) + "COMMIT;\n")

    def tenants(name):
        d = os.path.join(root, name)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        for i in range(FLEET):
            open(os.path.join(d, f"t{i:05d}.db"), "wb").close()
        return d

    def raw():
        d = tenants("raw")
        return bm.run_cli(["bash", "-c", 'for f in "$1"/*.db; do sqlite3 -batch "$f" < "$2" || exit 1; done',
                           "loop", d, raw_sql])

    def dbcare():
        d = tenants("dbcare")
        return bm.run_cli([CLI, "migrate", "--quiet", "--jobs", "2", "--db", f"sqlite:{d}/*.db",
                           "--dir", mig], env=cli_env())

    def rollout():
        d = tenants("rollout")
        return bm.run_cli([CLI, "migrate", "--quiet", "--jobs", "2", "--canary", "10",
                           "--max-failures", "5", "--db", f"sqlite:{d}/*.db", "--dir", mig],
                          env=cli_env())

    rollout_side = "dbcare migrate --jobs 2 --canary 10 --max-failures 5"
    times = interleave({"raw SQL, shell loop of sqlite3": raw, "dbcare migrate --jobs 2": dbcare,
                        rollout_side: rollout}, REPS)
    spent = times.pop(rollout_side)
    size = f"{FLEET} files × {FLEET_MIGRATIONS} migrations"
    rows(b, "sqlite", size, times, "raw SQL, shell loop of sqlite3", "dbcare migrate --jobs 2",
         FLEET_TARGET, "a glob, 2 worker processes taking file after file")
    m = median(spent)
    # the 60 s target is for 1,000 files: quick mode's 200 give no verdict
    verdict = {} if QUICK else dict(target=f"≤ {ROLLOUT_TARGET_S} s",
                                     met=m <= ROLLOUT_TARGET_S * 1000)
    b.add("cli", "sqlite", size, rollout_side, m, len(spent),
          note="a rollout: the 10 canaries first, the rest only when none failed", **verdict)


def run(b):
    if not os.path.exists(CLI):
        b.skip("cli", "build/cli/dbcare is not built (make cli)")
        return
    root = os.path.join(b.work, "cli_migrations")
    dirs = bm.write_projects(root)
    migrate_sqlite(b, dirs, root)
    if b.pg and b.pg.dbcare:
        migrate_pg(b, dirs, root)
    else:
        b.skip("cli (PostgreSQL)", "no PostgreSQL cluster with dbcare")
    fleet(b)
