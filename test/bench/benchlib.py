"""benchlib.py — what every benchmark file shares: interleaved repeated timing
with medians, SQLite and PostgreSQL sessions, child processes for peak RSS, and
the result table written as Markdown and CSV with the machine it ran on."""
import atexit
import csv
import json
import math
import os
import platform
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.join(ROOT, "build", "bench")
MODULE = os.path.join(ROOT, "build", "sqlite", "dbcare")
QUICK = os.environ.get("BENCH_QUICK", "0") not in ("", "0")
REPS = max(5, int(os.environ.get("BENCH_REPS", "5")))
# Comparisons whose rounds take milliseconds: more rounds cost seconds and
# steady a median that five rounds leave at the mercy of one slow round.
REPS_FAST = max(REPS, 25)


def log(*args):
    print(*args, file=sys.stderr, flush=True)


# ------------------------------------------------------------------ results

class Result:
    """One row of the table: one side of one measurement."""

    def __init__(self, bench, engine, size, side, ms, runs, ratio=None, ref=None,
                 target=None, met=None, rss_kb=None, note="", tx=None):
        self.bench, self.engine, self.size, self.side = bench, engine, size, side
        self.ms, self.runs, self.ratio, self.ref = ms, runs, ratio, ref
        self.target, self.met, self.rss_kb, self.note = target, met, rss_kb, note
        # the transaction mode of the connection that made the figure (e.g.
        # "one transaction", "autocommit: a transaction per row")
        self.tx = tx
        # the machine's load (1-minute average) when the figure was made
        self.load = os.getloadavg()[0]


class Bench:
    """Collects results; benchmark files call its helpers."""

    def __init__(self):
        self.results = []
        self.notes = []         # free-text findings shown under the table
        self.skipped = []       # (bench, reason)
        # Databases live in memory-backed storage when there is some: the
        # tools commit at different rates and disk flushes would swamp the
        # CPU work being compared (the cluster runs with fsync off likewise).
        base = os.environ.get("BENCH_WORK") or ("/dev/shm" if os.access("/dev/shm", os.W_OK) else BUILD)
        os.makedirs(base, exist_ok=True)
        self.root_work = tempfile.mkdtemp(prefix="dbcare-bench-", dir=base)
        os.chmod(self.root_work, 0o755)
        atexit.register(shutil.rmtree, self.root_work, True)
        self.work = None
        self.next_module()
        self.pg = PgCluster.from_env()
        # the transaction mode of the rows of the benchmark running now that
        # do not state theirs (its module's TX, when all its rows share one)
        self.default_tx = None

    def add(self, *args, **kw):
        if kw.get("tx") is None:
            kw["tx"] = self.default_tx
        r = Result(*args, **kw)
        self.results.append(r)
        ratio = f" ratio {r.ratio:.2f}" if r.ratio is not None else ""
        log(f"  {r.bench} [{r.engine} {r.size}] {r.side}: {fmt_ms(r.ms)} ms{ratio}"
            + (f" target {r.target}: {'met' if r.met else 'MISSED'}" if r.met is not None else ""))
        return r

    def next_module(self):
        """A new, empty work directory for the next module, the last one's
        removed: no module is measured beside the files an earlier one left
        in the memory-backed storage (they moved the PITR capture's CPU)."""
        if self.work:
            shutil.rmtree(self.work, True)
        self.work = tempfile.mkdtemp(prefix="module-", dir=self.root_work)
        os.chmod(self.work, 0o755)  # the PostgreSQL server reads migration files here

    def skip(self, bench, reason):
        self.skipped.append((bench, reason))
        log(f"  skipped {bench}: {reason}")

    def path(self, name):
        p = os.path.join(self.work, name)
        for suffix in ("", "-journal", "-wal", "-shm"):
            if os.path.exists(p + suffix):
                os.remove(p + suffix)
        return p


def fmt_ms(ms):
    if ms is None:
        return "—"
    if ms >= 100:
        return f"{ms:.0f}"
    if ms >= 1:
        return f"{ms:.2f}"
    return f"{ms:.3f}"


def median(xs):
    return statistics.median(xs)


def interleave(sides, reps=REPS):
    """sides: {name: fn() -> seconds}. Runs every side once per round, in a
    rotating order so that no side always follows the same neighbour, and
    returns {name: [ms, ...]}. Each fn does its own untimed preparation and
    returns only the time of the part being measured."""
    names = list(sides)
    times = {n: [] for n in names}
    for r in range(reps):
        order = names[r % len(names):] + names[:r % len(names)]
        for n in order:
            times[n].append(sides[n]() * 1000.0)
    return times


def repeat(fn, reps=REPS):
    """Median ms of fn() (which returns seconds) over reps runs."""
    return median([fn() * 1000.0 for _ in range(reps)])


def timed(fn, *args):
    t0 = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t0


def timed_cpu(fn, cpu_list):
    """Like timed(fn) for work done in this thread (an in-process SQLite
    call); appends the thread's CPU ms of the call to cpu_list."""
    c0 = time.thread_time()
    t = timed(fn)
    cpu_list.append((time.thread_time() - c0) * 1000)
    return t


def growth_note(sizes, times):
    """How time grows with n, as the exponent k of t ~ n^k between the first
    and last size (1 = linear; n log n over a 10x step looks like ~1.1)."""
    if len(sizes) < 2 or times[0] <= 0 or times[-1] <= 0:
        return ""
    k = math.log(times[-1] / times[0]) / math.log(sizes[-1] / sizes[0])
    return f"growth exponent {k:.2f} over n={sizes[0]}..{sizes[-1]}"


def within_nlogn(sizes, times, slack=1.5):
    """True when every step grows no faster than n log n (with slack for
    noise and fixed costs)."""
    for (n0, t0), (n1, t1) in zip(zip(sizes, times), zip(sizes[1:], times[1:])):
        allowed = (n1 * math.log(n1)) / (n0 * math.log(n0)) * slack
        if t0 > 0 and t1 / t0 > allowed:
            return False
    return True


# ------------------------------------------------------------------ SQLite

def sqlite_connect(path, load=True):
    c = sqlite3.connect(path, isolation_level=None)
    if load:
        c.enable_load_extension(True)
        c.load_extension(MODULE)
        c.enable_load_extension(False)
    return c


def sqlite_has(conn, name):
    """Whether this build of the module has the function or table `name`."""
    row = conn.execute(
        "SELECT 1 FROM pragma_function_list WHERE name = ? UNION ALL "
        "SELECT 1 FROM pragma_module_list WHERE name = ?", (name, name)).fetchone()
    return row is not None


def module_has(name):
    c = sqlite_connect(":memory:")
    try:
        return sqlite_has(c, name)
    finally:
        c.close()


RSS_CHILD = r"""
import resource, sqlite3, sys, time
db, module, setup, sql = sys.argv[1:5]
c = sqlite3.connect(db, isolation_level=None)
c.enable_load_extension(True); c.load_extension(module)
for s in [x for x in setup.split(';;') if x.strip()]:
    c.execute(s).fetchall()
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter(); rows = c.execute(sql).fetchall(); t = time.perf_counter() - t0
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, base, t, len(rows))
"""


def sqlite_peak_rss(db, sql, setup=""):
    """Peak RSS (KiB) of a fresh process that runs sql on db, and the RSS it
    had before the statement (module loaded, connection open)."""
    out = subprocess.run([sys.executable, "-c", RSS_CHILD, db, MODULE, setup, sql],
                         check=True, capture_output=True, text=True).stdout.split()
    return int(out[0]), int(out[1])


# ------------------------------------------------------------------ PostgreSQL

class PgError(Exception):
    pass


class PgSession:
    """One connection through the pgtime driver; exec() returns (ms, first value)."""

    def __init__(self, cluster, db):
        self.proc = subprocess.Popen(
            [os.path.join(BUILD, "pgtime"), cluster.conninfo(db)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def exec(self, sql):
        data = sql.encode()
        self.proc.stdin.write(b"%d\n" % len(data) + data)
        self.proc.stdin.flush()
        line = self.proc.stdout.readline().decode(errors="replace")
        if not line:
            raise PgError("pgtime ended")
        if line.startswith("ERR"):
            raise PgError(line[4:].strip() + " -- in: " + sql[:200])
        _, ms, *value = line.rstrip("\n").split(" ", 2)
        return float(ms), (value[0] if value else "")

    def value(self, sql):
        return self.exec(sql)[1]

    def seconds(self, sql):
        return self.exec(sql)[0] / 1000.0

    def backend_cpu_ms(self, pid):
        """CPU time the backend serving this session has run so far (the
        cluster is on this machine); None where the kernel does not say."""
        try:
            with open(f"/proc/{pid}/schedstat") as f:
                return int(f.read().split()[0]) / 1e6
        except (OSError, ValueError, IndexError):
            return None

    def timed_with_cpu(self, sql, pid):
        """(wall ms, backend CPU ms or None) of one statement."""
        c0 = self.backend_cpu_ms(pid)
        ms = self.exec(sql)[0]
        c1 = self.backend_cpu_ms(pid)
        return ms, (c1 - c0 if c0 is not None and c1 is not None else None)

    def backend_peak_rss_kb(self, pid):
        """VmHWM of the backend serving this session (includes shared buffers it touched)."""
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1])
        except OSError:
            return None

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


class PgCluster:
    """The throwaway cluster test/bench/pg_cluster.sh started (from its env file)."""

    def __init__(self, env):
        self.env = env
        self.host, self.port, self.user = env["PGHOST"], env["PGPORT"], env["PGUSER"]
        self.bin = env["PBIN"]
        self.dbcare = env.get("DBCARE_PG") == "1"
        self._admin = None
        self._seq = 0

    @staticmethod
    def from_env():
        path = os.environ.get("BENCH_PG_ENV")
        if not path or not os.path.exists(path) or not os.path.exists(os.path.join(BUILD, "pgtime")):
            return None
        return PgCluster.from_file(path)

    @staticmethod
    def from_file(path):
        """The cluster whose env file test/bench/pg_cluster.sh wrote at path."""
        env = {}
        with open(path) as f:
            for line in f:
                k, _, v = line.strip().partition("=")
                env[k] = v
        return PgCluster(env)

    def conninfo(self, db):
        return f"host={self.host} port={self.port} user={self.user} dbname={db}"

    def url(self, db):
        return f"postgres://{self.user}@127.0.0.1:{self.port}/{db}?sslmode=disable"

    def admin(self):
        if self._admin is None:
            self._admin = PgSession(self, "postgres")
        return self._admin

    def fresh_db(self, prefix="b", extensions=()):
        """Creates an empty database (dropping an older one of the same name)."""
        self._seq += 1
        name = f"{prefix}_{self._seq}"
        self.admin().exec(f"DROP DATABASE IF EXISTS {name}")
        self.admin().exec(f"CREATE DATABASE {name} TEMPLATE template0")
        if extensions:
            s = PgSession(self, name)
            for e in extensions:
                s.exec(f"CREATE EXTENSION IF NOT EXISTS {e}")
            s.close()
        return name

    def drop_db(self, name):
        self.admin().exec(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def session(self, db):
        return PgSession(self, db)

    def version(self):
        return self.admin().value("SHOW server_version")


# ------------------------------------------------------------------ machine

def pg_usable(b, label, fn):
    """Whether the benchmark's cluster has this build of dbcare with function
    fn in it; otherwise the rows of label are skipped, saying why."""
    pg = b.pg
    if not pg:
        b.skip(label, "no PostgreSQL cluster")
        return False
    ok = pg.dbcare and pg.admin().value(
        "SELECT count(*) FROM pg_available_extensions WHERE name = 'dbcare'") == "1"
    if ok:
        db = pg.fresh_db("probe", ("dbcare",))
        s = pg.session(db)
        ok = s.value(f"SELECT count(*) FROM pg_proc WHERE proname = '{fn}'") != "0"
        s.close()
        pg.drop_db(db)
    if not ok:
        b.skip(label, f"{fn} is not in this build")
    return ok


def machine_info(pg):
    mem_kb = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    info = {
        "cores": str(os.cpu_count()),
        "cpu": cpu,
        "memory": f"{mem_kb / 1024 / 1024:.1f} GiB",
        "os": f"{platform.system()} {platform.release()}",
        "sqlite": sqlite3.sqlite_version,
        "postgresql": pg.version() if pg else "not run",
        "dbcare": sqlite_connect(":memory:").execute("SELECT dbcare_version()").fetchone()[0],
        "mode": "quick (BENCH_QUICK=1)" if QUICK else "full",
        "runs per figure": str(REPS),
        "date": time.strftime("%Y-%m-%d", time.gmtime()),
    }
    return info


def peer_versions():
    out = {}
    dbmate = os.path.join(BUILD, "node_modules", ".bin", "dbmate")
    if os.path.exists(dbmate):
        r = subprocess.run([dbmate, "--version"], capture_output=True, text=True)
        out["dbmate"] = r.stdout.strip().split()[-1] if r.returncode == 0 and r.stdout.strip() else "?"
    migra = os.path.join(BUILD, "node_modules", "@pgkit", "migra", "package.json")
    if os.path.exists(migra):
        with open(migra) as f:
            out["@pgkit/migra"] = json.load(f).get("version", "?")
    if shutil.which("sqitch"):
        r = subprocess.run(["sqitch", "--version"], capture_output=True, text=True)
        out["sqitch"] = r.stdout.strip().split()[-1] if r.returncode == 0 and r.stdout.strip() else "?"
    return out


# ------------------------------------------------------------------ output
# docs/benchmarks.csv is the record of the figures; the table of
# docs/benchmarks.md is made from it by render_table() alone, so the two
# cannot disagree (test/script/core_benchmarks_page.sh checks they do not).
# Each row carries the commit it was measured on, its date, the machine's
# load then and its connection's transaction mode.

CSV_FIELDS = ["bench", "engine", "size", "side", "transaction", "median_ms", "runs", "ratio",
              "ratio_to", "target", "met", "peak_rss_kib", "note", "commit", "date", "load"]
NOT_STATED = "not stated"
# the transaction modes rows state (tx=): bulk means one transaction
TX_ONE = "one transaction"
TX_EACH_ROW = "autocommit: a transaction a row"
TX_EACH_STATEMENT = "autocommit: a transaction a statement"
TX_READ = "one read (no write)"
TX_CALL = "one call: its own transactions"
TX_READ_SOURCE = "one read transaction of the source"
TX_BATCHES = "a transaction a batch"
TX_TOOL = "a transaction a migration (the tool's)"


def run_commit():
    """The commit being measured (short), "-dirty" when tracked files other
    than the results themselves differ from it: such figures are nobody's."""
    def git(*args):
        return subprocess.run(["git", "-C", ROOT, *args], capture_output=True, text=True)
    head = git("rev-parse", "--short=10", "HEAD")
    if head.returncode != 0:
        return "unknown"
    changed = [line for line in git("status", "--porcelain", "--untracked-files=no").stdout.splitlines()
               if not line[3:].startswith("docs/benchmarks.")]
    return head.stdout.strip() + ("-dirty" if changed else "")


def csv_row(r, commit, date):
    return [r.bench, r.engine, r.size, r.side, r.tx or NOT_STATED,
            "" if r.ms is None else f"{r.ms:.3f}", r.runs,
            "" if r.ratio is None else f"{r.ratio:.3f}", r.ref or "",
            r.target or "", "" if r.met is None else ("yes" if r.met else "no"),
            r.rss_kb or "", r.note, commit, date, f"{r.load:.1f}"]


def write_csv(path, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(CSV_FIELDS)
        w.writerows(rows)


def read_csv(path):
    """The rows of a results file as dicts of CSV_FIELDS (older files lack
    the later fields: empty)."""
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return [{k: (row.get(k) or "") for k in CSV_FIELDS} for row in csv.DictReader(f)]


def cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_table(rows):
    """The Markdown table of results rows (dicts of CSV_FIELDS)."""
    lines = ["| benchmark | engine | n | side | transaction | median ms | ratio | target | met | "
             "peak RSS | note | commit | date | load |",
             "|---|---|---:|---|---|---:|---:|---|---|---:|---|---|---|---:|"]
    for r in rows:
        ms = "—" if r["median_ms"] == "" else fmt_ms(float(r["median_ms"]))
        ratio = "" if r["ratio"] == "" else f"{float(r['ratio']):.2f}× {r['ratio_to']}"
        met = {"yes": "**yes**", "no": "**no**"}.get(r["met"], "")
        rss = "" if not r["peak_rss_kib"] else f"{int(r['peak_rss_kib']) / 1024:.1f} MiB"
        lines.append("| " + " | ".join(cell(x) for x in (
            r["bench"], r["engine"], r["size"], r["side"], r["transaction"] or NOT_STATED, ms, ratio,
            r["target"], met, rss, r["note"], r["commit"], r["date"], r["load"])) + " |")
    return lines


def markdown(bench, info, peers, elapsed, rows, kept):
    """The results block: the machine, the table of rows (the kept ones
    first), what was not measured, the run's notes."""
    lines = []
    lines.append("Machine: " + ", ".join(f"{k}: {v}" for k, v in info.items())
                 + (", " + ", ".join(f"{k} {v}" for k, v in peers.items()) if peers else "")
                 + f", run took {elapsed / 60:.1f} min.")
    lines.append("")
    lines.extend(render_table(rows))
    if bench.skipped:
        lines.append("")
        lines.append("Not measured in this run:")
        lines.append("")
        for b, reason in bench.skipped:
            lines.append(f"- {b}: {reason}")
    if kept:
        lines.append("")
        lines.append(f"The first {kept} rows are kept from an earlier run (this one ran "
                     "BENCH_ONLY benchmarks only: their commit and date say which); the machine "
                     "line is this run's.")
    if bench.notes:
        lines.append("")
        for n in bench.notes:
            lines.append(f"- {n}")
    return "\n".join(lines) + "\n"


BEGIN = "<!-- bench:results:begin (written by test/bench/run.sh; do not edit by hand) -->"
END = "<!-- bench:results:end -->"


def row_key(bench, engine, size, side):
    """What names one figure: no two rows of the results file share it."""
    return (bench, engine, size, side)


def row_module(bench, side, modules, rows_of):
    """The bench_*.py (named without its prefix) that writes a row of this
    bench and side, None when no module does. A figure in instructions of
    a bench that a module names as its ROWS_OF (rows_of: bench to module)
    is that module's: json_instructions writes rows of "json". Otherwise
    the longest module name the bench's name begins with, spaces for
    underscores ("json schemastore instructions" is
    json_schemastore_instructions's, "real schema" is real's), else the one
    module sharing its first word ("serve scrape" is serve_cost's)."""
    if side.endswith("instructions") and bench in rows_of:
        return rows_of[bench]
    name = bench.split(" (")[0].replace(" ", "_")
    owner = max((m for m in modules if name == m or name.startswith(m + "_")), key=len,
                default=None)
    if owner is None:
        first = [m for m in modules if m.split("_")[0] == name.split("_")[0]]
        owner = first[0] if len(first) == 1 else None
    return owner


def kept_rows(csv_path, whole, new_keys, modules, rows_of):
    """The rows of the results file a BENCH_ONLY run leaves: not the
    figures it measured again (new_keys), nor any row of a module it ran
    whole or that failed (whole), so a figure such a module no longer makes
    goes; a module that ran only some of its parts loses only the former."""
    return [r for r in read_csv(csv_path)
            if row_key(r["bench"], r["engine"], r["size"], r["side"]) not in new_keys
            and row_module(r["bench"], r["side"], modules, rows_of) not in whole]


def results_block(doc_path):
    """The text between the markers of docs/benchmarks.md (None: no block)."""
    text = open(doc_path).read()
    if BEGIN not in text or END not in text:
        return None
    return text.split(BEGIN, 1)[1].split(END, 1)[0]


def write_docs(doc_path, table_md):
    """Replaces the results block of docs/benchmarks.md, keeping the prose."""
    text = open(doc_path).read() if os.path.exists(doc_path) else (
        "# dbcare benchmarks\n\n## Latest results\n\n" + BEGIN + "\n" + END + "\n")
    if BEGIN not in text or END not in text:
        text += "\n## Latest results\n\n" + BEGIN + "\n" + END + "\n"
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    with open(doc_path, "w") as f:
        f.write(head + BEGIN + "\n" + table_md + END + tail)


def seed_random():
    random.seed(20261121)
