"""bench_online.py — `dbcare migrate --online` under a client load (issue 70's
bars, docs/migrations.md "Online"). A cluster of its own at the server's
stock settings but for log_lock_waits = on, a log_line_prefix naming each
session's application (to tell the clients' waits from the migration's)
and log_autovacuum_min_duration = 0 (each autovacuum run logged with its
time and CPU, for the attribution below; logging only):
test/bench/pg_cluster.sh --stock. A table of 1,000,000 rows (100,000 in
quick mode); pgbench's highest rate on it is measured briefly, then its
clients run at RATE_SHARE of it (pgbench -R: a steady arrival rate, each
transaction's latency counted from its scheduled start) a mix of
primary-key SELECTs, single-row UPDATEs and INSERTs, without a pause from
the first window to the last: BETWEEN_S alone (a baseline window), then
while `dbcare migrate --online` runs an operation the recipes rewrite, one
migration each (ALTER COLUMN TYPE, ADD COLUMN ... NOT NULL with a volatile
default (a backfill), CREATE INDEX, ADD FOREIGN KEY, ADD CHECK, RENAME),
then alone again, and so on. A short operation (CREATE INDEX, ADD FOREIGN
KEY, ADD CHECK, RENAME: a second or two, too few of the clients'
transactions for a p99 that says more than which burst of the server's,
a checkpoint's, it met) is run again and again, each run a migration of
its own on the table as the first found it (its undo, DROP INDEX, DROP
CONSTRAINT or the RENAME back, a migration too, run online between two
runs, outside the windows), until its runs' windows hold SHORT_MIN_S
(30 s) of the clients' traffic in all or SHORT_BUDGET_S (45 s) has
passed; its figures are taken over its runs' windows pooled, against
the baseline windows just before its first run and after its last. After
the CREATE INDEX, the same index built by hand as tools build one online
(`CREATE INDEX CONCURRENTLY` at the server's settings, its parallel
workers included: the second anchor), run the same way, between baseline
windows of its own, dbcare's index dropped before and built again after
it. Last the same backfill done by hand (a plain
batched UPDATE loop at dbcare's pace, as pgroll or pg-osc fill a column:
the anchor) and a last baseline window. A baseline window starts after a
VACUUM of the table, once no autovacuum runs in the database (at most
QUIET_MAX_S): the dead rows an operation left are not carried into the
next one, each starts from a vacuumed table as the first does. Each
operation is measured against the baseline windows just before and after
it, so drift of a shared machine weighs on both sides of its ratio. Rows:
the clients' p99 latency during each operation, the p99 of its whole
window against the baseline windows around it pooled (target ≤ 2×: what
a client sees during the operation, bursts included), with the median of
the p99s of its SLICE_S windows against the same of those baseline
windows (the steady state) and its worst window beside the baseline's
own worst (the method's noise); the clients' errors (target 0); the clients'
lock waits the server logged (log_lock_waits: a wait past
deadlock_timeout, 1 s; target 0); each operation's row also says when the
clients' transactions slower than the baseline's p99 ended: during a
statement of the migration or between two (the server logs that
session's statements alone, with their times: MIGRATION_LOG), during a
checkpoint (log_checkpoints), during an autovacuum of the table; and the
CPU each kind of process used meanwhile (online_trace.py); a backfill of
another table of as many rows while pgbench inserts 2,000 rows a second
into it (target: it finishes); and the schema after the online run
against the same migrations applied plainly to a database seeded alike
(dbcare schema fingerprint: target equal). Time: the probe, 8 baseline
windows, the 6 operations (the 4 short ones 45 s each at most) and the
anchor (quick: about 3 minutes; full size: about 25 on a quiet machine,
most of it the three backfills paced by the WAL they write: the type
change's, the ADD COLUMN's and the anchor's), then the feed's backfill.

A closer look at one operation (its figures are not the page's: a run
with either setting is for comparing two builds back to back):
BENCH_ONLINE_OPS=name,... runs only the operations of those migration
names (qty_bigint, token, items_note, items_account_fk, items_qty_check,
label_title; feed_token: the feed's backfill), in their order here; the
anchor runs with token (it takes that backfill's pace), the index anchor
with items_note, the feed only when
named (unset: all of them). BENCH_ONLINE_ROWS=n seeds n rows instead of
ROWS."""
import atexit
import bisect
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time

import benchlib
import online_trace
from benchlib import QUICK, ROOT

# the clients' transactions: one statement each, autocommit
TX = benchlib.TX_EACH_STATEMENT

CLI = os.path.join(ROOT, "build", "cli", "dbcare")
PG_CLUSTER = os.path.join(ROOT, "test", "bench", "pg_cluster.sh")
ROWS = int(os.environ.get("BENCH_ONLINE_ROWS") or (100_000 if QUICK else 1_000_000))
# the migrations run (see the header), or None: all of them
ONLY = {n.strip() for n in os.environ.get("BENCH_ONLINE_OPS", "").split(",") if n.strip()} or None
CLIENTS = 4
# the share of the highest rate measured the clients run at: at the highest
# rate itself a 2-core machine has no CPU left for the migration, and the
# clients' queue (counted in their latency) grows without bound
RATE_SHARE = float(os.environ.get("BENCH_ONLINE_SHARE", "0.3"))
PROBE_S = 3 if QUICK else 10
# pgbench runs in segments of SEGMENT_S seconds, back to back, for the
# whole run (a pgbench stopped early loses its log's tail; each segment's
# start pays its connections, in every window alike)
SEGMENT_S = 2
# each baseline window: the clients alone, between two operations
BETWEEN_S = 6.0 if QUICK else 15.0
# before a baseline window, the wait for the autovacuum runs in progress
QUIET_MAX_S = 60 if QUICK else 600
# the short windows whose p99s' median is each steady-state figure: each has at least
# SLICE_MIN_TX transactions (SLICE_S at the clients' rate) or is left out
SLICE_S = 2.0
SLICE_MIN_TX = 200
SETTLE_S = 1.0
FEED_RATE = 2000
FEED_TIMEOUT_S = 300 if QUICK else 1200
P99_TARGET = 2.0
# the migration's session (alone: the clients' are not logged) has the
# server log each of its statements with its time, so a slow client
# transaction is put down to what the migration ran when it ended
MIGRATION_LOG = "-c log_min_duration_statement=0"
# the anchor's session: the same, under an application name of its own
HAND_APP = "byhand"
# BENCH_ONLINE_KEEP=dir: the server log and the clients' pgbench logs are
# copied there, for a closer look than the rows'
KEEP = os.environ.get("BENCH_ONLINE_KEEP")
# BENCH_ONLINE_WAITS=1: the sessions' waits sampled every WAITS_PERIOD_S
# (online_trace.WaitSampler: a query of its own each time, a load of its
# own, so a closer look only), each operation's row saying what its
# clients waited for; with KEEP, the samples are kept there (waits.txt)
WAITS = os.environ.get("BENCH_ONLINE_WAITS", "0") not in ("", "0")
WAITS_PERIOD_S = 0.02
HAND_SIDE = "the same backfill by hand (anchor)"
HAND_INDEX_SIDE = "the same index built CONCURRENTLY by hand (anchor)"
HAND_SIDES = (HAND_SIDE, HAND_INDEX_SIDE)
# the index whose build the second anchor repeats, as tools that build an
# index online run it (pgroll, pg-osc: one CONCURRENTLY build at the
# server's settings)
HAND_INDEX = "items_note"

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

# (side, file name, migration, its undo or None): one migration per
# operation, in this order on the same table; the type change first, on the
# table's last column, so the online schema keeps the plain one's column
# order. An operation with an undo is a short one: it is run again, its
# undo between two runs, until its runs' windows hold SHORT_MIN_S of the
# clients' traffic in all (or SHORT_BUDGET_S has passed)
OPERATIONS = [
    ("ALTER COLUMN TYPE", "qty_bigint",
     "ALTER TABLE items ALTER COLUMN qty TYPE bigint;", None),
    ("ADD COLUMN ... NOT NULL (backfill)", "token",
     "ALTER TABLE items ADD COLUMN token uuid NOT NULL DEFAULT gen_random_uuid();", None),
    ("CREATE INDEX", "items_note",
     "CREATE INDEX items_note ON items (note);", "DROP INDEX items_note;"),
    ("ADD FOREIGN KEY", "items_account_fk",
     "ALTER TABLE items ADD CONSTRAINT items_account_fk FOREIGN KEY (account)"
     " REFERENCES accounts (id);", "ALTER TABLE items DROP CONSTRAINT items_account_fk;"),
    ("ADD CHECK", "items_qty_check",
     "ALTER TABLE items ADD CONSTRAINT items_qty_check CHECK (qty >= 0);",
     "ALTER TABLE items DROP CONSTRAINT items_qty_check;"),
    ("RENAME COLUMN", "label_title",
     "ALTER TABLE items RENAME COLUMN label TO title;",
     "ALTER TABLE items RENAME COLUMN title TO label;"),
]
# a short operation's runs: their windows' time in all that its p99 is
# taken over (a p99 of a second's transactions is the noise of whatever
# burst it met: a checkpoint's), and the most time its runs and undos take
SHORT_MIN_S = 6.0 if QUICK else 30.0
SHORT_BUDGET_S = 12.0 if QUICK else 45.0
# after an undo, before the next run: its own effect on the clients over
SHORT_SETTLE_S = 0.5
FEED = ("feed_token", "ALTER TABLE feed ADD COLUMN token uuid NOT NULL DEFAULT gen_random_uuid();")
# the ADD COLUMN's backfill, whose pace the anchor takes
ANCHOR_PACE = "token"


def selected(name):
    return ONLY is None or name in ONLY

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


def median(xs):
    return percentile(xs, 50)


class Cluster:
    """The bench's own cluster (pg_cluster.sh --stock), stopped on every path."""

    def __init__(self):
        base = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
        self.dir = tempfile.mkdtemp(prefix="dbcare-bench-online-", dir=base)
        atexit.register(self.stop)
        r = subprocess.run([PG_CLUSTER, "start", self.dir, "--stock", "log_lock_waits = on",
                            "log_line_prefix = '%n [%p] %a '",
                            "log_autovacuum_min_duration = 0"], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("the stock cluster did not start: " + r.stderr.strip()[-300:])
        self.pg = benchlib.PgCluster.from_file(os.path.join(self.dir, "env"))
        self.log = os.path.join(self.dir, "postgres.log")

    def stop(self):
        if self.dir:
            if KEEP:  # the server log outlives the cluster, for a closer look
                os.makedirs(KEEP, exist_ok=True)
                shutil.copy(self.log, KEEP)
            subprocess.run([PG_CLUSTER, "stop", self.dir], capture_output=True)
            self.dir = None

    def postmaster_pid(self):
        with open(os.path.join(self.dir, "data", "postmaster.pid")) as f:
            return int(f.readline())

    def records(self):
        with open(self.log, errors="replace") as f:
            return online_trace.records(f.read())


class Load:
    """pgbench clients in segments of SEGMENT_S seconds, back to back, from
    start() until stop() (at least min_s); each segment's per-transaction
    log is kept, and its errors with its times. transactions() gives (end
    epoch s, latency ms, script)."""

    def __init__(self, pg, db, work, scripts, rate, clients, tag):
        self.pg, self.db, self.scripts, self.rate, self.clients = pg, db, scripts, rate, clients
        self.dir = os.path.join(work, tag)
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        self.stopping = threading.Event()
        self.errors, self.aborted, self.segments, self.failure = 0, 0, 0, None
        self.failed = []  # (segment start, end, failed transactions + aborted clients)
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
        t0 = time.time()
        r = subprocess.run(cmd + [self.db], capture_output=True, text=True)
        m = re.search(r"number of failed transactions: (\d+)", r.stdout)
        errors = int(m.group(1)) if m else 0
        aborted = len(re.findall(r"client \d+ aborted", r.stderr))
        self.errors += errors
        self.aborted += aborted
        self.failed.append((t0, time.time(), errors + aborted))
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

    def errors_in(self, t0, t1):
        """The failed transactions and aborted clients of the segments that
        ran at some moment in [t0, t1]."""
        return sum(n for s, e, n in self.failed if e >= t0 and s <= t1)

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

    def streams(self):
        """Each client's transactions in their order: {client: [(end
        epoch s, ms, lag ms, script)]} (a client: one of a segment's)."""
        out = {}
        for name in os.listdir(self.dir):
            with open(os.path.join(self.dir, name)) as f:
                for line in f:
                    p = line.split()
                    if len(p) >= 7 and p[2].isdigit():
                        out.setdefault((name, p[0]), []).append(
                            (int(p[1]), int(p[4]) + int(p[5]) / 1e6, int(p[2]) / 1000.0,
                             int(p[6]) / 1000.0, int(p[3])))
        return {k: [t[1:] for t in sorted(v)] for k, v in out.items()}


def window(txns, t0, t1):
    """(end epoch s, latency ms) of the transactions running at some moment
    in [t0, t1]."""
    return [(end, ms) for end, ms, _ in txns if end >= t0 and end - ms / 1000.0 <= t1]


def ended_in(txns, t0, t1):
    """(end epoch s, latency ms) of the transactions that ended in [t0, t1]."""
    return [(end, ms) for end, ms, _ in txns if t0 <= end <= t1]


def slice_p99s(win, t0, t1):
    """The p99s of [t0, t1] cut in windows of about SLICE_S (by the
    transactions' ends), each with SLICE_MIN_TX transactions or more."""
    k = max(1, round((t1 - t0) / SLICE_S))
    width = (t1 - t0) / k
    cuts = [[] for _ in range(k)]
    for end, ms in win:
        cuts[min(k - 1, max(0, int((end - t0) / width)))].append(ms)
    return [percentile(c, 99) for c in cuts if len(c) >= SLICE_MIN_TX]


def against(op_p99s, whole_p99, base_p99s, base_whole_p99):
    """An operation's figure against its baseline's, both the median of
    their short windows' p99s (a burst of the machine's in one window
    moves a median little; the p99 of the whole window, pooled, moves with
    it): (op ms, baseline ms, ratio, worst window's ratio or None); an
    operation shorter than a window gives its whole window's p99 (and a
    baseline without a full window, at a very low rate, its pooled one)."""
    base = median(base_p99s) if base_p99s else base_whole_p99
    op = median(op_p99s) if op_p99s else whole_p99
    if base is None or op is None:
        return op, base, None, None
    return op, base, op / base, max(op_p99s) / base if op_p99s else None


def share(n, of):
    return f"{100.0 * n / of:.0f}%" if of else "-"


def slow_attribution(win, statements, slow_ms, checkpoints, vacuums):
    """The window's transactions slower than slow_ms, by when each ended:
    during a statement of the migration (the dbcare function it called,
    else its first word: the largest counts first), between two (a rest),
    before its first (the command starting, connecting); and across those,
    during a checkpoint and during an autovacuum of the table, each beside
    the share of all the window's transactions that ended then (the part
    of the tail they explain is the excess over that share); as text."""
    statements = sorted(statements)
    starts = [s for s, _, _ in statements]

    def statement_at(t):  # the session's statements do not overlap
        i = bisect.bisect_right(starts, t) - 1
        return statements[i][2] if i >= 0 and t <= statements[i][1] else None
    slow = [(end, ms) for end, ms in win if ms > slow_ms]
    counts, rest, start = {}, 0, 0
    for end, _ in slow:
        what = statement_at(end)
        if what is not None:
            counts[what] = counts.get(what, 0) + 1
        elif not starts or end < starts[0]:
            start += 1
        else:
            rest += 1
    n = sum(counts.values())
    all_n = sum(1 for end, _ in win if statement_at(end) is not None)
    top = ", ".join(f"{w} {c}" for w, c in sorted(counts.items(), key=lambda x: -x[1])[:3])
    text = (f"{len(slow)} over the baseline p99 ended during a statement of the migration "
            f"{n} ({share(n, len(slow))}; of all the window's transactions "
            f"{share(all_n, len(win))}: {top or '-'}), between its statements (a rest) {rest}, "
            f"before its first {start}")
    for name, spans in (("a checkpoint", checkpoints), ("an autovacuum of items", vacuums)):
        n = sum(1 for end, _ in slow if online_trace.during(end, spans))
        all_n = sum(1 for end, _ in win if online_trace.during(end, spans))
        text += (f"; during {name} {n} ({share(n, len(slow))}; of all the window's "
                 f"transactions {share(all_n, len(win))})")
    return text


def chain_attribution(streams, runs, slow_ms, holds):
    """The runs' transactions slower than slow_ms by the slowest
    transaction of their client since it was last on time
    (online_trace.chains: a slow one makes the next ones of its client
    late), as text: one that ran while a batch of the backfill held its
    rows (and of them the UPDATEs that ended as that batch ended, as one
    waiting for its row locks would: a bound, not a count, of such
    waits), one with no batch running, or none over slow_ms by itself."""
    starts = [s for s, _ in holds]

    def hold_over(a, z):  # the batches' holds do not overlap
        i = bisect.bisect_right(starts, z) - 1
        return holds[i] if i >= 0 and holds[i][1] >= a else None
    n = {"batch": 0, "at_end": 0, "none": 0, "many": 0}
    for end, _, cause in online_trace.chains(streams, slow_ms):
        if not any(t0 <= end <= t1 for t0, t1 in runs):
            continue
        if cause is None:
            n["many"] += 1
            continue
        c_end, own, script = cause
        h = hold_over(c_end - own / 1000.0, c_end)
        n["batch" if h else "none"] += 1
        # script 1: the UPDATE (WORKLOAD's order)
        n["at_end"] += bool(h and script == 1 and abs(c_end - h[1]) <= 0.003)
    total = n["batch"] + n["none"] + n["many"]
    return (f"by their client's slowest transaction since it was last on time (pgbench -R: "
            f"one slow transaction makes its client's next ones late): one that ran while a "
            f"batch of the backfill held its rows {n['batch']} ({share(n['batch'], total)}; "
            f"{len(holds)} batches; of them after an UPDATE that ended within 3 ms of its "
            f"batch's end, as one waiting for its row locks would, {n['at_end']}), one with no "
            f"batch running {n['none']} ({share(n['none'], total)}), none over the baseline p99 "
            f"by itself (late from many a little slow: the CPU short for all) {n['many']} "
            f"({share(n['many'], total)})")


def cpu_note(sampler, t0, t1, pids, vacuums, command_cpu):
    """The CPU each kind of process used in [t0, t1], as text."""
    def kind(pid, title):
        if pid in pids:
            return "its backend"
        for k in ("autovacuum worker", "checkpointer", "walwriter", "background writer"):
            if k in title:
                return k
        return "other backends (the clients')"
    used, busy = sampler.window(t0, t1, kind)
    logged = sum(c for s, e, _, c in vacuums if t0 <= e and s <= t1)
    parts = ([f"the dbcare command {command_cpu:.1f}"] if command_cpu is not None else []) + [
        f"{k} {used[k]:.1f}" for k in ("its backend", "autovacuum worker", "checkpointer",
                                        "walwriter", "background writer",
                                        "other backends (the clients')") if k in used]
    machine = f"{busy:.0%} of its {os.cpu_count()} cores" if busy is not None else "-"
    # the rest of the machine's busy time: a shared machine's other
    # tenants (at most: a server process that ended between two samples
    # leaves its last fraction of a period there too)
    rest = (f", pgbench and the dbcare command {used[online_trace.OWN]:.1f}, the machine's "
            f"other processes {used[online_trace.OTHERS]:.1f} (at most)"
            if online_trace.OWN in used else "")
    return (f"CPU s in its {t1 - t0:.1f} s: " + ", ".join(parts)
            + f" (autovacuum of items, its log: {logged:.1f}){rest}; the machine busy {machine}")


def longest_statements(statements, n=3):
    """The migration's n longest statements, as text."""
    top = sorted(statements, key=lambda x: x[0] - x[1])[:n]
    return ", ".join(f"{w} {(e - s) * 1000:.0f} ms" for s, e, w in top)


def cli(args, pg, db, **extra_env):
    return cli_cpu(args, pg, db, **extra_env)[0]


def cli_cpu(args, pg, db, **extra_env):
    """Runs the dbcare command: (its output, the CPU s it used)."""
    env = dict(os.environ, DBCARE_MODULE=benchlib.MODULE, **extra_env)
    env.pop("DATABASE_URL", None)
    with tempfile.TemporaryFile("w+") as out:
        p = subprocess.Popen([CLI] + args + ["--db", pg.conninfo(db)], stdout=out,
                             stderr=subprocess.STDOUT, text=True, env=env)
        _, status, use = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read()
    if p.returncode != 0:
        raise RuntimeError(f"dbcare {' '.join(args)} failed ({p.returncode}): "
                           + text.strip()[-400:])
    return text, use.ru_utime + use.ru_stime


def seed(pg, db, rows):
    s = pg.session(db)
    for stmt in [x for x in SEED.format(rows=rows).split(";\n") if x.strip()]:
        s.exec(stmt)
    s.exec("VACUUM ANALYZE")
    s.close()


def migrations(mig_dir):
    """How many migration files mig_dir holds."""
    return sum(1 for f in os.listdir(mig_dir) if f.startswith("V"))


def migrate_online(pg, db, mig_dir, name, sql):
    """Writes the next migration and runs `dbcare migrate --online`; (t0,
    t1, output, the command's CPU s)."""
    n = migrations(mig_dir) + 1
    with open(os.path.join(mig_dir, f"V{n}__{name}.sql"), "w") as f:
        f.write(sql + "\n")
    t0 = time.time()
    out, cpu = cli_cpu(["migrate", "--dir", mig_dir, "--online"], pg, db,
                       PGOPTIONS=MIGRATION_LOG)
    return t0, time.time(), out, cpu


def backfill_pace(out):
    """(rows, batches, seconds) of a backfill, from the command's last lines."""
    m = re.search(r"(\d+) row\(s\) filled in batches \((\d+);", out)
    w = re.search(r"of the backfill's ([0-9.]+) ms", out)
    return (int(m.group(1)), int(m.group(2)), float(w.group(1)) / 1000.0) if m and w else None


def by_hand(pg, db, pace):
    """The anchor: the ADD COLUMN's backfill done by hand, as tools that
    fill a column in batches do it (pgroll, pg-osc): a nullable column, then
    `UPDATE ... WHERE id >= a AND id < b` over the key's ranges, a
    transaction each, as many batches of as many rows as dbcare's and paced
    to its rows a second (a batch starts no sooner than its share of
    dbcare's time), the column dropped after; (t0, t1, what it ran)."""
    rows, batches, seconds = pace
    s = pg.session(db)
    s.exec(f"SET application_name = {HAND_APP}")
    s.exec("SET log_min_duration_statement = 0")
    s.exec("ALTER TABLE items ADD COLUMN hand_token uuid")
    top = int(s.value("SELECT max(id) FROM items"))
    size = max(1, -(-top // max(1, batches)))
    t0, n = time.time(), 0
    for lo in range(1, top + 1, size):
        s.exec(f"UPDATE items SET hand_token = gen_random_uuid() "
               f"WHERE id >= {lo} AND id < {lo + size} AND hand_token IS NULL")
        n += 1
        wait = t0 + seconds * n / batches - time.time()
        if wait > 0:
            time.sleep(wait)
    t1 = time.time()
    s.exec("ALTER TABLE items DROP COLUMN hand_token")
    s.close()
    return t0, t1, (f"`UPDATE items SET hand_token = gen_random_uuid() WHERE id >= a AND id < b "
                    f"AND hand_token IS NULL` in {n} batches of {size} ids, paced to dbcare's "
                    f"{rows:,} rows in {seconds:.1f} s (its ADD COLUMN's backfill)")


def by_hand_index(pg, db):
    """The second anchor: the CREATE INDEX operation's index built by hand
    the way tools that build an index online do (`CREATE INDEX
    CONCURRENTLY` at the server's settings, so its sort may take parallel
    workers), run again and again like a short operation, dropped between
    two runs outside the windows; ([(t0, t1) of each run], what it ran)."""
    s = pg.session(db)
    s.exec(f"SET application_name = {HAND_APP}")
    s.exec("SET log_min_duration_statement = 0")
    workers = s.value("SHOW max_parallel_maintenance_workers")
    runs, start = [], time.time()
    while True:
        t0 = time.time()
        s.exec(f"CREATE INDEX CONCURRENTLY hand_{HAND_INDEX} ON items (note)")
        runs.append((t0, time.time()))
        s.exec(f"DROP INDEX hand_{HAND_INDEX}")
        if sum(e - b for b, e in runs) >= SHORT_MIN_S or time.time() - start >= SHORT_BUDGET_S:
            break
        time.sleep(SHORT_SETTLE_S)
    s.close()
    return runs, (f"`CREATE INDEX CONCURRENTLY hand_{HAND_INDEX} ON items (note)` at the "
                  f"server's settings (max_parallel_maintenance_workers {workers})")


def quiet(pg, db):
    """VACUUM of the table (the dead rows an operation left are not
    carried into the next one's window: each starts from a vacuumed table,
    as the first does), then a wait until no autovacuum runs in db (at most
    QUIET_MAX_S): the seconds both took."""
    s = pg.session(db)
    t0 = time.time()
    s.exec("VACUUM items")
    while time.time() - t0 < QUIET_MAX_S and int(s.value(
            "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker' "
            "AND datname = current_database()")):
        time.sleep(0.5)
    s.close()
    return time.time() - t0


def between(pg, db):
    """A baseline window, once the table is vacuumed and no autovacuum
    runs: (t0, t1, seconds that took)."""
    waited = quiet(pg, db)
    t0 = time.time()
    time.sleep(BETWEEN_S)
    return t0, time.time(), waited


def run(b):
    known = {name for _, name, _, _ in OPERATIONS} | {FEED[0]}
    if ONLY and not ONLY <= known:
        raise RuntimeError(f"BENCH_ONLINE_OPS: no migration named {', '.join(sorted(ONLY - known))}"
                           f" (known: {', '.join(sorted(known))})")
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


def run_operation(pg, db, mig_dir, name, sql, undo):
    """An operation online: once, or, a short one (with an undo), again and
    again, each run a migration of its own on the table as the first found
    it (its undo, a migration too, run online between two runs, outside the
    windows, SHORT_SETTLE_S before the next), until its runs' windows hold
    SHORT_MIN_S in all or SHORT_BUDGET_S has passed; the last run is left
    applied: ([(t0, t1) of each run], the last run's output, the runs' CPU
    s in all)."""
    runs, cpu, start = [], 0.0, time.time()
    while True:
        t0, t1, out, used = migrate_online(pg, db, mig_dir, name, sql)
        runs.append((t0, t1))
        cpu += used
        if (undo is None or sum(e - s for s, e in runs) >= SHORT_MIN_S
                or time.time() - start >= SHORT_BUDGET_S):
            return runs, out, cpu
        migrate_online(pg, db, mig_dir, f"{name}_undo", undo)
        time.sleep(SHORT_SETTLE_S)


def run_operations(pg, db, mig_dir):
    """The operations, then the anchor, each between two baseline windows,
    the load running throughout: (the baseline windows, [(side, what,
    [(t0, t1) of each run], output, the command's CPU s)])."""
    bases, ops, pace = [between(pg, db)], [], None
    for op, name, sql, undo in OPERATIONS:
        if not selected(name):
            continue
        ops.append((op, f"`{sql}`") + run_operation(pg, db, mig_dir, name, sql, undo))
        bases.append(between(pg, db))
        if name == ANCHOR_PACE:
            pace = backfill_pace(ops[-1][3])
        if name == HAND_INDEX:
            # the same index by hand beside it, from the table as dbcare found it
            migrate_online(pg, db, mig_dir, f"{name}_undo", undo)
            runs, what = by_hand_index(pg, db)
            ops.append((HAND_INDEX_SIDE, what, runs, "", None))
            bases.append(between(pg, db))
            migrate_online(pg, db, mig_dir, f"{name}_again", sql)
    if pace:
        t0, t1, what = by_hand(pg, db, pace)
        ops.append((HAND_SIDE, what, [(t0, t1)], "", None))
        bases.append(between(pg, db))
    return bases, ops


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

    load = Load(pg, db, b.work, scripts, rate, CLIENTS, "online_ops")
    sampler = online_trace.CpuSampler(cluster.postmaster_pid())
    wait_sampler = online_trace.WaitSampler(pg.session(db), WAITS_PERIOD_S) if WAITS else None
    load.start()
    try:
        bases, ops = run_operations(pg, db, mig_dir)
    finally:
        sampler.stop()
        if wait_sampler:
            wait_sampler.stop()
        load.stop()
    if KEEP:
        shutil.copytree(load.dir, os.path.join(KEEP, "pgbench"), dirs_exist_ok=True)
        with open(os.path.join(KEEP, "cpu.txt"), "w") as f:
            # epoch s, CPU s so far: the machine's busy time, the cluster's
            # processes alive, the bench's own tree
            for t, procs, busy, own in sampler.samples:
                f.write(f"{t:.3f} {busy:.2f} {sum(c for c, _ in procs.values()):.2f} {own:.2f}\n")
        if wait_sampler:
            with open(os.path.join(KEEP, "waits.txt"), "w") as f:
                for t, w in wait_sampler.samples:
                    f.write(f"{t:.3f} " + ";".join("|".join(x or "" for x in v) for v in w) + "\n")
    txns = load.transactions()
    streams = load.streams()
    recs = cluster.records()
    base_wins = [ended_in(txns, t0, t1) for t0, t1, _ in bases]
    base_slices = [slice_p99s(w, t0, t1) for (t0, t1, _), w in zip(bases, base_wins)]
    base_ms = [ms for w in base_wins for _, ms in w]
    b.add("online", "postgresql", size, "clients' p99 latency, no migration (baseline)",
          percentile(base_ms, 99), len(base_ms), ratio=1.0,
          ref="baseline p99",
          note=f"pgbench -R {rate} ({RATE_SHARE:.0%} of the {top:,.0f} tx/s measured), "
               f"{len(bases)} windows of {BETWEEN_S:g} s between the operations, each after "
               f"a VACUUM of items and once no autovacuum ran "
               f"(the VACUUMs and waits took {sum(w for _, _, w in bases):.0f} s in all); "
               f"the figure is the p99 of "
               f"them all pooled, and each operation's ratio is its window's p99 against "
               f"the baseline windows just before and after it, pooled; the median of "
               f"the p99s of their {SLICE_S:g} s windows "
               f"{median([p for w in base_slices for p in w]):.2f} ms, each window's median "
               + ", ".join(f"{median(w):.1f}" for w in base_slices if w)
               + f" ms; p50 "
                 f"{percentile(base_ms, 50):.2f} ms; "
                 f"{sum(load.errors_in(t0, t1) for t0, t1, _ in bases)} errors; mix 6 SELECT by "
                 f"key : 3 single-row UPDATE : 1 INSERT, a transaction each; latency from the "
                 f"scheduled start")

    checkpoints = online_trace.checkpoints(recs, time.time())
    vacuums = online_trace.autovacuums(recs, "items")
    errors, waits, migration_waits = [], [], 0
    for i, (op, what, runs, out, command_cpu) in enumerate(ops):
        around = base_wins[i] + base_wins[i + 1]
        base_p99 = percentile([ms for _, ms in around], 99)
        # a short operation's runs pooled: their windows' transactions
        # together, their short windows side by side
        win = [x for t0, t1 in runs for x in window(txns, t0, t1)]
        lat = [ms for _, ms in win]
        p99 = percentile(lat, 99)
        op_slices = [p for t0, t1 in runs for p in slice_p99s(window(txns, t0, t1), t0, t1)]
        fig, base_fig, steady, worst = against(op_slices, p99,
                                              base_slices[i] + base_slices[i + 1], base_p99)
        base_worst = max(base_slices[i] + base_slices[i + 1], default=0) / base_fig
        app = HAND_APP if op in HAND_SIDES else "dbcare"
        near = [r for r in recs if any(t0 - 1 <= r[0] <= t1 + 1 for t0, t1 in runs)]
        t0, t1 = runs[0][0], runs[-1][1]
        span = sum(e - s for s, e in runs)
        undone = "dropped by hand" if op in HAND_SIDES else "its undo, online,"
        ran = (f"ran {t1 - t0:.1f} s" if len(runs) == 1 else
               f"ran {len(runs)} times, from the table as the first found it ({undone} "
               f"between two runs), {span / len(runs):.1f} s each on average: its "
               f"windows {span:.1f} s in all, pooled")
        statements, pids = online_trace.statements(near, app), online_trace.pids(near, app)
        ratio = p99 / base_p99 if p99 is not None and base_p99 else None
        windows = (f"the median of its {SLICE_S:g} s windows' p99s {fig:.2f} ms, {steady:.2f}× "
                   f"the same of the baseline windows around it ({base_fig:.2f} ms), its "
                   f"worst window {worst:.2f}× (the baseline's own worst {base_worst:.2f}×)"
                   if worst is not None and steady is not None else
                   f"shorter than a {SLICE_S:g} s window")
        b.add("online", "postgresql", size, f"clients' p99 latency during {op}", p99, len(lat),
              ratio=ratio, ref="baseline p99",
              target=None if op in HAND_SIDES else f"≤ {P99_TARGET:g}× baseline",
              met=None if op in HAND_SIDES else ratio is not None and ratio <= P99_TARGET,
              note=f"{what} {ran}; the p99 of the whole window against the "
                   f"baseline windows just before and after it pooled ({base_p99:.2f} ms); "
                   f"{windows}; p50 {percentile(lat, 50):.2f} ms, max "
                   f"{max(lat):.0f} ms; {len(lat)} transactions; of them "
                   + slow_attribution(win, statements, base_p99, checkpoints, vacuums)
                   + "; " + chain_attribution(streams, runs, base_p99,
                                              online_trace.batch_holds(statements))
                   + f"; {cpu_note(sampler, t0, t1, pids, vacuums, command_cpu)}; its longest "
                     f"statements (server time): {longest_statements(statements)}"
                   + throttle_note(out) + waits_note(wait_sampler, t0, t1))
        if op in HAND_SIDES:
            continue
        # a wait is logged deadlock_timeout after it began: up to the next
        # operation's start
        by_app = online_trace.lock_waits([r for r in recs if t0 <= r[0] <= bases[i + 1][1]])
        migration_waits += sum(v for k, v in by_app.items() if k != "pgbench")
        errors.append(f"{op} {sum(load.errors_in(s, e) for s, e in runs)}")
        waits.append(f"{op} {by_app.get('pgbench', 0)}")
    total_errors = sum(int(e.rsplit(" ", 1)[1]) for e in errors)
    total_waits = sum(int(w.rsplit(" ", 1)[1]) for w in waits)
    b.add("online", "postgresql", size, "clients' errors during the operations", None, len(errors),
          target="0", met=total_errors == 0,
          note="pgbench's failed transactions and aborted clients (of its segments that ran "
               "during each): " + ", ".join(errors))
    b.add("online", "postgresql", size, "clients' lock waits logged during the operations", None,
          len(waits), target="0", met=total_waits == 0,
          note="log_lock_waits lines of the pgbench sessions (a wait past deadlock_timeout, 1 s): "
               + ", ".join(waits) + f"; the migration's own: {migration_waits}")

    if selected(FEED[0]):
        feed(b, cluster, db, mig_dir)
    fingerprint(b, pg, db, mig_dir)
    pg.drop_db(db)


def waits_note(wait_sampler, t0, t1):
    """What the clients waited for in [t0, t1] (BENCH_ONLINE_WAITS), as
    text: the share of the samples in which one of them waited for it."""
    if not wait_sampler:
        return ""
    n, by = wait_sampler.window(t0, t1, "pgbench")
    top = sorted(by.items(), key=lambda x: -x[1])[:6]
    return (f"; the sessions' waits sampled every {WAITS_PERIOD_S * 1000:.0f} ms: in {n} "
            f"samples a client waited for " + (", ".join(f"{k} {share(v, n)}" for k, v in top)
                                                 or "nothing"))


def throttle_note(out):
    last = [ln for ln in out.splitlines() if "filled in batches" in ln]
    return "; " + last[-1].strip() if last else ""


def feed(b, cluster, db, mig_dir):
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
            result["t"] = migrate_online(pg, db, mig_dir, name, sql)
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
    t0, t1, out, _ = result["t"]
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
    b.add("online", "postgresql", f"{migrations(mig_dir)} migrations",
          "schema after --online vs plain migrate (dbcare schema fingerprint)", None, 1,
          target="equal", met=fp_online == fp_plain,
          note=("equal: " if fp_online == fp_plain else f"plain {fp_plain[:16]}, online ")
               + fp_online[:16])
