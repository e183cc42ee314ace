"""bench_serve_cost.py — what monitoring with `dbcare serve` costs the server
it watches (issue 67), run by `make bench` only:

- a pgbench workload at a fixed rate (-R, so its CPU does not depend on
  what else runs) on the benchmark's cluster, measured in windows of
  WINDOW seconds, alternately without scrapes and with a /metrics scrape
  every 15 s (Prometheus' usual interval; serve at its defaults: the report
  read at most once a minute, the gauges and the migrations on every
  scrape). The cost is the whole server's CPU (the postmaster, every
  backend and worker, live or reaped: /proc) plus serve's own, per second,
  with scrapes against the window before without: target ≤ 1 % of the
  workload's CPU (Datadog's published bound for its agent), the median of
  the pairs' ratios; and, steadier, what a minute of scrapes costs (three
  between reports and one reading it, each measured alone, 20 and 10
  times) against the workload's CPU of a minute: target ≤ 1 %; each with
  the session serve keeps per database (its default) and with a session
  per read (--keep-connections 0, what serve did before);
- one scrape of a fleet of 100 PostgreSQL databases (dbcare in each), at
  serve's defaults (4 refreshes at once, --scrape-timeout 5 s: each
  database's time bound; one that overruns is served from its last result,
  reported down, not waited on; a session kept per database): target ≤ 1 s
  for the scrapes between two reports; the scrape that reads the 100
  reports beside it, and the scrape with a session per read.
"""
import os
import socket
import statistics
import subprocess
import time
import urllib.request

import benchlib
from benchlib import QUICK, ROOT, median, pg_usable

TX = benchlib.TX_READ

CLI = os.path.join(ROOT, "build", "cli", "dbcare")
WINDOW = float(os.environ.get("BENCH_SERVE_COST_WINDOW", "30" if QUICK else "60"))
PAIRS = int(os.environ.get("BENCH_SERVE_COST_PAIRS", "2" if QUICK else "3"))
SCRAPE_EVERY = 15.0
RATE = 200          # pgbench transactions a second
SCALE = 10
FLEET = 100
CLK = os.sysconf("SC_CLK_TCK")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def stat_fields(pid):
    """The fields of /proc/PID/stat after the command's name (None: gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None


def server_ticks(pm):
    """CPU ticks of the whole server: the postmaster's own and its reaped
    children's, and every live child's (backends, workers, walwriter...)."""
    f = stat_fields(pm)
    total = sum(int(x) for x in f[11:15])
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        c = stat_fields(entry)
        if c and c[1] == str(pm):
            total += int(c[11]) + int(c[12])
    return total


def process_ticks(pid):
    f = stat_fields(pid)
    return int(f[11]) + int(f[12]) if f else 0


def scrape(port):
    t0 = time.monotonic()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=60) as r:
        body = r.read().decode(errors="replace")
    return time.monotonic() - t0, body


def start_serve(pg, dbs, extra=()):
    port = free_port()
    args = [CLI, "serve", "--listen", f"127.0.0.1:{port}"] + list(extra)
    for db in dbs:
        args += ["--db", f"postgresql:///{db}?host={pg.host}&port={pg.port}&user={pg.user}"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/livez", timeout=5):
                return proc, port
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("dbcare serve did not answer")


def stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def window(pm, serve, port):
    """CPU ticks of the server and of serve over one window; with port, a
    scrape every SCRAPE_EVERY seconds from its start."""
    s0, c0 = server_ticks(pm), process_ticks(serve.pid)
    start = time.monotonic()
    n = 0
    while True:
        now = time.monotonic() - start
        if now >= WINDOW:
            break
        if port and now >= n * SCRAPE_EVERY:
            scrape(port)
            n += 1
            continue
        nxt = n * SCRAPE_EVERY if port else WINDOW
        time.sleep(max(0.01, min(nxt, WINDOW) - now))
    return server_ticks(pm) - s0, process_ticks(serve.pid) - c0, n


def scrape_cpu(b, pg, db, pm, keep=()):
    """What one scrape costs the server and serve, with no workload: between
    two reports (the gauges and the migrations) and with the report read;
    keep: serve's --keep-connections, when not its default."""
    out = {}
    for name, extra, n in (("gauges", [], 20), ("report", ["--report-interval", "0"], 10)):
        serve, port = start_serve(pg, [db], ["--min-interval", "0"] + extra + list(keep))
        try:
            scrape(port)
            s0, c0 = server_ticks(pm), process_ticks(serve.pid)
            for _ in range(n):
                scrape(port)
            out[name] = ((server_ticks(pm) - s0) + (process_ticks(serve.pid) - c0)) * 1000 / CLK / n
        finally:
            stop(serve)
    return out


def cost(b):
    pg = b.pg
    db = pg.fresh_db("serve_cost", ("dbcare",))
    pgbench = os.path.join(pg.bin, "pgbench")
    conn = ["-h", pg.host, "-p", str(pg.port), "-U", pg.user]
    subprocess.run([pgbench, "-i", "-q", "-s", str(SCALE)] + conn + [db], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(os.path.join(os.path.dirname(pg.host), "data", "postmaster.pid")) as f:
        pm = int(f.readline())
    one = scrape_cpu(b, pg, db, pm)
    fresh = scrape_cpu(b, pg, db, pm, ["--keep-connections", "0"])
    total = WINDOW * 2 * PAIRS + 60
    load = subprocess.Popen([pgbench, "-n", "-c", "4", "-j", "2", "-R", str(RATE), "-T",
                             str(int(total))] + conn + [db],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    serve, port = start_serve(pg, [db])
    try:
        time.sleep(5)          # pgbench's connections made, its rate steady
        scrape(port)           # serve's first read of the database, outside the windows
        without, with_, ratios, scrapes = [], [], [], 0
        for _ in range(PAIRS):
            a_pg, a_serve, _ = window(pm, serve, None)
            b_pg, b_serve, n = window(pm, serve, port)
            scrapes += n
            a = (a_pg + a_serve) / CLK / WINDOW
            w = (b_pg + b_serve) / CLK / WINDOW
            without.append(a)
            with_.append(w)
            ratios.append((w - a) / a)
    finally:
        stop(serve)
        load.terminate()
        load.wait()
    size = f"pgbench scale {SCALE}, {RATE} tx/s"
    a, w, r = median(without), median(with_), statistics.median(ratios)
    note = (f"{PAIRS} pairs of {WINDOW:.0f} s windows; CPU ms the server (all its processes, "
            f"reaped ones too) and serve spent per second; the pairs' ratios "
            + ", ".join(f"{x * 100:+.2f} %" for x in ratios))
    b.add("serve cost", "postgresql", size, "server CPU, no scrape", a * 1000, PAIRS,
          ratio=1.0, ref="no scrape", note=note)
    b.add("serve cost", "postgresql", size, f"server + serve CPU, /metrics every {SCRAPE_EVERY:.0f} s",
          w * 1000, PAIRS, ratio=1 + r, ref="no scrape", target="≤ 1.01× no scrape",
          met=r <= 0.01, note=f"{scrapes} scrapes; the report read at most once a minute")
    # at a 15 s scrape with the report at most once a minute: three scrapes
    # of the gauges and one with the report a minute
    minute = 3 * one["gauges"] + one["report"]
    minute_fresh = 3 * fresh["gauges"] + fresh["report"]
    share, share_fresh = minute / 60 / (a * 1000), minute_fresh / 60 / (a * 1000)
    b.add("serve cost", "postgresql", size, "server + serve CPU of a minute of scrapes every 15 s",
          minute, 20 + 10, target="≤ 1 % of the workload's CPU", met=share <= 0.01,
          note=f"{share * 100:.2f} % of the workload's {a * 60000:.0f} ms CPU a minute (3 scrapes "
          f"between reports and 1 reading the report, each measured alone below); a session per "
          f"read (--keep-connections 0): {minute_fresh:.0f} ms, {share_fresh * 100:.2f} %; 1 % of a "
          f"workload of {minute / 60 / 0.01:.0f} ms CPU a second or more")
    b.add("serve cost", "postgresql", "one database", "server + serve CPU, one scrape between reports",
          one["gauges"], 20, ratio=one["gauges"] / fresh["gauges"], ref="a session per read",
          note="no workload running; the gauges and the migrations on the session serve keeps")
    b.add("serve cost", "postgresql", "one database",
          "server + serve CPU, one scrape between reports, a session per read",
          fresh["gauges"], 20, ratio=1.0, ref="a session per read",
          note="--keep-connections 0: the gauges, the migrations and a new session each time "
          "(the server's process, dbcare's module loaded, its caches filled)")
    b.add("serve cost", "postgresql", "one database", "server + serve CPU, one scrape reading the report",
          one["report"], 10, ratio=one["report"] / fresh["report"], ref="a session per read (report)",
          note="the standard report, on the session serve keeps")
    b.add("serve cost", "postgresql", "one database",
          "server + serve CPU, one scrape reading the report, a session per read",
          fresh["report"], 10, ratio=1.0, ref="a session per read (report)",
          note="--keep-connections 0")
    pg.drop_db(db)


def ups(body):
    return sum(1 for line in body.splitlines() if line.startswith("dbcare_up{") and line.endswith(" 1"))


def carried_scrapes(pg, names, extra):
    """serve over names (with extra options) scraped until every database
    is up (the first scrapes read the reports, each waiting at most
    --scrape-timeout for them), then scraped with the reports carried: the
    first scrape's seconds, the steady scrapes' seconds, and the fewest
    databases up in any of those"""
    serve, port = start_serve(pg, names, ["--min-interval", "0"] + extra)
    try:
        first, body = scrape(port)
        for _ in range(30):
            if ups(body) == len(names):
                break
            body = scrape(port)[1]
        steady, up = [], len(names)
        for _ in range(5 if QUICK else 11):
            t, body = scrape(port)
            steady.append(t)
            up = min(up, ups(body))
        return first, steady, up
    finally:
        stop(serve)


def fleet(b):
    pg = b.pg
    tmpl = pg.fresh_db("serve_fleet_tmpl", ("dbcare",))
    s = pg.session(tmpl)
    s.exec("CREATE TABLE orders (id bigint PRIMARY KEY, customer integer, note text)")
    s.exec("INSERT INTO orders SELECT i, i % 100, md5(i::text) FROM generate_series(1, 1000) i")
    s.exec("ANALYZE")
    s.close()
    admin = pg.admin()
    names = [f"serve_fleet_{i:03d}" for i in range(FLEET)]
    for n in names:
        admin.exec(f"DROP DATABASE IF EXISTS {n}")
        admin.exec(f"CREATE DATABASE {n} TEMPLATE {tmpl}")
    first, steady, up = carried_scrapes(pg, names, [])
    serve, port = start_serve(pg, names, ["--min-interval", "0", "--report-interval", "0"])
    try:
        scrape(port)
        reports = [scrape(port)[0] for _ in range(3 if QUICK else 5)]
    finally:
        stop(serve)
    size = f"{FLEET} databases"
    m = median(steady) * 1000
    b.add("serve scrape", "postgresql", size, "GET /metrics, reports carried (between two reports)",
          m, len(steady), target="≤ 1 s", met=m <= 1000 and up == FLEET,
          note=f"serve's defaults (--jobs 4, --scrape-timeout 5 s each database, a session kept "
               f"per database); {up} of "
               f"{FLEET} up in every one; the first scrape (the reports read, each database "
               f"bound by --scrape-timeout) {first * 1000:.0f} ms")
    b.add("serve scrape", "postgresql", size, "GET /metrics, every report read (--report-interval 0)",
          median(reports) * 1000, len(reports))
    wide = carried_scrapes(pg, names, ["--jobs", "8"])[1]
    m8 = median(wide) * 1000
    b.add("serve scrape", "postgresql", size, "GET /metrics, reports carried, --jobs 8", m8, len(wide),
          target="≤ 1 s", met=m8 <= 1000, note="8 refreshes at once instead of 4")
    fresh = carried_scrapes(pg, names, ["--keep-connections", "0"])[1]
    mf = median(fresh) * 1000
    b.add("serve scrape", "postgresql", size, "GET /metrics, reports carried, a session per read", mf,
          len(fresh), note=f"--keep-connections 0 (a new session for each refresh); the defaults "
          f"keep one per database: {mf / m:.2f}× their time")
    for n in names:
        admin.exec(f"DROP DATABASE IF EXISTS {n}")
    pg.drop_db(tmpl)


def run(b):
    if not os.path.exists(CLI):
        b.skip("serve cost", "build/cli/dbcare is not built")
        return
    if not pg_usable(b, "serve cost", "dbhealth_gauges"):
        return
    if not os.path.exists(os.path.join(b.pg.bin, "pgbench")):
        b.skip("serve cost", "pgbench is not installed (postgresql-contrib)")
    else:
        cost(b)
    fleet(b)
