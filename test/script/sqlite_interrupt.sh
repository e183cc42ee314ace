#!/usr/bin/env bash
# Interrupts in the middle of dbmigrate_apply in SQLite, through Python's
# sqlite3 module (the system libsqlite3): another thread calls
# conn.interrupt() (sqlite3_interrupt) once the migration is busy, and a
# progress handler returns non-zero. Each time the apply fails with an error,
# schema, history and status are as before, and the connection goes on
# working. Rollback-journal and WAL mode.
# Then a sweep over every dbcare function that runs SQL (the data half's too:
# soft delete, retention, audit, backup, JSON scans, maintenance, lint): a
# progress handler
# that starts returning non-zero after k calls (and keeps doing so), for many
# k, and conn.interrupt() from another thread after a short delay, in
# autocommit and inside the application's open transaction, in both journal
# modes. After each call, whatever it returned, the connection's transaction
# state is what it was before (SQLite's own exception: an interrupted write
# inside a transaction rolls that transaction back, which dbcare then says),
# and an INSERT the application makes next is still there after reopening.
# Last, the interrupt at an exact moment: the progress handler (run at every
# VM step) calls conn.interrupt() itself after k steps, for every k among the
# last steps of each call, where dbcare rolls its savepoint back (WAL). (An
# interrupt between "ROLLBACK TO" and "RELEASE" once left the call's own
# transaction open, because the rollback of the migration's DDL had expired
# the statement meant to end it; the thread sweep hit that moment only by
# chance, in dbmigrate_verify_json.) An error asking the application to
# ROLLBACK is accepted only where SQLite leaves no way out: the interrupt
# landed as a statement that expires every prepared one returned (SQLite's
# trace shows the call's last statement); sqlite_interrupt_calls sweeps
# every call that writes, on a fresh database too.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
work_in_memory 1024  # about 2,700 databases copied, checked and deleted

"$py" - "$mod" "$work" <<'PY'
import os, sqlite3, sys, threading, time

mod, work = sys.argv[1], sys.argv[2]
LONG = ("CREATE TABLE big (a, b);\n"
        "INSERT INTO big WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 50000000)\n"
        "SELECT x, randomblob(50) FROM c;")

def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)

def state(conn):
    return (conn.execute("SELECT group_concat(name || ':' || type, ',') FROM "
                         "(SELECT name, type FROM sqlite_schema ORDER BY name)").fetchone()[0],
            conn.execute("SELECT group_concat(id || ':' || ifnull(version, '') || ':' || direction, ',') "
                         "FROM (SELECT * FROM dbmigrate_history ORDER BY id)").fetchone()[0],
            conn.execute("SELECT group_concat(version || ':' || state, ',') "
                         "FROM (SELECT * FROM dbmigrate_status ORDER BY version)").fetchone()[0])

def still_usable(conn, label, before):
    if state(conn) != before:
        fail(f"{label}: state changed: {state(conn)} (was {before})")
    if conn.execute("SELECT dbmigrate_current()").fetchone()[0] != "1":
        fail(f"{label}: current is not 1")
    if conn.execute("SELECT count(*) FROM sqlite_schema WHERE name = 'big'").fetchone()[0] != 0:
        fail(f"{label}: the migration's table exists")
    if conn.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
        fail(f"{label}: integrity_check")
    if conn.in_transaction:
        fail(f"{label}: a transaction was left open")
    conn.execute("CREATE TABLE scratch (a)")
    conn.execute("DROP TABLE scratch")

for mode in ("delete", "wal"):
    conn = sqlite3.connect(os.path.join(work, f"int-{mode}.db"), isolation_level=None,
                           check_same_thread=False)
    conn.enable_load_extension(True)
    conn.load_extension(mod)
    conn.execute(f"PRAGMA journal_mode = {mode}")
    conn.execute("SELECT dbmigrate_add('1', 'one', 'CREATE TABLE one (a);')")
    conn.execute("SELECT dbmigrate_apply()")
    conn.execute("SELECT dbmigrate_add('2', 'long', ?)", (LONG,))
    before = state(conn)

    # 1. sqlite3_interrupt from another thread, once the apply is busy: a
    # progress handler that only counts tells when it is.
    steps = [0]
    def count():
        steps[0] += 1
        return 0
    conn.set_progress_handler(count, 10000)
    def interrupter():
        deadline = time.time() + 20
        while steps[0] < 300 and time.time() < deadline:
            time.sleep(0.005)
        conn.interrupt()
    t = threading.Thread(target=interrupter)
    t.start()
    try:
        conn.execute("SELECT dbmigrate_apply()").fetchall()
        fail(f"{mode}: the interrupted apply succeeded")
    except sqlite3.OperationalError as e:
        if "interrupt" not in str(e):
            fail(f"{mode}: interrupt gave: {e}")
        print(f"{mode}: conn.interrupt() -> {e}")
    t.join()
    conn.set_progress_handler(None, 0)
    still_usable(conn, f"{mode} interrupt", before)

    # 2. a progress handler that asks to stop
    calls = [0]
    def stop():
        calls[0] += 1
        return 1 if calls[0] > 300 else 0
    conn.set_progress_handler(stop, 10000)
    try:
        conn.execute("SELECT dbmigrate_apply()").fetchall()
        fail(f"{mode}: the apply stopped by the progress handler succeeded")
    except sqlite3.OperationalError as e:
        if "interrupt" not in str(e):
            fail(f"{mode}: progress handler gave: {e}")
        print(f"{mode}: progress handler -> {e}")
    conn.set_progress_handler(None, 0)
    still_usable(conn, f"{mode} progress handler", before)

    # the migration applies once it is fixed
    conn.execute("SELECT dbmigrate_add('2', 'short', 'CREATE TABLE big (a, b);')")
    if conn.execute("SELECT dbmigrate_apply()").fetchone()[0] != 1:
        fail(f"{mode}: the fresh apply")
    conn.close()
    print(f"{mode}: ok")
PY

"$py" - "$mod" "$work" "$(cd "$(dirname "$0")/lib" && pwd)" <<'PY'
import itertools, operator, os, re, shutil, sqlite3, sys, threading, time

mod, work = sys.argv[1], sys.argv[2]
sys.path.insert(0, sys.argv[3])
from sqlite_expiring import EXPIRING
os.chdir(work)  # where dbbackup_create's relative path lands
t_start = time.time()
# No budget for the whole sweep (its time follows the machine's load); a
# trial that does not end soon after its interrupt is a call that ignores
# interrupts, and fails.
TRIAL_LIMIT = 20

def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)

CALLS = [
    "SELECT dbcare_get('health.ignore')",
    "SELECT dbcare_set('health.ignore', 'x')",
    "SELECT count(*) FROM dbcare_settings",
    "SELECT length(dbschema_snapshot())",
    "SELECT dbschema_fingerprint()",
    "SELECT dbcheck_add_relation('r2', 'child', 'pid', 'parent', 'id')",
    "SELECT dbcheck_drop_relation('r')",
    "SELECT dbcheck_cleanup_orphans(0)",
    "SELECT count(*) FROM dbcheck_constraints",
    "SELECT count(*) FROM dbcheck_relations",
    "SELECT count(*) FROM dbcheck_orphans",
    "SELECT length(dbhealth_report('full'))",
    "SELECT dbhealth_score('full')",
    "SELECT length(dbhealth_metrics())",
    "SELECT length(dbhealth_snapshot())",
    "SELECT length(dbhealth_growth())",
    "SELECT count(*) FROM dbhealth_checks('full')",
    "SELECT dbmigrate_add('3', 'three', 'CREATE TABLE three (a);', 'DROP TABLE three;')",
    "SELECT dbmigrate_add_repeatable('view', 'DROP VIEW IF EXISTS v; CREATE VIEW v AS SELECT 1;')",
    "SELECT dbmigrate_apply()",
    "SELECT dbmigrate_rollback()",
    "SELECT dbmigrate_baseline('1')",
    "SELECT dbmigrate_repair()",
    "SELECT dbmigrate_current()",
    "SELECT dbmigrate_assert('1')",
    "SELECT length(dbmigrate_script())",
    "SELECT length(dbmigrate_verify_json())",
    "SELECT dbmigrate_step_begin('versioned', '2', 'x')",
    "SELECT count(*) FROM dbmigrate_status",
    "SELECT count(*) FROM dbmigrate_plan",
    "SELECT count(*) FROM dbmigrate_validate",
    "SELECT count(*) FROM dbmigrate_history",
    "SELECT count(*) FROM dbmigrate_lint",
    "SELECT dbsoftdelete_enable('videos')",
    "SELECT dbsoftdelete_restore('videos', '{\"id\": 3}')",
    "SELECT dbsoftdelete_purge('videos')",
    "SELECT dbsoftdelete_disable('videos')",
    "SELECT dbretain_add('old', 'events', 'at', '30 days', 'archive', 'events_archive')",
    "SELECT count(*) FROM dbretain_plan()",
    "SELECT count(*) FROM dbretain_apply()",
    "SELECT dbretain_drop('ev')",
    "SELECT dbaudit_enable('parent')",
    "SELECT dbaudit_refresh()",
    "SELECT dbaudit_disable('events')",
    "SELECT count(*) FROM dbaudit_history('events', '{\"id\": 5}')",
    "SELECT count(*) FROM dbaudit_log()",
    "SELECT dbaudit_row_at('events', '{\"id\": 5}', '2999-01-01')",
    "SELECT count(*) FROM dbaudit_verify",
    "SELECT dbbackup_create('b.db')",
    "SELECT count(*) FROM dbcheck_json('events', 'doc', '{\"type\":\"object\"}')",
    "SELECT count(*) FROM dbmaintain_plan('standard')",
    "SELECT count(*) FROM dbmaintain_run('standard')",
]

def template(mode):
    path = os.path.join(work, f"sweep-{mode}.db")
    c = sqlite3.connect(path, isolation_level=None)
    c.enable_load_extension(True)
    c.load_extension(mod)
    c.execute(f"PRAGMA journal_mode = {mode}")
    c.executescript("""
        PRAGMA ignore_check_constraints = ON;
        CREATE TABLE app (v TEXT);
        CREATE TABLE parent (id INTEGER PRIMARY KEY);
        CREATE TABLE child (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES parent, n INTEGER CHECK (n > 0));
        INSERT INTO parent VALUES (1);
        INSERT INTO child (pid, n) SELECT CASE WHEN value % 7 = 0 THEN 99 ELSE 1 END, value % 5
          FROM json_each((SELECT json_group_array(x) FROM (WITH RECURSIVE c(x) AS
            (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 3000) SELECT x FROM c)));
    """)
    c.execute("SELECT dbcheck_add_relation('r', 'child', 'pid', 'parent', 'id')")
    c.execute("SELECT dbmigrate_add('1', 'one', 'CREATE TABLE one (a);', 'DROP TABLE one;')")
    c.execute("SELECT dbmigrate_apply()")
    c.execute("SELECT dbmigrate_add('2', 'two', 'CREATE TABLE two (a, b); INSERT INTO two "
              "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 3000) "
              "SELECT x, x FROM c;', 'DROP TABLE two;')")
    c.execute("SELECT dbhealth_snapshot()")
    # The data half: a soft-delete table with deleted rows, an audited table
    # with a history, and a retention policy with rows due.
    c.executescript("""
        CREATE TABLE videos (id INTEGER PRIMARY KEY, title TEXT);
        INSERT INTO videos (title) SELECT 'v' || value FROM json_each('[1,2,3,4,5,6,7,8,9]');
        CREATE TABLE events (id INTEGER PRIMARY KEY, at TEXT, doc TEXT);
        INSERT INTO events (at, doc) SELECT '2000-01-01', '{"n": 1}' FROM child;
    """)
    c.execute("SELECT dbsoftdelete_enable('videos')")
    c.execute("DELETE FROM videos WHERE id < 5")
    c.execute("SELECT dbaudit_enable('events', '{\"baseline\": true}')")
    c.execute("UPDATE events SET doc = '{}' WHERE id % 100 = 5")
    c.execute("SELECT dbretain_add('ev', 'events', 'at', '30 days', 'delete')")
    c.close()
    return path

trials = bad = advised_gaps = 0
lost = []
def trial(tpl, mode, sql, in_txn, how, ops, k):
    global trials
    trials += 1
    path = os.path.join(work, "trial.db")
    for suffix in ("", "-wal", "-shm", "-journal"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    if os.path.exists(os.path.join(work, "b.db")):  # dbbackup_create's target
        os.remove(os.path.join(work, "b.db"))
    shutil.copy(tpl, path)
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.enable_load_extension(True)
    conn.load_extension(mod)
    conn.execute("PRAGMA synchronous = OFF")  # durability is not under test: speed
    if in_txn:
        conn.execute("BEGIN")
        conn.execute("INSERT INTO app VALUES ('before')")
    before = conn.in_transaction
    t = None
    if how == "progress":
        # non-zero from its call k + 1 on (a C iterator, not a Python
        # function at each of millions of calls)
        conn.set_progress_handler(itertools.chain(itertools.repeat(0, k), itertools.repeat(1)).__next__, ops)
    elif how == "flag":
        # at VM step k + 1 exactly, conn.interrupt() (as from another
        # thread); the k steps before it, a call's whole run for the largest
        # k, are answered by a C iterator, not a Python function per step
        past_k = [0]
        def at_k():
            conn.interrupt()
            while True:
                past_k[0] += 1
                yield 0
        before_k = itertools.repeat(0, k)
        conn.set_progress_handler(itertools.chain(before_k, at_k()).__next__, ops)
    else:
        def interrupter():
            time.sleep(k / 20000.0)
            conn.interrupt()
        t = threading.Thread(target=interrupter)
        t.start()
    traced = []  # the statements the call begins (one that cannot compile is never traced)
    conn.set_trace_callback(traced.append)
    err = None
    t0 = time.time()
    try:
        conn.execute(sql).fetchall()
    except sqlite3.Error as e:
        err = str(e)
    if time.time() - t0 > TRIAL_LIMIT:
        fail(f"{mode} {how}/{ops} k={k} {sql}: ran {time.time() - t0:.0f} s despite the interrupt")
    if t:
        t.join()
    conn.set_progress_handler(None, 0)
    conn.set_trace_callback(None)
    after = conn.in_transaction
    label = f"{mode} {how}/{ops} k={k} {'txn' if in_txn else 'autocommit'} {sql}"
    rolled_back = err is not None and "rolled back" in err
    # The one moment SQLite's public API leaves no way out of
    # (docs/security.md, "an interrupt while dbcare rolls its own
    # transaction back"): sqlite3_interrupt lands as a statement that
    # expires every prepared one returns (lib/sqlite_expiring.py). SQLite
    # documents both halves: an interrupt stops every statement begun
    # until the caller's statement ends, and an expired statement is
    # compiled again before it runs, which the interrupt stops too; so the
    # write that would end dbcare's transaction cannot run, and the error
    # must ask for the ROLLBACK. Accepted there only, whatever the method:
    # the last statement the call began (SQLite's trace) must be such a
    # one. A progress handler that returns non-zero leaves nothing
    # interrupted between statements: never there.
    advice = err is not None and "run ROLLBACK before anything else" in err
    # (SQLite's trace puts "-- " before each line of a nested statement)
    last = next((t for t in ("\n".join(re.sub(r"^--( |$)", "", line) for line in q.split("\n")).strip()
                             for q in reversed(traced)) if t), "")
    if advice and (how == "progress" or not EXPIRING.match(last)):
        fail(f"{label}: the error asks for a ROLLBACK after {last[:80]!r}: {err}")
    advised = advice
    if advised and how == "flag":
        global advised_gaps
        advised_gaps += 1
    if advised:
        conn.execute("ROLLBACK")
        after = conn.in_transaction
    if advised and after:
        fail(f"{label}: still in a transaction after the advised ROLLBACK (error: {err})")
    if not advised and after != before and not (before and not after and rolled_back):
        fail(f"{label}: in_transaction {before} -> {after} (error: {err})")
    conn.execute("INSERT INTO app VALUES ('after')")
    if after:
        conn.execute("COMMIT")
    conn.close()
    conn = sqlite3.connect(path)
    rows = [r[0] for r in conn.execute("SELECT v FROM app")]
    conn.close()
    want = (["before"] if in_txn and after else []) + ["after"]
    if sorted(rows) != sorted(want):
        fail(f"{label}: after reopening the table holds {rows}, expected {want} (error: {err})")
    if how == "flag":  # the steps the handler saw
        return k - operator.length_hint(before_k) + past_k[0]
    return err is not None

for mode in ("delete", "wal"):
    tpl = template(mode)
    interrupted = 0
    for sql in CALLS:
        for in_txn in (False, True):
            # progress/20: the handler runs every 20 VM steps, so dbcare's
            # short ROLLBACK TO still runs; progress/1: it runs at every
            # step and fails those too; thread: k/20 ms after the call starts.
            for how, ops, ks in (("progress", 20, (0, 1, 3, 8, 24, 96)),
                                 ("progress", 1, (0, 10, 200)),
                                 ("thread", 0, (0, 3, 30))):
                for k in ks:
                    if trial(tpl, mode, sql, in_txn, how, ops, k):
                        interrupted += 1
    print(f"{mode}: sweep ok, {interrupted} of the calls interrupted")
    # The interrupt at each of the last VM steps of each call: the handler
    # sets it and returns 0, so the statement running then (often dbcare's
    # closing "ROLLBACK TO") finishes, and every later one fails. In WAL
    # mode only, to stay well inside the time limit on a loaded machine:
    # what it catches (statements expired by a rollback over DDL) is the
    # connection's, not the journal's, and failed alike in both modes.
    if mode != "wal":
        continue
    exact = 0
    for sql in CALLS:
        for in_txn in (False, True):
            n = trial(tpl, mode, sql, in_txn, "flag", 1, 10**9)
            for k in range(max(0, n - 12), n):
                trial(tpl, mode, sql, in_txn, "flag", 1, k)
                exact += 1
    print(f"{mode}: exact-step sweep ok, {exact} trials, {advised_gaps} ended with the advice to run ROLLBACK")
    if advised_gaps > exact // 10:
        fail(f"{advised_gaps} of {exact} exact-step trials needed the advice: more than the narrow window explains")
print(f"{trials} trials in {time.time() - t_start:.1f} s")
PY
