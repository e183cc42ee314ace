"""An interrupt at any moment of every dbcare call that writes (or makes
bookkeeping) leaves the session exactly usable: the sweep behind
test/script/sqlite_interrupt_calls.sh (read its header). Arguments: the
module and a
work folder. Environment: DBC_INTERRUPTS (interrupt points per method,
call, database and journal mode, besides the first and last steps: 2 in
the suite, more in the long tier, "all" for every VM step), DBC_INTERRUPT_SEED
(where the points fall), DBC_INTERRUPT_ONLY (a regular expression: the calls
to sweep), DBC_INTERRUPT_LIST=1 (print each call's reference run and stop)."""
import itertools, operator, os, random, re, shutil, sqlite3, sys, threading, time

from sqlite_expiring import EXPIRING

mod, work = sys.argv[1], sys.argv[2]
POINTS = os.environ.get("DBC_INTERRUPTS", "2")
SEED = int(os.environ.get("DBC_INTERRUPT_SEED", str(int(time.time()) % 100000)))
ONLY = re.compile(os.environ.get("DBC_INTERRUPT_ONLY", ""))
LIST = os.environ.get("DBC_INTERRUPT_LIST") == "1"
rng = random.Random(SEED)
t_start = time.monotonic()


def fail(msg):
    print(f"FAIL (DBC_INTERRUPT_SEED={SEED}): {msg}")
    sys.exit(1)


SCHEMA_1 = '{"type": "object"}'
SCHEMA_2 = '{"type": "object", "required": ["n"]}'
# Each call: (name, SQL, on which databases ("fresh", "used" or "both"),
# statements run right after connecting, before the call (ATTACH)). Every one writes the
# database or makes bookkeeping (checked on its reference run: a call that
# changes nothing would test nothing).
CALLS = [
    ("dbcare_set", "SELECT dbcare_set('health.ignore', 'x')", "both", ()),
    ("dbcheck_add_relation", "SELECT dbcheck_add_relation('r2', 'child', 'pid', 'parent', 'id')", "both", ()),
    ("dbcheck_drop_relation", "SELECT dbcheck_drop_relation('r')", "used", ()),
    ("dbcheck_cleanup_orphans", "SELECT dbcheck_cleanup_orphans(false)", "used", ()),
    ("dbhealth_snapshot", "SELECT length(dbhealth_snapshot())", "both", ()),
    ("dbmigrate_add", "SELECT dbmigrate_add('3', 'three', 'CREATE TABLE three (a);', 'DROP TABLE three;')", "both", ()),
    ("dbmigrate_add_repeatable", "SELECT dbmigrate_add_repeatable('view', 'DROP VIEW IF EXISTS v; CREATE VIEW v AS SELECT 1;')", "both", ()),
    ("dbmigrate_add_all", "SELECT dbmigrate_add_all('[{\"version\": \"4\", \"name\": \"four\", \"up\": \"CREATE TABLE four (a);\"}]')", "both", ()),
    ("dbmigrate_load", f"SELECT dbmigrate_load('{os.path.join(work, 'trial', 'migs')}')", "both", ()),
    ("dbmigrate_apply", "SELECT dbmigrate_apply()", "used", ()),
    ("dbmigrate_rollback", "SELECT dbmigrate_rollback()", "used", ()),
    ("dbmigrate_baseline", "SELECT dbmigrate_baseline('9')", "fresh",
     ("SELECT dbmigrate_add('9', 'nine', 'CREATE TABLE nine (a);')",)),
    ("dbmigrate_repair", "SELECT dbmigrate_repair()", "used", ()),
    ("dbmigrate_verify_json", "SELECT length(dbmigrate_verify_json())", "used", ()),
    ("dbmigrate_verify", "SELECT count(*) FROM dbmigrate_verify", "used", ()),
    ("dbsoftdelete_enable", "SELECT dbsoftdelete_enable('notes')", "both", ()),
    ("dbsoftdelete_restore", "SELECT dbsoftdelete_restore('videos', '{\"id\": 3}')", "used", ()),
    ("dbsoftdelete_purge", "SELECT dbsoftdelete_purge('videos')", "used", ()),
    ("dbsoftdelete_disable", "SELECT dbsoftdelete_disable('videos')", "used", ()),
    ("dbretain_add", "SELECT dbretain_add('old', 'events', 'at', '30 days', 'archive', 'events_archive')", "both", ()),
    ("dbretain_apply", "SELECT count(*) FROM dbretain_apply()", "used", ()),
    ("dbretain_drop", "SELECT dbretain_drop('ev')", "used", ()),
    ("dbretain_export_next", "SELECT count(*) FROM dbretain_export_next('cold_visits')", "used", ()),
    ("dbretain_archive_attached", "SELECT dbretain_archive_attached('cold_visits', 'cold')", "used",
     ("ATTACH 'cold.db' AS cold",)),
    ("dbaudit_enable", "SELECT dbaudit_enable('parent')", "both", ()),
    ("dbaudit_disable", "SELECT dbaudit_disable('events')", "used", ()),
    ("dbaudit_refresh", "SELECT dbaudit_refresh()", "used", ()),
    ("dbbackup_create", "SELECT length(dbbackup_create('b.db'))", "both", ()),
    ("dbbackup_mark", "SELECT length(dbbackup_mark('m1'))", "used", ()),
    ("dbbackup_verify", "SELECT length(dbbackup_verify('used-b.db'))", "used", ()),
    ("dbbackup_prune", "SELECT length(dbbackup_prune(1, NULL, false))", "used", ()),
    ("dbbackup_drill", "SELECT length(dbbackup_drill())", "used", ()),
    ("dbjson_register", f"SELECT dbjson_register('s2', '{SCHEMA_2}')", "both", ()),
    ("dbjson_unregister", "SELECT dbjson_unregister('s1')", "used", ()),
    ("dbmaintain_run", "SELECT count(*) FROM dbmaintain_run('standard')", "both", ()),
]
# Calls that run DDL (a migration's, to prove it) and undo it: they must
# leave no trace at all, interrupted or not.
NO_TRACE = {"dbmigrate_verify_json", "dbmigrate_verify"}

APP = """
    CREATE TABLE app (v TEXT);
    CREATE TABLE parent (id INTEGER PRIMARY KEY);
    CREATE TABLE child (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES parent, n INTEGER);
    INSERT INTO parent VALUES (1);
    INSERT INTO child (pid, n) SELECT CASE WHEN x % 7 = 0 THEN 99 ELSE 1 END, x % 5
      FROM (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 300) SELECT x FROM c);
    CREATE TABLE videos (id INTEGER PRIMARY KEY, title TEXT);
    INSERT INTO videos (title) SELECT 'v' || value FROM json_each('[1,2,3,4,5,6,7,8,9]');
    CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);
    INSERT INTO notes (body) VALUES ('a'), ('b');
    CREATE TABLE events (id INTEGER PRIMARY KEY, at TEXT, doc TEXT);
    CREATE INDEX events_at ON events (at);
    INSERT INTO events (at, doc) SELECT '2000-01-01T00:00:00Z', '{"n": 1}' FROM child;
    CREATE TABLE visits (id INTEGER PRIMARY KEY, at TEXT NOT NULL);
    CREATE INDEX visits_at ON visits (at);
    INSERT INTO visits (at) SELECT '2020-01-01T00:00:00Z' FROM child LIMIT 40;
"""


def connect(path):
    c = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    c.enable_load_extension(True)
    c.load_extension(mod)
    return c


def template(mode, used):
    """A folder with t.db: the application's tables, and for a used one
    every part of dbcare in use (its bookkeeping made). Made in the
    folder where the trials run (the backup catalog names files there by
    their absolute path), then put aside."""
    d = os.path.join(work, "trial")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(os.path.join(d, "marks"))
    os.makedirs(os.path.join(d, "migs"))
    with open(os.path.join(d, "migs", "V7__seven.sql"), "w") as f:
        f.write("CREATE TABLE seven (a);\n")
    os.chdir(d)
    c = connect("t.db")
    c.execute(f"PRAGMA journal_mode = {mode}")
    c.executescript(APP)
    if used:
        for sql in (
            "SELECT dbcare_set('health.ignore', 'y')",
            f"SELECT dbcare_set('backup.dir', '{os.path.join(d, 'marks')}')",
            "SELECT dbcheck_add_relation('r', 'child', 'pid', 'parent', 'id')",
            "SELECT dbmigrate_add('1', 'one', 'CREATE TABLE one (a);', 'DROP TABLE one;')",
            "SELECT dbmigrate_apply()",
            "SELECT dbmigrate_add('2', 'two', 'CREATE TABLE two (a, b); INSERT INTO two SELECT id, n FROM child;', 'DROP TABLE two;')",
            "SELECT dbhealth_snapshot()",
            "SELECT dbsoftdelete_enable('videos')",
            "DELETE FROM videos WHERE id < 5",
            "SELECT dbaudit_enable('events', '{\"baseline\": true}')",
            "UPDATE events SET doc = '{}' WHERE id % 10 = 5",
            "SELECT dbretain_add('ev', 'events', 'at', '30 days', 'delete')",
            "SELECT dbretain_add('cold_visits', 'visits', 'at', '90 days', 'archive', 'archive-db:visits')",
            f"SELECT dbjson_register('s1', '{SCHEMA_1}')",
            "SELECT dbbackup_create('used-b.db')",
            "SELECT dbbackup_create('used-b2.db')",
            "SELECT count(*) FROM dbmaintain_run('standard')",
        ):
            c.execute(sql).fetchall()
    c.close()
    os.chdir(work)
    kept = os.path.join(work, f"tpl-{mode}-{'used' if used else 'fresh'}")
    os.rename(d, kept)
    return kept


def dump(c):
    """The database's whole state: schema and every table's rows, in order."""
    state = {}
    for name, sql in c.execute("SELECT name, sql FROM main.sqlite_schema WHERE type = 'table' ORDER BY name"):
        try:
            rows = c.execute(f'SELECT * FROM main."{name}" ORDER BY rowid').fetchall()
        except sqlite3.OperationalError:
            rows = sorted(c.execute(f'SELECT * FROM main."{name}"').fetchall(), key=repr)
        state[name] = (sql, rows)
    state[""] = (None, c.execute("SELECT type, name, tbl_name, sql FROM main.sqlite_schema "
                                 "WHERE type <> 'table' ORDER BY type, name").fetchall())
    return state


def volatile_cells(a, b):
    """The cells two uninterrupted runs of a call disagree on (times,
    durations, hashes over them): not compared."""
    cells = set()
    for t in a:
        if t in b and len(a[t][1]) == len(b[t][1]):
            for i, (ra, rb) in enumerate(zip(a[t][1], b[t][1])):
                for j, (x, y) in enumerate(zip(ra, rb)):
                    if x != y:
                        cells.add((t, j))  # a column, in any row
    return cells


# Caches a read fills when missing (the migration status summary): after
# an earlier failed call they may hold what an uninterrupted run had not
# filled yet; not compared with the reference run.
CACHES = {"dbcare_migrations_summary"}
# Tables of sizes measured from the file, which an earlier failed call
# (its rolled-back pages) may have grown: their numbers are not compared.
MEASURED = {"dbcare_health_snapshots", "dbcare_health_table_sizes"}
TIMEISH = re.compile(r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d")


def same_state(ref, got, cells=None, skip=(), counted=()):
    """None, or where got differs from ref; cells (and any time against a
    time, any float against a float) not compared, unless cells is None."""
    strict = cells is None
    cells = cells or set()
    if set(ref) != set(got):
        return f"tables {sorted(set(ref) ^ set(got))}"
    for t in ref:
        if ref[t][0] != got[t][0]:
            return f"schema of {t or 'indexes/triggers'}"
        if ref[t] == got[t]:  # (the common case, compared in C)
            continue
        if (t in CACHES or t in skip) and not strict:
            continue
        if len(ref[t][1]) != len(got[t][1]):
            return f"{t}: {len(got[t][1])} rows, the reference run {len(ref[t][1])}"
        if t in counted and not strict:
            continue
        for ra, rb in zip(ref[t][1], got[t][1]):
            for j, (x, y) in enumerate(zip(ra, rb)):
                if x != y and (strict or ((t, j) not in cells and not (isinstance(x, float) and isinstance(y, float))
                                          and not (t in MEASURED and isinstance(x, int) and isinstance(y, int))
                                          and not all(isinstance(v, str) and TIMEISH.match(v) for v in (x, y)))):
                    return f"{t}: column {j}: {y!r}, the reference run {x!r}"
    return None


# What a call may keep when it fails after an inner step committed on
# purpose: dbbackup_mark takes a backup (catalogued as any backup) and
# writes the mark's row last, so a failed mark may leave that valid backup
# listed, never a mark without its backup (core/backup/backup_mark.c).
KEPT_ON_FAILURE = {"dbbackup_mark": {"dbcare_backups", "sqlite_sequence"}}
# ... and after the call again, the mark names the later backup: its row
# is counted, not compared
COUNTED_AFTER_RETRY = {"dbbackup_mark": {"dbcare_backup_marks"}}


def is_book(name):
    return name.startswith("dbcare_") or name == "sqlite_sequence"


def nothing_but_bookkeeping(before, got, kept=()):
    """None, or what got changed since before beyond bookkeeping made
    whole: a database's first use makes a part's bookkeeping tables in a
    transaction of their own, kept when the call then fails (the call
    again must then give the reference run's state, which checks them)."""
    for t in before:
        if t and t not in kept and (t not in got or before[t] != got[t]):
            return f"table {t}"
    for t in got:
        if t and t not in before and not is_book(t):
            return f"new table {t}"
    old = set(before[""][1])
    if not old <= set(got[""][1]):
        return f"indexes/triggers gone: {old - set(got[''][1])}"
    for obj in set(got[""][1]) - old:
        if not is_book(obj[2]):
            return f"new {obj[0]} {obj[1]} on {obj[2]}"
    return None


BEFORE = {}


# more VM steps than any call takes
STEPS_MAX = 1 << 62


def untraced(sql):
    """A statement's text as SQLite's trace gives it, without the "-- "
    it puts before each line of a statement run inside another."""
    return "\n".join(re.sub(r"^--( |$)", "", line) for line in sql.split("\n")).strip()


class Run:
    """One call on a fresh copy of a template, maybe interrupted."""

    def __init__(self, tpl, call, folder="trial"):
        self.name, self.sql, _, self.pre = call
        d = os.path.join(work, folder)
        shutil.rmtree(d, ignore_errors=True)
        shutil.copytree(tpl, d)
        os.chdir(d)
        self.c = connect("t.db")
        self.c.execute("PRAGMA synchronous = OFF")  # durability is not under test: speed
        for s in self.pre:
            self.c.execute(s)
        # the same for every trial of a template and call (unless the
        # statements before it write, with their own times): read once
        key = (tpl, self.name)
        if key not in BEFORE or self.pre:
            BEFORE[key] = dump(self.c)
        self.before = BEFORE[key]

    def call(self, how=None, k=0):
        """Runs the call: how = None (left alone), "progress" (the handler,
        run at every VM step, returns non-zero from step k on), "flag"
        (it calls sqlite3_interrupt at step k exactly, as another thread
        would) or "thread" (another thread interrupts after k seconds).
        Returns (error or None, VM steps seen)."""
        c = self.c
        timer = None
        # The handler runs at every VM step (millions in a sweep): the
        # steps are answered by C iterators, not a Python function each,
        # and counted by what is left of the first one.
        steps = itertools.repeat(0, STEPS_MAX)
        if how == "progress":
            handler = itertools.chain(itertools.islice(steps, k), itertools.repeat(1))
        elif how == "flag":
            def at_k():
                c.interrupt()
                yield 0
            handler = itertools.chain(itertools.islice(steps, k), at_k(), steps)
        else:
            handler = steps
        c.set_progress_handler(handler.__next__, 1)
        self.traced = traced = []
        c.set_trace_callback(traced.append if how else None)
        if how == "thread":
            timer = threading.Timer(k, c.interrupt)
            timer.start()
        err = None
        try:
            c.execute(self.sql).fetchall()
        except sqlite3.Error as e:
            err = str(e)
        if timer:
            timer.join()
        c.set_progress_handler(None, 0)
        c.set_trace_callback(None)
        return err, STEPS_MAX - operator.length_hint(steps)

    def last_statement(self):
        """The last statement the call began (SQLite traces a statement as
        it starts; one that cannot be compiled again is never traced)."""
        for sql in reversed(self.traced):
            sql = untraced(sql)
            if sql:
                return sql
        return ""


def reference(tpl, call):
    r = Run(tpl, call)
    t0 = time.monotonic()
    err, steps = r.call()
    secs = time.monotonic() - t0
    if err:
        fail(f"{tpl} {call[0]}: the call fails uninterrupted: {err}")
    after = dump(r.c)
    r.c.close()
    if call[0] in NO_TRACE:
        if same_state(r.before, after) is not None:
            fail(f"{tpl} {call[0]}: the call left a change: {same_state(r.before, after)}")
    elif same_state(r.before, after) is None:
        fail(f"{tpl} {call[0]}: the call changed nothing (it tests nothing here)")
    return after, steps, secs


def trial(tpl, call, ref, cells, how, k, label):
    r = Run(tpl, call)
    err, _ = r.call(how, k)
    interrupted = err is not None
    skip = counted = set()
    c = r.c
    if err is not None:
        # SQLite's own word when the interrupt lands on the caller's
        # statement outside dbcare's call (before or after it)
        if err != "interrupted" and not err.startswith("dbcare: "):
            fail(f"{label}: not a dbcare error: {err}")
        if "ROLLBACK" in err:
            # The one moment SQLite leaves no way out of (txn_guard.c,
            # docs/security.md): an interrupt that lands as a statement
            # expiring every prepared one (lib/sqlite_expiring.py) returns,
            # before dbcare has prepared its way out again. Allowed there
            # only: the last statement the call began must be such a one. A
            # progress handler that asks to stop leaves statements to
            # prepare: never there.
            last = r.last_statement()
            if how == "progress" or not EXPIRING.match(last):
                fail(f"{label}: the error asks for a ROLLBACK, after {last[:80]!r}: {err}")
            advised[0] += 1
            c.execute("ROLLBACK")
    if c.in_transaction:
        fail(f"{label}: a transaction is left open (error: {err})")
    now = dump(c)
    # SQLite's own "interrupted" may come after the call ended, when its
    # transaction had committed: then the call's whole effect is there
    if err == "interrupted" and same_state(ref, now, cells) is None and same_state(r.before, now):
        err = None
    if err is not None:
        kept = KEPT_ON_FAILURE.get(call[0], set())
        diff = nothing_but_bookkeeping(r.before, now, kept)
        if diff:
            fail(f"{label}: the failed call left a change: {diff} (error: {err})")
        # the next call of its kind works and commits
        err2, _ = r.call()
        if err2:
            fail(f"{label}: the call again, uninterrupted, fails: {err2} (first error: {err})")
        if c.in_transaction:
            fail(f"{label}: the call again left a transaction open")
        now = dump(c)
        skip = kept
        counted = COUNTED_AFTER_RETRY.get(call[0], set())
    diff = same_state(ref, now, cells, skip, counted)
    if diff:
        fail(f"{label}: not the state of an uninterrupted call: {diff} (error: {err})")
    c.execute("INSERT INTO app VALUES ('after')")
    now = dump(c)
    c.close()
    c = sqlite3.connect("t.db")
    again = dump(c)
    c.close()
    diff = same_state(now, again)
    if diff:
        fail(f"{label}: after reopening: {diff} (error: {err})")
    if again["app"][1] != [("after",)]:
        fail(f"{label}: the application's write after the call is gone after reopening: {again['app'][1]}")
    return interrupted


# a thread's interrupt, at these fractions of the call's uninterrupted time
THREAD_AT = (0.5,) if POINTS != "all" and int(POINTS) <= 3 else (0.1, 0.3, 0.5, 0.7, 0.9)
advised = [0]


def points(n):
    """Where the interrupts land among a call's n VM steps: spread over the
    whole range (a random start in each of POINTS equal stretches), the
    first and the last steps."""
    if POINTS == "all":
        return list(range(n + 1))
    m = int(POINTS)
    ks = {0, max(0, n - 1)}
    for i in range(m):
        lo, hi = n * i // m, n * (i + 1) // m
        ks.add(rng.randrange(lo, max(lo + 1, hi)))
    return sorted(ks)


print(f"seed {SEED}, {POINTS} points per method")
trials = interrupted = 0
for mode in ("wal", "delete"):
    tpls = {False: template(mode, False), True: template(mode, True)}
    for call in CALLS:
        if not ONLY.search(call[0]):
            continue
        for used in (False, True):
            if call[2] != "both" and call[2] != ("used" if used else "fresh"):
                continue
            tpl = tpls[used]
            where = f"{mode} {'used' if used else 'fresh'}"
            ref, steps, secs = reference(tpl, call)
            ref2, _, _ = reference(tpl, call)
            cells = volatile_cells(ref, ref2)
            if LIST:
                print(f"{where} {call[0]}: {steps} steps, {secs * 1000:.1f} ms")
                continue
            hit = 0
            for how in ("progress", "flag"):
                for k in points(steps):
                    trials += 1
                    hit += trial(tpl, call, ref, cells, how, k, f"{where} {call[0]}: {how} at step {k} of {steps}")
            for f in THREAD_AT:
                trials += 1
                hit += trial(tpl, call, ref, cells, "thread", secs * f, f"{where} {call[0]}: thread at {secs * f * 1000:.1f} ms")
            if hit == 0:
                fail(f"{where} {call[0]}: no interrupt landed (the sweep tested nothing)")
            interrupted += hit
print(f"{trials} trials, {interrupted} interrupted, {advised[0]} ended with the advice to run "
      f"ROLLBACK (an interrupt as a statement expiring every prepared one returned), in {time.monotonic() - t_start:.1f} s")
