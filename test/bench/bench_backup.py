"""bench_backup.py — dbbackup_create on SQLite (docs/backups.md).

1. A 100 MB database (20 MB with BENCH_QUICK), rollback journal:
   dbbackup_create with quick verification (copy straight from the file,
   the snapshot byte for byte, quick_check, fingerprint, row counts and
   content hashes read from the copy, SHA-256 of the file and a hash of
   each page, sync, link, catalog row) against the sqlite3 shell's
   `.backup` followed by `PRAGMA quick_check` on the copy (target ≤ 1.3×), and
   VACUUM INTO + quick_check, the other consistent copy SQLite offers (the
   reason the module copies inside a read transaction: sqlite/backup/backup_copy.c),
   and the floor of the same verified work by hand: the shell's pair, then
   one read of every column of every row of the copy (no row digest) and
   the copy's SHA-256 (`openssl dgst`).
   Then incremental against full: 1 % of the pages rewritten before each,
   dbbackup_create(path, 'incremental') against dbbackup_create(path)
   (target ≤ 0.1×), and the bytes the incremental wrote; beside them the
   floor of an incremental that finds changed pages by reading them and
   records the changed rows' content: the database file read once (no
   hash) and one read of every column of the changed rows. Each side's CPU
   time (this process's, or the shell's children's) is in the notes: on a
   loaded machine wall time also counts waiting for a core.
   Sealed backups beside the plain one (sealed(): full+zstd, full+encrypt,
   full+zstd+encrypt, the key from the environment), with the bytes each
   writes, and dbbackup_verify of a sealed one against a plain one.
2. The same database in WAL mode with a writer committing at least 500
   transactions a second: 10 backups, each completes or fails within its
   timeout; the time of each is reported."""
import json
import multiprocessing
import os
import resource
import subprocess
import time

import benchlib
from benchlib import QUICK, REPS, interleave, median, sqlite_connect

# the transaction mode of every row that does not state its own
TX = benchlib.TX_READ_SOURCE

MB = 20 if QUICK else 100
RUNS_UNDER_WRITER = 10


def cpu(who=resource.RUSAGE_SELF):
    """CPU seconds (user + system) of this process, or of its waited-for
    children: on a loaded machine wall time also counts the waiting."""
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


CPU = {}  # side -> [CPU ms, ...]


def cpu_timed(side, fn, who=resource.RUSAGE_SELF):
    """Runs fn; returns its wall seconds and keeps its CPU ms under side
    (who None: this process's and its waited-for children's)."""
    def now():
        return cpu() + cpu(resource.RUSAGE_CHILDREN) if who is None else cpu(who)
    c0, t0 = now(), time.perf_counter()
    fn()
    t = time.perf_counter() - t0
    CPU.setdefault(side, []).append((now() - c0) * 1000.0)
    return t


def cpu_note(side, ref):
    """'CPU N ms (R× ref's)' from the medians kept by cpu_timed."""
    c, r = median(CPU[side]), median(CPU[ref])
    return f"CPU {c:.0f} ms, {c / r:.2f}× {ref}'s {r:.0f} ms"


def make_db(path, mb, wal):
    """Two tables, one with an index: about mb megabytes."""
    c = sqlite_connect(path, load=False)
    if wal:
        c.execute("PRAGMA journal_mode = wal")
    c.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, body BLOB)")
    c.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, item_id INTEGER, at REAL)")
    c.execute("CREATE INDEX events_item ON events (item_id)")
    rows = mb * 1024 * 1024 // 400
    c.execute("BEGIN")
    c.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
              "INSERT INTO items (name, body) SELECT 'item ' || i, randomblob(300) FROM n", (rows,))
    c.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
              "INSERT INTO events (item_id, at) SELECT i % 1000, i * 0.5 FROM n", (rows // 2,))
    c.execute("COMMIT")
    c.close()


def shell_backup(src, dest):
    out = []

    def run():
        subprocess.run(["sqlite3", src, f".backup '{dest}'"], check=True)
        out.append(subprocess.run(["sqlite3", dest, "PRAGMA quick_check"], check=True,
                                  capture_output=True, text=True).stdout.strip())
    t = cpu_timed("shell", run, resource.RUSAGE_CHILDREN)
    assert out == ["ok"], out
    return t


# every column of every row of the benchmark's tables, read once (what a
# content record reads, without digesting the rows)
READ_ITEMS = "SELECT count(*), sum(length(name)), sum(length(body)) FROM items"
READ_ALL = READ_ITEMS + "; SELECT count(*), sum(item_id), sum(at) FROM events"
# the file's SHA-256 as fast as this machine computes it (libcrypto, with
# the CPU's SHA instructions; coreutils' sha256sum has none: 5× slower)
SHA256 = ["openssl", "dgst", "-sha256"]


def read_file(path):
    """Every byte of path read once, in 1 MiB chunks, nothing done with it."""
    fd = os.open(path, os.O_RDONLY)
    try:
        while os.read(fd, 1 << 20):
            pass
    finally:
        os.close(fd)


def floor_by_hand(src, dest):
    """The same verified work by hand: the copy, its storage check, one read
    of every row, the SHA-256 of the file."""
    out = []

    def run():
        subprocess.run(["sqlite3", src, f".backup '{dest}'"], check=True)
        out.append(subprocess.run(["sqlite3", dest, "PRAGMA quick_check; " + READ_ALL],
                                  check=True, capture_output=True, text=True).stdout.split()[0])
        subprocess.run(SHA256 + [dest], check=True, stdout=subprocess.DEVNULL)
    t = cpu_timed("floor", run, resource.RUSAGE_CHILDREN)
    assert out == ["ok"], out
    return t


def vacuum_into(conn, dest):
    t0 = time.perf_counter()
    conn.execute("VACUUM INTO ?", (dest,))
    c = sqlite_connect(dest, load=False)
    out = c.execute("PRAGMA quick_check").fetchone()[0]
    c.close()
    assert out == "ok", out
    return time.perf_counter() - t0


def writer(path, stop, counter):
    c = sqlite_connect(path, load=False)
    c.execute("PRAGMA synchronous = NORMAL")
    n = 0
    while not stop.is_set():
        c.execute("INSERT INTO events (item_id, at) VALUES (?, ?)", (n % 1000, time.time()))
        n += 1
        time.sleep(0.0003)
    counter.value = n


def sealed(b, conn, dest, size):
    """Sealed backups (docs/backups.md, "Compressed and encrypted backups")
    beside the plain one, interleaved: each side's CPU time and the bytes
    it wrote against the plain copy's; then dbbackup_verify of the sealed
    file (opened into a scratch file, then checked) against the plain
    file's. The key is the process environment's, as the module reads it."""
    os.environ.pop("DBCARE_BACKUP_KEY_FILE", None)
    os.environ["DBCARE_BACKUP_KEY"] = os.urandom(32).hex()
    methods = ["full", "full+zstd", "full+encrypt", "full+zstd+encrypt"]
    made = {m: [] for m in methods}

    def create(m):
        def go():
            path = dest("seal")
            t = cpu_timed("seal " + m, lambda: conn.execute("SELECT dbbackup_create(?, ?)",
                                                            (path, m)).fetchone())
            made[m].append(path)
            if len(made[m]) > 1:  # the first of each is verified below; the rest take room
                os.unlink(path)
            return t
        return go

    times = interleave({m: create(m) for m in methods}, REPS)
    plain = median(times["full"])
    plain_bytes = os.path.getsize(made["full"][0])
    for m in methods[1:]:
        t = median(times[m])
        share = os.path.getsize(made[m][0]) / plain_bytes * 100
        b.add("backup", "sqlite", size, f"dbbackup_create(path, '{m}')", t, REPS,
              ratio=t / plain, ref="plain",
              note=cpu_note("seal " + m, "seal full") + f"; wrote {share:.1f} % of the plain "
                   "copy's bytes; verified as a plain copy in a scratch file without a name, "
                   "sealed, read back and opened before it is named")
    b.add("backup", "sqlite", size, "dbbackup_create(path, 'full') beside the sealed ones", plain,
          REPS, ratio=1.0, ref="plain", note="the plain copy the sealed rows compare with")

    def verify(m):
        return lambda: cpu_timed("verify " + m, lambda: conn.execute(
            "SELECT dbbackup_verify(?)", (made[m][0],)).fetchone())

    times = interleave({m: verify(m) for m in ("full", "full+zstd+encrypt")}, REPS)
    p, s = median(times["full"]), median(times["full+zstd+encrypt"])
    b.add("backup", "sqlite", size, "dbbackup_verify() of a full+zstd+encrypt backup", s, REPS,
          ratio=s / p, ref="plain verify",
          note=cpu_note("verify full+zstd+encrypt", "verify full") + "; SHA-256 of the sealed "
               "file while it is opened into a scratch file, then the plain copy's checks")
    b.add("backup", "sqlite", size, "dbbackup_verify() of the plain backup", p, REPS, ratio=1.0,
          ref="plain verify", note="file SHA-256, quick_check, fingerprint, counts, content hashes")
    os.environ.pop("DBCARE_BACKUP_KEY", None)


def run(b):
    size = f"{MB} MB"
    src = b.path("backup_src.db")
    make_db(src, MB, wal=False)
    conn = sqlite_connect(src)
    n = [0]
    made = []  # (tag, path) of every file the sides wrote, oldest first

    def dest(tag):
        n[0] += 1
        made.append((tag, b.path(f"backup_{tag}_{n[0]}.db")))
        return made[-1][1]

    def tidy():
        """Deletes every file written so far but the newest full backup and
        the incrementals after it (the next incremental's chain), as a
        retention policy would: 100 MB copies left to pile up in the page
        cache made the same full backup cost 370, then 700 ms of CPU."""
        last_full = max((i for i, (tag, _) in enumerate(made) if tag in ("dbc", "full")),
                        default=len(made))
        for i, (tag, path) in enumerate(made):
            if (i < last_full or tag not in ("dbc", "full", "incr")) and os.path.exists(path):
                os.unlink(path)

    def tidied(fn):
        def go():
            tidy()
            return fn()
        return go

    times = interleave({
        "dbcare": tidied(lambda: cpu_timed("dbcare", lambda: conn.execute(
            "SELECT dbbackup_create(?)", (dest("dbc"),)).fetchone())),
        "shell": tidied(lambda: shell_backup(src, dest("shell"))),
        "vacuum": tidied(lambda: vacuum_into(conn, dest("vacuum"))),
        "floor": tidied(lambda: floor_by_hand(src, dest("floor"))),
    }, REPS)
    base = median(times["shell"])
    m = median(times["dbcare"])
    b.add("backup", "sqlite", size, "dbbackup_create() (quick verification)", m, REPS,
          ratio=m / base, ref="shell", target="≤ 1.3× shell", met=m / base <= 1.3,
          note=cpu_note("dbcare", "shell") + "; copy straight from the file in one read "
               "transaction (the snapshot byte for byte), quick_check, fingerprint, row counts "
               "and content hashes read once from the copy, SHA-256 of the file and a hash of "
               "each page, fsync, link, catalog row")
    b.add("backup", "sqlite", size, "sqlite3 .backup + PRAGMA quick_check", base, REPS,
          ratio=1.0, ref="shell", note="two shell processes: the copy, then the check")
    v = median(times["vacuum"])
    b.add("backup", "sqlite", size, "VACUUM INTO + PRAGMA quick_check", v, REPS,
          ratio=v / base, ref="shell", note="the alternative the module does not use")
    fl = median(times["floor"])
    b.add("backup", "sqlite", size, "floor by hand: .backup + quick_check + rows read + SHA-256",
          fl, REPS, ratio=fl / base, ref="shell",
          note=cpu_note("floor", "shell") + f"; dbcare's CPU is "
               f"{median(CPU['dbcare']) / median(CPU['floor']):.2f}× this; the shell's pair, "
               "then one read of every column of every row of the copy (no row digest) and "
               "the copy's SHA-256 (openssl dgst): the work the verification adds, by hand")

    # incremental against full, each after 1 % of the pages changed (rows
    # rewritten in place, a run of them: about 12 rows a page)
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    span = max(1, pages // 100) * 12
    start = [1000]

    def change():
        start[0] += span
        conn.execute("UPDATE items SET body = randomblob(300) WHERE id BETWEEN ? AND ?",
                     (start[0], start[0] + span - 1))

    written, rows_read = [], []

    def incremental():
        change()
        tidy()
        path = dest("incr")
        out = []
        t = cpu_timed("incremental", lambda: out.append(conn.execute(
            "SELECT dbbackup_create(?, 'incremental')", (path,)).fetchone()[0]))
        written.append(os.path.getsize(path))
        rows_read.append(json.loads(out[0])["rows_read"])
        return t

    def full():
        change()
        tidy()
        return cpu_timed("full", lambda: conn.execute("SELECT dbbackup_create(?)",
                                                      (dest("full"),)).fetchone())

    def incremental_floor():
        # no change of its own: the incremental's base stays one change back
        tidy()

        def run():
            read_file(src)
            conn.execute(READ_ITEMS + " WHERE id BETWEEN ? AND ?",
                         (start[0], start[0] + span - 1)).fetchall()
        return cpu_timed("incremental floor", run)

    times = interleave({"incremental": incremental, "full": full,
                        "incremental floor": incremental_floor}, REPS)
    f, i = median(times["full"]), median(times["incremental"])
    db_bytes = pages * conn.execute("PRAGMA page_size").fetchone()[0]
    b.add("backup", "sqlite", size, "dbbackup_create(path, 'incremental'), 1 % of pages changed", i,
          REPS, ratio=i / f, ref="full", target="≤ 0.1× full", met=i / f <= 0.1,
          note=cpu_note("incremental", "full") + "; "
               f"wrote {median(written) / db_bytes * 100:.2f} % of the database "
               "(target ≤ 2 %); reads every page (hashing it) and the rows of the "
               f"rowid windows its changed pages can hold ({median(rows_read):.0f} rows) in one "
               "read transaction")
    b.add("backup", "sqlite", size, "dbbackup_create(path) after the same change", f, REPS,
          ratio=1.0, ref="full", note="full copy with its verification")
    fi = median(times["incremental floor"])
    b.add("backup", "sqlite", size, "incremental floor: every page read + the changed rows read",
          fi, REPS, ratio=fi / f, ref="full",
          note=cpu_note("incremental floor", "full") + "; the file read once in 1 MiB chunks "
               "(no hash), every column of the changed rows read once (no row digest): less "
               "than any incremental that finds changed pages by reading them must do")
    sealed(b, conn, dest, size)
    conn.close()

    # under a writer: WAL, one connection committing small transactions
    src = b.path("backup_wal.db")
    make_db(src, MB, wal=True)
    conn = sqlite_connect(src)
    conn.execute("SELECT dbcare_set('backup.timeout_ms', '30000')")
    stop, counter = multiprocessing.Event(), multiprocessing.Value("q", 0)
    w = multiprocessing.Process(target=writer, args=(src, stop, counter))
    w.start()
    time.sleep(0.5)
    t_all = time.perf_counter()
    each, outcomes = [], []
    for _ in range(RUNS_UNDER_WRITER):
        t0 = time.perf_counter()
        try:
            conn.execute("SELECT dbbackup_create(?)", (dest("writer"),)).fetchone()
            outcomes.append("verified")
        except Exception as e:  # a failure within the timeout is an outcome too
            outcomes.append("failed: " + str(e).splitlines()[0])
        each.append((time.perf_counter() - t0) * 1000)
    elapsed = time.perf_counter() - t_all
    stop.set()
    w.join()
    rate = counter.value / (elapsed + 0.5)
    ok = outcomes.count("verified")
    b.add("backup", "sqlite", size + " WAL", f"dbbackup_create() under a writer ({rate:.0f} tx/s)",
          median(each), RUNS_UNDER_WRITER, target="every run done or failed within timeout",
          met=max(each) <= 30000 + 2000,
          note=f"{ok} of {RUNS_UNDER_WRITER} verified; slowest {max(each):.0f} ms; "
               + "; ".join(sorted(set(o for o in outcomes if o != "verified"))))
    conn.close()
