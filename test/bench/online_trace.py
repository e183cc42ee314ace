"""online_trace.py — what the server and the machine were doing while
bench_online.py's clients ran: the server log read into intervals (the
migration's statements, checkpoints, autovacuum runs, lock waits) and the
CPU each kind of process used in a window (/proc sampled twice a second).
The log's lines begin with log_line_prefix '%n [%p] %a ' (epoch seconds,
pid, application); a message's continuation lines begin with a tab."""
import os
import re
import threading
import time

RECORD = re.compile(r"^(\d+\.\d+) \[(\d+)\] (\S*) ?(LOG|WARNING|ERROR|FATAL|DETAIL|STATEMENT|HINT"
                    r"|CONTEXT|PANIC):  (.*)$")


def records(text):
    """[(epoch s, pid, application, level, message with its continuation
    lines)] of a log's text."""
    out = []
    for line in text.splitlines():
        m = RECORD.match(line)
        if m:
            out.append([float(m.group(1)), int(m.group(2)), m.group(3), m.group(4), m.group(5)])
        elif line.startswith("\t") and out:
            out[-1][4] += "\n" + line
    return [tuple(r) for r in out]


def statements(recs, app):
    """The statements the sessions of application app ran, each logged with
    its time (log_min_duration_statement = 0): [(start, end, what)], what
    being the dbcare function a statement calls, else its first word."""
    out = []
    for t, _, a, level, msg in recs:
        m = re.match(r"duration: ([0-9.]+) ms  (?:statement|execute [^:]*): (.*)", msg, re.S)
        if a != app or level != "LOG" or not m:
            continue
        call = re.search(r"\b(db[a-z_]+)\(", m.group(2))
        what = call.group(1) if call else (m.group(2).split() or ["?"])[0]
        out.append((t - float(m.group(1)) / 1000.0, t, what))
    return out


def pids(recs, app):
    return {pid for _, pid, a, _, _ in recs if a == app}


def checkpoints(recs, until):
    """[(start, end, reason)]: from "checkpoint starting" to its "checkpoint
    complete" (log_checkpoints, on by default since PostgreSQL 15); one
    still running ends at until."""
    out, start = [], None
    for t, _, _, level, msg in recs:
        if level == "LOG" and msg.startswith("checkpoint starting: "):
            start = (t, msg[len("checkpoint starting: "):].strip())
        elif level == "LOG" and msg.startswith("checkpoint complete") and start:
            out.append((start[0], t, start[1]))
            start = None
    if start:
        out.append((start[0], until, start[1]))
    return out


def autovacuums(recs, table):
    """[(start, end, "vacuum"|"analyze", CPU s)] of the autovacuum runs on
    table (its name after the schema), from their log_autovacuum_min_duration
    messages: each logged when it ends, with its elapsed and CPU time."""
    out = []
    for t, _, _, level, msg in recs:
        m = re.match(r'automatic (vacuum|analyze) of table "[^"]*\.' + re.escape(table) + '"', msg)
        use = re.search(r"CPU: user: ([0-9.]+) s, system: ([0-9.]+) s, elapsed: ([0-9.]+) s", msg)
        if level == "LOG" and m and use:
            out.append((t - float(use.group(3)), t, m.group(1),
                        float(use.group(1)) + float(use.group(2))))
    return out


def lock_waits(recs):
    """The log_lock_waits lines, by the application that waited: {app: n}."""
    out = {}
    for _, _, a, level, msg in recs:
        if level == "LOG" and re.match(r"process \d+ still waiting for", msg):
            out[a or "?"] = out.get(a or "?", 0) + 1
    return out


def during(t, spans):
    return any(s[0] <= t <= s[1] for s in spans)


OWN = "the bench's own processes (pgbench, dbcare)"
OTHERS = "the machine's other processes"


class CpuSampler:
    """The CPU time of the postmaster's children, of this process with its
    children (pgbench, the dbcare command) and of the whole machine,
    sampled every PERIOD_S from /proc: window() gives, for [t0, t1], the
    seconds each kind of process ran (a server process that ended between
    two samples loses its last fraction of a period; this process's
    children that ended are counted whole, from its rusage)."""
    PERIOD_S = 0.5
    TICK = os.sysconf("SC_CLK_TCK")

    def __init__(self, postmaster_pid):
        self.pm = postmaster_pid
        self.samples = []  # (t, {pid: (cpu s, title)}, machine busy s, this process's tree s)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    @staticmethod
    def machine_busy():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        return (sum(v) - v[3] - v[4]) / CpuSampler.TICK  # all but idle and iowait

    @staticmethod
    def own_tree():
        """The CPU s of this process, its children that ended (waited for)
        and those running now."""
        t = os.times()
        used = t.user + t.system + t.children_user + t.children_system
        kids = []
        try:
            for task in os.listdir("/proc/self/task"):
                with open(f"/proc/self/task/{task}/children") as f:
                    kids += f.read().split()
        except OSError:
            pass
        for pid in kids:
            try:
                with open(f"/proc/{pid}/stat") as f:
                    st = f.read().rsplit(")", 1)[1].split()
                used += (int(st[11]) + int(st[12])) / CpuSampler.TICK
            except OSError:
                continue
        return used

    def children(self):
        out = {}
        try:
            with open(f"/proc/{self.pm}/task/{self.pm}/children") as f:
                kids = f.read().split()
        except OSError:
            return out
        for pid in kids:
            try:
                with open(f"/proc/{pid}/stat") as f:
                    st = f.read().rsplit(")", 1)[1].split()
                with open(f"/proc/{pid}/cmdline") as f:
                    title = f.read().replace("\0", " ").strip()
            except OSError:
                continue
            out[int(pid)] = ((int(st[11]) + int(st[12])) / self.TICK, title)
        return out

    def loop(self):
        while not self.stopping.is_set():
            self.samples.append((time.time(), self.children(), self.machine_busy(),
                                 self.own_tree()))
            self.stopping.wait(self.PERIOD_S)

    def stop(self):
        self.stopping.set()
        self.thread.join()

    def window(self, t0, t1, kind):
        """({kind: CPU s}, the machine's busy share of its cores) over
        [t0, t1], from the sample before t0 to the first after t1; kind(pid,
        title) names a server process's kind; OWN is this process's tree
        (the clients' pgbench, the dbcare command), OTHERS the rest of the
        machine's busy time (processes of neither: another tenant's)."""
        before = [s for s in self.samples if s[0] <= t0]
        inside = [s for s in self.samples if t0 < s[0] <= t1 + self.PERIOD_S]
        if not inside:
            return {}, None
        first = before[-1] if before else inside[0]
        last, out = {}, {}
        for _, procs, _, _ in inside:
            last.update(procs)
        for pid, (cpu, title) in last.items():
            used = cpu - first[1].get(pid, (0.0, ""))[0]
            k = kind(pid, title)
            out[k] = out.get(k, 0.0) + used
        span = inside[-1][0] - first[0]
        machine = inside[-1][2] - first[2]
        out[OWN] = inside[-1][3] - first[3]
        out[OTHERS] = max(0.0, machine - sum(out.values()))
        busy = machine / (span * os.cpu_count()) if span > 0 else None
        return out, busy


# what the sessions wait for, sampled: one row a sample, each waiting
# session's application, wait type and event, and (for a heavyweight lock)
# whether the migration's session (application "dbcare") holds it up
WAITS_SQL = (
    "SELECT coalesce(string_agg(format('%s|%s|%s|%s', a.application_name, a.wait_event_type, "
    "a.wait_event, CASE WHEN a.wait_event_type = 'Lock' THEN (SELECT coalesce(string_agg("
    "b.application_name, ','), '') FROM pg_stat_activity b WHERE b.pid = ANY "
    "(pg_blocking_pids(a.pid))) END), ';'), '') FROM pg_stat_activity a "
    "WHERE a.state = 'active' AND a.wait_event_type IS NOT NULL "
    "AND a.wait_event_type NOT IN ('Client', 'Activity') AND a.pid <> pg_backend_pid()")


class WaitSampler:
    """The server's sessions' waits every period_s (pg_stat_activity, over
    a session of its own: a query each time, a load of its own on the
    server, so a closer look only): window() counts, for [t0, t1], the
    samples in which some session of application app waited, by what."""

    def __init__(self, session, period_s=0.02):
        self.s, self.period = session, period_s
        self.samples = []  # (t, [(app, type, event, blockers or None)])
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self):
        while not self.stopping.is_set():
            t = time.time()
            row = self.s.value(WAITS_SQL)
            waits = [tuple(w.split("|")) for w in row.split(";") if w]
            self.samples.append((t, [(a, ty, ev, bl if ty == "Lock" else None)
                                     for a, ty, ev, bl in waits]))
            self.stopping.wait(self.period)

    def stop(self):
        self.stopping.set()
        self.thread.join()
        self.s.close()

    def window(self, t0, t1, app):
        """(samples in [t0, t1], {what: samples in which a session of app
        waited for it}); what is "Lock/event behind blocker-app" for a
        heavyweight lock, else "type/event"."""
        inside = [w for t, w in self.samples if t0 <= t <= t1]
        out = {}
        for waits in inside:
            seen = set()
            for a, ty, ev, bl in waits:
                if a == app:
                    seen.add(f"{ty}/{ev} behind {bl or '?'}" if ty == "Lock" else f"{ty}/{ev}")
            for k in seen:
                out[k] = out.get(k, 0) + 1
        return len(inside), out


def batch_holds(statements):
    """[(start, end)] of the backfill's batches among a migration's
    statements (statements(): (start, end, first word or function)): from
    each batch statement's start (WITH) to the end of the COMMIT after it
    when it ran in a BEGIN ... COMMIT of the command's (its rows locked
    until then), else to its own end (a batch that is its own
    transaction)."""
    st = sorted(statements)
    out = []
    for i, (s, e, what) in enumerate(st):
        if what != "WITH":
            continue
        end = e
        for _, e2, w2 in st[i + 1:]:
            if w2 == "COMMIT":
                end = e2
            if w2 in ("COMMIT", "BEGIN", "WITH"):
                break
        out.append((s, end))
    return out


def chains(streams, slow_ms):
    """Each client's transactions (streams: {client: [(end, ms, lag ms,
    script)]} in their order; ms from the scheduled start, lag the part
    before the transaction was sent) with the slowest one of its client
    since that client was last on time (lag under 1 ms): pgbench -R sends
    a client's next transaction only after the last one ended, so one slow
    transaction makes the next ones late. Yields (end, ms, cause) for those
    over slow_ms, cause that slowest (end, own ms, script) or None when
    none of the chain was over slow_ms by itself (late from many
    transactions a little slow each)."""
    for txs in streams.values():
        worst = None
        for end, ms, lag, script in txs:
            own = ms - lag
            if lag < 1.0 or worst is None or own > worst[1]:
                worst = (end, own, script)
            if ms > slow_ms:
                yield end, ms, worst if worst[1] > slow_ms else None
