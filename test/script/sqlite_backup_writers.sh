#!/usr/bin/env bash
# dbbackup_create under a writer committing as fast as it can (hundreds to
# thousands of transactions a second): in WAL and in rollback-journal mode,
# each of 10 backups completes verified or fails with its timeout error
# within backup.timeout_ms (plus slack for a loaded machine) -- never loops.
# The copy happens inside one read transaction, so a commit by another
# connection cannot make it start over. The bench (test/bench) times it.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"

"$py" - "$mod" "$work" <<'PY'
import multiprocessing, os, sqlite3, sys, time

mod, work = sys.argv[1], sys.argv[2]
TIMEOUT_MS = 3000

def writer(path, stop, counter):
    conn = sqlite3.connect(path, isolation_level=None, timeout=10)
    conn.execute("PRAGMA synchronous = OFF")
    n = 0
    while not stop.is_set():
        try:
            conn.execute("INSERT INTO t (v) VALUES (randomblob(100))")
            n += 1
            time.sleep(0.0002)  # over 1000 commits a second, the rest for the others
        except sqlite3.OperationalError:
            pass  # busy while a rollback-journal backup holds its read lock
    counter.value = n

failures = []
for mode in ("wal", "delete"):
    path = f"{work}/{mode}.db"
    # the catalog row is a write: it waits for the writer like any write,
    # at most the connection's busy timeout (1 s here)
    conn = sqlite3.connect(path, isolation_level=None, timeout=1)
    conn.enable_load_extension(True)
    conn.load_extension(mod)
    conn.execute(f"PRAGMA journal_mode = {mode}")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)")
    conn.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) "
                 "INSERT INTO t (v) SELECT randomblob(100) FROM n")
    conn.execute("SELECT dbcare_set('backup.timeout_ms', ?)", (str(TIMEOUT_MS),))
    stop, counter = multiprocessing.Event(), multiprocessing.Value("q", 0)
    w = multiprocessing.Process(target=writer, args=(path, stop, counter))
    w.start()
    time.sleep(0.3)
    start_all = time.monotonic()
    times, outcomes = [], []
    for i in range(10):
        t0 = time.monotonic()
        try:
            out = conn.execute("SELECT dbbackup_create(?)", (f"{work}/{mode}-{i}.db",)).fetchone()[0]
            outcomes.append("verified" if '"verified":true' in out else "?")
        except sqlite3.OperationalError as e:
            # a failure: the timeout, or (rollback journal) the catalog row's
            # write lock not granted within the busy timeout
            ok = "backup.timeout_ms" in str(e) or "dbcare: database is locked" in str(e)
            outcomes.append("failed" if ok else "error: " + str(e))
            if os.path.exists(f"{work}/{mode}-{i}.db"):
                failures.append(f"{mode}: a failed backup left its file")
        times.append(time.monotonic() - t0)
    elapsed = time.monotonic() - start_all
    stop.set()
    w.join()
    rate = counter.value / (elapsed + 0.3)
    print(f"{mode}: writer {rate:.0f} tx/s; {outcomes.count('verified')} verified; "
          f"max {max(times) * 1000:.0f} ms")
    for o, t in zip(outcomes, times):
        if o not in ("verified", "failed"):
            failures.append(f"{mode}: {o}")
        if t * 1000 > TIMEOUT_MS + 1000 + 2000:
            failures.append(f"{mode}: a backup took {t * 1000:.0f} ms, past its timeout")
    listed = conn.execute("SELECT count(*) FROM dbbackup_list WHERE status = 'verified'").fetchone()[0]
    if listed != outcomes.count("verified"):
        failures.append(f"{mode}: {listed} verified rows for {outcomes.count('verified')} backups")
    leftovers = [f for f in os.listdir(work) if ".tmp-" in f]
    if leftovers:
        failures.append(f"{mode}: temporary files left: {leftovers}")
# a copy that cannot finish in time: it gives up between steps with its
# error, and leaves nothing under the name
path = f"{work}/big.db"
conn = sqlite3.connect(path, isolation_level=None)
conn.enable_load_extension(True)
conn.load_extension(mod)
conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)")
conn.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 6000) "
             "INSERT INTO t (v) SELECT randomblob(8000) FROM n")
conn.execute("SELECT dbcare_set('backup.timeout_ms', '1')")
try:
    conn.execute("SELECT dbbackup_create(?)", (f"{work}/big-copy.db",))
    failures.append("a backup past its timeout succeeded")
except sqlite3.OperationalError as e:
    # whatever the snapshot is read for first gives up at the deadline: the
    # copy's steps (a rollback-journal database's rows are read from the
    # copy), or the source's content where it is read in the snapshot (it
    # once ran to its end first: a backup of a large database overran its
    # timeout by the time of that read)
    if ("dbcare: the copy did not finish within backup.timeout_ms" not in str(e) and
            "dbcare: the backup's content was not read within backup.timeout_ms" not in str(e)):
        failures.append("timeout: " + str(e))
if os.path.exists(f"{work}/big-copy.db") or any(".tmp-" in f for f in os.listdir(work)):
    failures.append("timeout: a file was left behind")
if conn.execute("SELECT count(*) FROM dbbackup_list").fetchone()[0] != 0:
    failures.append("timeout: the failed backup was recorded")
# a copy done in one step (fewer pages than a step) whose verification
# runs past the timeout: the verification is bounded too
path = f"{work}/one-step.db"
conn = sqlite3.connect(path, isolation_level=None)
conn.enable_load_extension(True)
conn.load_extension(mod)
conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)")
conn.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1500) "
             "INSERT INTO t (v) SELECT randomblob(8000) FROM n")
conn.execute("SELECT dbcare_set('backup.timeout_ms', '1')")
try:
    conn.execute("SELECT dbbackup_create(?)", (f"{work}/one-step-copy.db",))
    failures.append("a backup whose verification ran past its timeout succeeded")
except sqlite3.OperationalError as e:
    if "within backup.timeout_ms" not in str(e):
        failures.append("verification timeout: " + str(e))
if os.path.exists(f"{work}/one-step-copy.db") or any(".tmp-" in f for f in os.listdir(work)):
    failures.append("verification timeout: a file was left behind")
if conn.in_transaction:
    failures.append("verification timeout: a transaction was left open")
# interrupted anywhere (a progress handler that fails the k-th step): the
# call fails or succeeds whole -- no transaction left open (the copy's read
# transaction included), no temporary file, no file without its row
path = f"{work}/interrupt.db"
conn = sqlite3.connect(path, isolation_level=None)
conn.enable_load_extension(True)
conn.load_extension(mod)
conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)")
conn.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) "
             "INSERT INTO t (v) SELECT randomblob(2000) FROM n")
made = 0
for k in sorted({int(1.5 ** e) for e in range(0, 32)}):
    steps = [0]
    def handler():
        steps[0] += 1
        return 1 if steps[0] >= k else 0
    conn.set_progress_handler(handler, 1)
    target = f"{work}/interrupt-{k}.db"
    try:
        conn.execute("SELECT dbbackup_create(?)", (target,)).fetchone()
        made += 1
    except sqlite3.Error as e:
        if "interrupted" not in str(e):
            failures.append(f"interrupt at {k}: {e}")
        if os.path.exists(target):
            failures.append(f"interrupt at {k}: a failed backup left its file")
    conn.set_progress_handler(None, 1)
    if conn.in_transaction:
        failures.append(f"interrupt at {k}: a transaction was left open")
        conn.execute("ROLLBACK")
    if any(".tmp-" in f for f in os.listdir(work)):
        failures.append(f"interrupt at {k}: a temporary file was left")
listed = conn.execute("SELECT count(*) FROM dbbackup_list WHERE \"exists\"").fetchone()[0]
if listed != made:
    failures.append(f"interrupts: {made} backups made, {listed} listed")
if made == 0:
    failures.append("interrupts: no call got through")
# dbbackup_verify of a good copy interrupted anywhere: an error or a
# verified answer, never a row marked failed, no transaction left open
good = conn.execute("SELECT path FROM dbbackup_list WHERE \"exists\" LIMIT 1").fetchone()[0]
for k in sorted({int(1.5 ** e) for e in range(0, 28)}):
    steps = [0]
    def handler():
        steps[0] += 1
        return 1 if steps[0] >= k else 0
    conn.set_progress_handler(handler, 1)
    try:
        conn.execute("SELECT dbbackup_verify(?)", (good,)).fetchone()
    except sqlite3.Error as e:
        if "interrupted" not in str(e):
            failures.append(f"verify interrupted at {k}: {e}")
    conn.set_progress_handler(None, 1)
    if conn.in_transaction:
        failures.append(f"verify interrupted at {k}: a transaction was left open")
        conn.execute("ROLLBACK")
    status = conn.execute("SELECT status FROM dbbackup_list WHERE path = ?", (good,)).fetchone()[0]
    if status != "verified":
        failures.append(f"verify interrupted at {k}: the good copy's row is {status}")
        break
if failures:
    print("FAIL: " + "; ".join(failures))
    sys.exit(1)
print("ok: every backup under a writer completed or failed within its timeout")
PY
