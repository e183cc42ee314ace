"""bench_online.py — `dbcare migrate --online` under a client load (issue 70's
bars, docs/migrations.md "Online"). A cluster of its own at the server's
stock settings but for log_lock_waits = on (and a log_line_prefix naming
each session's application, to tell the clients' waits from the
migration's): test/bench/pg_cluster.sh --stock. A table of 1,000,000 rows
(100,000 in quick mode); pgbench's highest rate on it is measured briefly,
then its clients run at RATE_SHARE of it (pgbench -R: a steady arrival
rate, each transaction's latency counted from its scheduled start) a mix of
primary-key SELECTs, single-row UPDATEs and INSERTs: first alone (the
baseline), then while `dbcare migrate --online` runs each operation the
recipes rewrite, one migration each: ALTER COLUMN TYPE, ADD COLUMN ... NOT
NULL with a volatile default (a backfill), CREATE INDEX, ADD FOREIGN KEY,
ADD CHECK, RENAME. Rows: the clients' p99 latency during each operation
against the baseline's (target ≤ 2×), the clients' errors (target 0), the
clients' lock waits the server logged (log_lock_waits: a wait past
deadlock_timeout, 1 s; target 0); each operation's row also names what
the migration's session was running when the clients' transactions slower
than the baseline's p99 ended (the server logs that session's statements
alone, with their times: MIGRATION_LOG), and its longest statements; a
backfill of another table of as many rows while pgbench inserts 2,000 rows
a second into it (target: it finishes); and the schema after the online
run against the same migrations applied plainly to a database seeded alike
(dbcare schema fingerprint: target equal)."""
import atexit
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time

import benchlib
from benchlib import QUICK, ROOT

# the clients' transactions: one statement each, autocommit
TX = benchlib.TX_EACH_STATEMENT

CLI = os.path.join(ROOT, "build", "cli", "dbcare")
PG_CLUSTER = os.path.join(ROOT, "test", "bench", "pg_cluster.sh")
ROWS = 100_000 if QUICK else 1_000_000
CLIENTS = 4
# the share of the highest rate measured the clients run at: at the highest
# rate itself a 2-core machine has no CPU left for the migration, and the
# clients' queue (counted in their latency) grows without bound
RATE_SHARE = float(os.environ.get("BENCH_ONLINE_SHARE", "0.3"))
PROBE_S = 3 if QUICK else 10
BASELINE_S = 10 if QUICK else 30
# pgbench runs in segments of SEGMENT_S seconds, back to back, for as long
# as a migration runs (a pgbench stopped early loses its log's tail)
SEGMENT_S = 2
SETTLE_S = 1.0
# the clients run alone for PRE_S before each migration starts: those
# windows join the baseline, so drift of a shared machine over the run
# weighs on both sides of the ratio
PRE_S = 3.0 if QUICK else 5.0
FEED_RATE = 2000
FEED_TIMEOUT_S = 300 if QUICK else 1200
P99_TARGET = 2.0
# the migration's session (alone: the clients' are not logged) has the
# server log each of its statements with its time, so a slow client
# transaction is put down to what the migration ran when it ended
MIGRATION_LOG = "-c log_min_duration_statement=0"

SEED = """
CREATE EXTENSION IF NOT EXISTS dbcare;
CREATE TABLE accounts (id int PRIMARY KEY);
INSERT INTO accounts SELECT generate_series(1, 1000);
CREATE TABLE items (id bigserial PRIMARY KEY, account int NOT NULL, note text,
                    label text, qty int NOT NULL);
INSERT INTO items (account, note, label, qty)
  SELECT 1 + g % 1000, 'note ' || g, 'label ' || g, g % 100 FROM generate_series(1, {rows}) g;
CREATE TABLE feed (id bigserial PRIMARY KEY, v int NOT NULL);
INSERT INTO feed (v) SELECT g % 1000 FROM generate_series(1, {rows}) g;
"""

# (side, file name, migration): one migration per operation, in this order
# on the same table; the type change first, on the table's last column, so
# the online schema keeps the plain one's column order
OPERATIONS = [
    ("ALTER COLUMN TYPE", "qty_bigint",
     "ALTER TABLE items ALTER COLUMN qty TYPE bigint;"),
    ("ADD COLUMN ... NOT NULL (backfill)", "token",
     "ALTER TABLE items ADD COLUMN token uuid NOT NULL DEFAULT gen_random_uuid();"),
    ("CREATE INDEX", "items_note",
     "CREATE INDEX items_note ON items (note);"),
    ("ADD FOREIGN KEY", "items_account_fk",
     "ALTER TABLE items ADD CONSTRAINT items_account_fk FOREIGN KEY (account)"
     " REFERENCES accounts (id);"),
    ("ADD CHECK", "items_qty_check",
     "ALTER TABLE items ADD CONSTRAINT items_qty_check CHECK (qty >= 0);"),
    ("RENAME COLUMN", "label_title",
     "ALTER TABLE items RENAME COLUMN label TO title;"),
]
FEED = ("feed_token", "ALTER TABLE feed ADD COLUMN token uuid NOT NULL DEFAULT gen_random_uuid();")

# the clients' mix (pgbench -f FILE@weight), by script number in the log
WORKLOAD = [
    ("select", 6, "\\set id random(1, {rows})\nSELECT account, qty FROM items WHERE id = :id;\n"),
    ("update", 3, "\\set id random(1, {rows})\nUPDATE items SET qty = qty + 1 WHERE id = :id;\n"),
    ("insert", 1, "\\set a random(1, 1000)\n"
                  "INSERT INTO items (account, note, qty) VALUES (:a, 'new', 1);\n"),
]
FEED_SCRIPT = "\\set v random(1, 1000)\nINSERT INTO feed (v) VALUES (:v);\n"


def percentile(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p / 100.0))] if xs else None


class Cluster:
    """The bench's own cluster (pg_cluster.sh --stock), stopped on every path."""

    def __init__(self):
        base = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
        self.dir = tempfile.mkdtemp(prefix="dbcare-bench-online-", dir=base)
        atexit.register(self.stop)
        r = subprocess.run([PG_CLUSTER, "start", self.dir, "--stock", "log_lock_waits = on",
                            "log_line_prefix = '%n [%p] %a '"], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("the stock cluster did not start: " + r.stderr.strip()[-300:])
        self.pg = benchlib.PgCluster.from_file(os.path.join(self.dir, "env"))
        self.log = os.path.join(self.dir, "postgres.log")

    def stop(self):
        if self.dir:
            subprocess.run([PG_CLUSTER, "stop", self.dir], capture_output=True)
            self.dir = None

    def log_size(self):
        return os.path.getsize(self.log)

    def text_since(self, since):
        with open(self.log, errors="replace") as f:
            f.seek(since)
            return f.read()

    def lock_waits(self, since):
        """The log_lock_waits lines written after offset since, by the
        application that waited: {application: count}."""
        out = {}
        for m in re.finditer(r"^\S+ \[\d+\] (\S*) ?LOG:  process \d+ still waiting for",
                             self.text_since(since), re.M):
            out[m.group(1) or "?"] = out.get(m.group(1) or "?", 0) + 1
        return out

    def migration_statements(self, since):
        """The statements the migration's session ran after offset since
        (MIGRATION_LOG makes the server log each one with its time):
        [(start epoch s, end epoch s, what)], what being the dbcare function
        a statement calls, else its first word."""
        out = []
        for m in re.finditer(r"^(\d+\.\d+) \[\d+\] dbcare LOG:  duration: ([0-9.]+) ms  "
                             r"(?:statement|execute [^:]*): (.*)$", self.text_since(since), re.M):
            end, ms = float(m.group(1)), float(m.group(2))
            call = re.search(r"\b(db[a-z_]+)\(", m.group(3))
            what = call.group(1) if call else (m.group(3).split() or ["?"])[0]
            out.append((end - ms / 1000.0, end, what))
        return out


class Load:
    """pgbench clients in segments of SEGMENT_S seconds, back to back, from
    start() until stop() (at least min_s); each segment's per-transaction
    log is kept. transactions() gives (end epoch s, latency ms, script)."""

    def __init__(self, pg, db, work, scripts, rate, clients, tag):
        self.pg, self.db, self.scripts, self.rate, self.clients = pg, db, scripts, rate, clients
        self.dir = os.path.join(work, tag)
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        self.stopping = threading.Event()
        self.errors, self.aborted, self.segments, self.failure = 0, 0, 0, None
        self.thread = None

    def pgbench(self, seconds, rate=None, log=True):
        cmd = [os.path.join(self.pg.bin, "pgbench"), "-h", self.pg.host, "-p", self.pg.port,
               "-U", self.pg.user, "-n", "-c", str(self.clients), "-j", "2", "-T", str(seconds)]
        if rate:
            cmd += ["-R", str(rate)]
        if log:
            self.segments += 1
            cmd += ["-l", "--log-prefix", os.path.join(self.dir, f"seg{self.segments}")]
        for path, weight in self.scripts:
            cmd += ["-f", f"{path}@{weight}"]
        r = subprocess.run(cmd + [self.db], capture_output=True, text=True)
        m = re.search(r"number of failed transactions: (\d+)", r.stdout)
        self.errors += int(m.group(1)) if m else 0
        self.aborted += len(re.findall(r"client \d+ aborted", r.stderr))
        if r.returncode not in (0, 2) or not re.search(r"tps = ", r.stdout):
            raise RuntimeError(f"pgbench failed ({r.returncode}): {r.stderr.strip()[-300:]}")
        return float(re.search(r"tps = ([0-9.]+)", r.stdout).group(1))

    def start(self, min_s=0):
        def loop():
            t_end = time.time() + min_s
            try:
                while not self.stopping.is_set() or time.time() < t_end:
                    self.pgbench(SEGMENT_S, self.rate)
            except Exception as e:  # reported by stop()
                self.failure = e
        self.thread = threading.Thread(target=loop, daemon=True)
        self.thread.start()

    def stop(self):
        self.stopping.set()
        self.thread.join()
        if self.failure:
            raise self.failure

    def transactions(self):
        out = []
        for name in os.listdir(self.dir):
            with open(os.path.join(self.dir, name)) as f:
                for line in f:
                    p = line.split()
                    # client transaction time script epoch us [lag]: time is
                    # from the scheduled start (lag included) to the end
                    if len(p) >= 6 and p[2].isdigit():
                        end = int(p[4]) + int(p[5]) / 1e6
                        out.append((end, int(p[2]) / 1000.0, int(p[3])))
        return out


def window(txns, t0, t1):
    """(end epoch s, latency ms) of the transactions running at some moment
    in [t0, t1]."""
    return [(end, ms) for end, ms, _ in txns if end >= t0 and end - ms / 1000.0 <= t1]


def slow_by_statement(win, statements, slow_ms):
    """The window's transactions slower than slow_ms, counted by what the
    migration's session ran when each ended: the dbcare function its
    statement called, "its start" before its first statement (the command
    starting, connecting), "between statements" otherwise; the largest
    counts first, as text."""
    first = min((s for s, _, _ in statements), default=None)
    counts = {}
    for end, ms in win:
        if ms <= slow_ms:
            continue
        what = next((w for s, e, w in statements if s <= end <= e), None)
        if what is None:
            what = "its start" if first is None or end < first else "between statements"
        counts[what] = counts.get(what, 0) + 1
    return ", ".join(f"{w} {n}" for w, n in sorted(counts.items(), key=lambda x: -x[1])[:4])


def longest_statements(statements, n=3):
    """The migration's n longest statements, as text."""
    top = sorted(statements, key=lambda x: x[0] - x[1])[:n]
    return ", ".join(f"{w} {(e - s) * 1000:.0f} ms" for s, e, w in top)


def cli(args, pg, db, **extra_env):
    env = dict(os.environ, DBCARE_MODULE=benchlib.MODULE, **extra_env)
    env.pop("DATABASE_URL", None)
    r = subprocess.run([CLI] + args + ["--db", pg.conninfo(db)], capture_output=True, text=True,
                       env=env)
    if r.returncode != 0:
        raise RuntimeError(f"dbcare {' '.join(args)} failed ({r.returncode}): "
                           + (r.stderr or r.stdout).strip()[-400:])
    return r.stdout + r.stderr


def seed(pg, db, rows):
    s = pg.session(db)
    for stmt in [x for x in SEED.format(rows=rows).split(";\n") if x.strip()]:
        s.exec(stmt)
    s.exec("VACUUM ANALYZE")
    s.close()


def migrate_online(pg, db, mig_dir, name, sql, n):
    """Writes migration n and runs `dbcare migrate --online`; (t0, t1, output)."""
    with open(os.path.join(mig_dir, f"V{n}__{name}.sql"), "w") as f:
        f.write(sql + "\n")
    t0 = time.time()
    out = cli(["migrate", "--dir", mig_dir, "--online"], pg, db, PGOPTIONS=MIGRATION_LOG)
    return t0, time.time(), out


def run(b):
    if not os.path.exists(CLI):
        b.skip("online", "build/cli/dbcare is not built (make cli)")
        return
    if not shutil.which("pg_config") or not os.path.exists(os.path.join(benchlib.BUILD, "pgtime")):
        b.skip("online", "no PostgreSQL (pg_config, build/bench/pgtime)")
        return
    cluster = Cluster()
    try:
        if not cluster.pg.dbcare:
            b.skip("online", "dbcare could not be installed into the stock cluster")
            return
        measure(b, cluster)
    finally:
        cluster.stop()


def scripts_for(b, entries, rows):
    out = []
    for name, weight, text in entries:
        path = os.path.join(b.work, f"online_{name}.sql")
        with open(path, "w") as f:
            f.write(text.format(rows=rows))
        os.chmod(path, 0o644)
        out.append((path, weight))
    return out


def measure(b, cluster):
    pg = cluster.pg
    db = pg.fresh_db("online")
    seed(pg, db, ROWS)
    mig_dir = os.path.join(b.work, "online_migrations")
    os.makedirs(mig_dir, exist_ok=True)
    scripts = scripts_for(b, WORKLOAD, ROWS)

    probe = Load(pg, db, b.work, scripts, None, CLIENTS, "online_probe")
    top = probe.pgbench(PROBE_S, log=False)
    rate = max(1, int(top * RATE_SHARE))
    size = f"{ROWS:,} rows, {CLIENTS} clients at {rate:,} tx/s"
    benchlib.log(f"  online: highest rate {top:,.0f} tx/s; the clients run at {rate:,}")

    base = Load(pg, db, b.work, scripts, rate, CLIENTS, "online_base")
    base.start(BASELINE_S)
    base.stop()
    base_ms = [ms for _, ms, _ in base.transactions()]
    base_errors = base.errors + base.aborted

    during, errors, waits, migration_waits = [], [], [], 0
    for n, (op, name, sql) in enumerate(OPERATIONS, start=2):
        load = Load(pg, db, b.work, scripts, rate, CLIENTS, f"online_{name}")
        log_at = cluster.log_size()
        load.start()
        time.sleep(PRE_S)
        try:
            t0, t1, out = migrate_online(pg, db, mig_dir, name, sql, n)
            time.sleep(SETTLE_S)
        finally:
            load.stop()
        txns = load.transactions()
        # the clients alone, from their first second on (a segment's start
        # pays its connections) until the migration starts
        base_ms += [ms for end, ms, _ in txns if end < t0 and end - ms / 1000.0 > t0 - PRE_S + 1]
        during.append((op, sql, t0, t1, window(txns, t0, t1), out,
                       cluster.migration_statements(log_at)))
        by_app = cluster.lock_waits(log_at)
        client_waits = by_app.get("pgbench", 0)
        migration_waits += sum(v for k, v in by_app.items() if k != "pgbench")
        errors.append(f"{op} {load.errors + load.aborted}")
        waits.append(f"{op} {client_waits}")

    base_p99 = percentile(base_ms, 99)
    b.add("online", "postgresql", size, "clients' p99 latency, no migration (baseline)", base_p99,
          len(base_ms), ratio=1.0, ref="baseline p99",
          note=f"pgbench -R {rate} ({RATE_SHARE:.0%} of the {top:,.0f} tx/s measured), "
               f"{BASELINE_S} s, then {PRE_S:g} s before each migration less its first second; "
               f"p50 {percentile(base_ms, 50):.2f} ms; {base_errors} errors; mix 6 SELECT by "
               f"key : 3 single-row UPDATE : 1 INSERT, a transaction each; latency from the "
               f"scheduled start")
    for op, sql, t0, t1, win, out, statements in during:
        lat = [ms for _, ms in win]
        p99 = percentile(lat, 99)
        ratio = p99 / base_p99 if p99 is not None and base_p99 else None
        b.add("online", "postgresql", size, f"clients' p99 latency during {op}", p99, len(lat),
              ratio=ratio, ref="baseline p99", target=f"≤ {P99_TARGET:g}× baseline",
              met=ratio is not None and ratio <= P99_TARGET,
              note=f"`{sql}` ran {t1 - t0:.1f} s; p50 {percentile(lat, 50):.2f} ms, max "
                   f"{max(lat):.0f} ms; {len(lat)} transactions in the window; those over "
                   f"the baseline p99 ended during: "
                   f"{slow_by_statement(win, statements, base_p99) or 'none'}; its longest "
                   f"statements (server time): {longest_statements(statements)}"
                   + throttle_note(out))
    total_errors = sum(int(e.rsplit(" ", 1)[1]) for e in errors)
    total_waits = sum(int(w.rsplit(" ", 1)[1]) for w in waits)
    b.add("online", "postgresql", size, "clients' errors during the operations", None, len(errors),
          target="0", met=total_errors == 0,
          note="pgbench's failed transactions and aborted clients: " + ", ".join(errors))
    b.add("online", "postgresql", size, "clients' lock waits logged during the operations", None,
          len(waits), target="0", met=total_waits == 0,
          note="log_lock_waits lines of the pgbench sessions (a wait past deadlock_timeout, 1 s): "
               + ", ".join(waits) + f"; the migration's own: {migration_waits}")

    feed(b, cluster, db, mig_dir, len(OPERATIONS) + 2)
    fingerprint(b, pg, db, mig_dir)
    pg.drop_db(db)


def throttle_note(out):
    last = [ln for ln in out.splitlines() if "filled in batches" in ln]
    return "; " + last[-1].strip() if last else ""


def feed(b, cluster, db, mig_dir, n):
    """The backfill of a ROWS-row table while FEED_RATE rows a second are
    inserted into it."""
    pg = cluster.pg
    name, sql = FEED
    load = Load(pg, db, b.work, scripts_for(b, [("feed", 1, FEED_SCRIPT)], ROWS),
                FEED_RATE, 2, "online_feed")
    s = pg.session(db)
    before = int(s.value("SELECT count(*) FROM feed"))
    load.start()
    time.sleep(SETTLE_S)
    done = threading.Event()
    result = {}

    def migrate():
        try:
            result["t"] = migrate_online(pg, db, mig_dir, name, sql, n)
        except Exception as e:  # reported below
            result["e"] = e
        done.set()
    threading.Thread(target=migrate, daemon=True).start()
    finished = done.wait(FEED_TIMEOUT_S)
    load.stop()
    if not finished:  # the migration's process is left to end with the cluster
        b.add("online", "postgresql", f"{ROWS:,} rows + {FEED_RATE:,} inserts/s",
              "backfill while rows are inserted (time to finish)", None, 1,
              target="finishes", met=False, note=f"not finished after {FEED_TIMEOUT_S} s")
        return
    if "e" in result:
        raise result["e"]
    t0, t1, out = result["t"]
    txns = load.transactions()
    inserted = len(window(txns, t0, t1))
    after = int(s.value("SELECT count(*) FROM feed"))
    nulls = int(s.value("SELECT count(*) FROM feed WHERE token IS NULL"))
    s.close()
    b.add("online", "postgresql", f"{ROWS:,} rows + {FEED_RATE:,} inserts/s",
          "backfill while rows are inserted (time to finish)", (t1 - t0) * 1000.0, 1,
          target="finishes", met=nulls == 0,
          note=f"`{sql}`; {inserted / (t1 - t0):,.0f} inserts/s reached meanwhile "
               f"({after - before:,} rows inserted in all), {nulls} NULL tokens after;"
               f" {load.errors + load.aborted} insert errors" + throttle_note(out))


def fingerprint(b, pg, db, mig_dir):
    """The schema the online runs left against the same migrations applied
    plainly to a database seeded alike (fewer rows: the schema is compared)."""
    plain = pg.fresh_db("online_plain")
    seed(pg, plain, 1000)
    cli(["migrate", "--dir", mig_dir, "--quiet"], pg, plain)
    fp_online = cli(["schema", "fingerprint"], pg, db).strip()
    fp_plain = cli(["schema", "fingerprint"], pg, plain).strip()
    pg.drop_db(plain)
    b.add("online", "postgresql", f"{len(OPERATIONS) + 1} migrations",
          "schema after --online vs plain migrate (dbcare schema fingerprint)", None, 1,
          target="equal", met=fp_online == fp_plain,
          note=("equal: " if fp_online == fp_plain else f"plain {fp_plain[:16]}, online ")
               + fp_online[:16])
