#!/usr/bin/env bash
# Incremental backups under 8 concurrent writers (WAL): each writer inserts,
# updates and deletes rows of its own in a shared 40,000-row table and
# counts what it did, while a full backup and 8 incremental ones are
# taken; each incremental verifies (its chain restored, every table
# compared with the content record read in its snapshot, the windows taken
# over from the one before). After the writers stop, a last incremental's
# image (left by dbbackup_verify) holds exactly the live rows: the count
# the writers' own tallies give, and the same content.
# The writers pause 5 ms between transactions, as an application does work
# between its writes: back to back, 8 of them starved one another in
# SQLite's sleep-and-retry busy handler (one waited 7 s for BEGIN
# IMMEDIATE with no backup running, and under load past its 30 s busy
# timeout), which says nothing of the backup. What the backup promises is
# checked instead: in WAL mode it holds no writer up (docs/backups.md), so
# while backups run some writer commits at least every 5 s.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
"$py" - "$mod" "$work" <<'PY'
import json, multiprocessing, sqlite3, sys, time

STALL_MAX_S = 5  # the longest time with no commit of any writer

mod, work = sys.argv[1], sys.argv[2]
path = f"{work}/app.db"
WRITERS = 8

def fail(msg):
    print(f"FAIL: {msg}")
    sys.exit(1)

c = sqlite3.connect(path, isolation_level=None)
c.execute("PRAGMA journal_mode = wal")
c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, owner INTEGER, v BLOB)")
c.execute("WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 40000)"
          " INSERT INTO t (owner, v) SELECT -1, randomblob(150) FROM s")
c.close()

def writer(n, stop, tally, commits):
    w = sqlite3.connect(path, isolation_level=None, timeout=30)
    inserted = deleted = 0
    done = []
    while not stop.is_set():
        w.execute("BEGIN IMMEDIATE")
        w.execute("INSERT INTO t (owner, v) VALUES (?, randomblob(150))", (n,))
        w.execute("UPDATE t SET v = randomblob(150) WHERE id = abs(random()) % 40000 + 1")
        gone = w.execute("DELETE FROM t WHERE id = (SELECT max(id) FROM t WHERE owner = ?)"
                         " AND abs(random()) % 3 = 0", (n,)).rowcount
        w.execute("COMMIT")
        done.append(time.monotonic())  # one clock for every process
        inserted += 1
        deleted += gone
        time.sleep(0.005)
    tally[n] = inserted - deleted
    commits[n] = done

stop = multiprocessing.Event()
manager = multiprocessing.Manager()
tally, commits = manager.dict(), manager.dict()
procs = [multiprocessing.Process(target=writer, args=(n, stop, tally, commits))
         for n in range(WRITERS)]
for p in procs:
    p.start()

c = sqlite3.connect(path, isolation_level=None, timeout=30)
c.enable_load_extension(True)
c.load_extension(mod)
c.execute("SELECT dbcare_set('backup.timeout_ms', '60000')")
time.sleep(0.3)
backups_from = time.monotonic()
c.execute("SELECT dbbackup_create(?)", (f"{work}/full.db",)).fetchone()
read = []
for i in range(8):
    time.sleep(0.15)
    out = json.loads(c.execute("SELECT dbbackup_create(?, 'incremental')",
                               (f"{work}/inc{i}.db",)).fetchone()[0])
    v = json.loads(c.execute("SELECT dbbackup_verify(?)", (f"{work}/inc{i}.db",)).fetchone()[0])
    if not v.get("verified"):
        fail(f"incremental {i} under writers did not verify: {v}")
    read.append(out["rows_read"])
backups_to = time.monotonic()
stop.set()
for p in procs:
    p.join()
    if p.exitcode != 0:
        fail(f"a writer exited {p.exitcode}")
# the stalls while the backups ran: gaps between commits of all writers
times = sorted(t for n in range(WRITERS) for t in commits[n])
during = [backups_from] + [t for t in times if backups_from < t < backups_to] + [backups_to]
stall = max(b - a for a, b in zip(during, during[1:]))
if stall > STALL_MAX_S:
    fail(f"no writer committed for {stall:.1f} s while the backups ran")
c.execute("SELECT dbbackup_create(?, 'incremental')", (f"{work}/last.db",)).fetchone()
v = json.loads(c.execute("SELECT dbbackup_verify(?, ?)", (f"{work}/last.db", f"{work}/image.db")).fetchone()[0])
if not v.get("verified"):
    fail(f"the last incremental did not verify: {v}")
want = 40000 + sum(tally.values())
live = c.execute("SELECT count(*) FROM t").fetchone()[0]
img = sqlite3.connect(f"{work}/image.db")
got = img.execute("SELECT count(*) FROM t").fetchone()[0]
if not (live == want == got):
    fail(f"rows: writers' tallies say {want}, live {live}, the restored image {got}")
q = "SELECT group_concat(id || ':' || owner || ':' || hex(v), ',') FROM (SELECT * FROM t ORDER BY id)"
if img.execute(q).fetchone()[0] != c.execute(q).fetchone()[0]:
    fail("the restored image's rows differ from the live ones")
print(f"{WRITERS} writers, {sum(tally.values())} rows net added, the longest stall "
      f"{stall * 1000:.0f} ms in {backups_to - backups_from:.1f} s of backups; 8 incrementals verified "
      f"(rows re-read: {min(read)}-{max(read)}); the last image equals the live table, {got} rows")
PY
