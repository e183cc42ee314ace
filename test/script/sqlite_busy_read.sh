#!/usr/bin/env bash
# A reading call on a connection that has not read the file's schema yet,
# while another connection holds the file's write lock (a rollback-journal
# file: no reader gets in), waits out its busy timeout and then fails with
# "database is locked": it never takes the unreadable schema for a file
# without bookkeeping (dbmigrate_assert said "version (none)",
# dbmigrate_current NULL, dbcare_get the default, dbhealth_score 100).
# The same on a connection that has read the schema before; a WAL file's
# readers are not blocked by a writer and read the true state; a
# connection that read the schema before another one made the bookkeeping
# reads the bookkeeping (its schema hash was stale: "absent"); the
# command's health fails instead of passing --fail-on. Then the journey:
# an application starting while another process applies a migration.
set -eu
lib="$(cd "$(dirname "$0")/lib" && pwd)"
. "$lib/sqlite.sh"
. "$lib/cli.sh"
PYTHONPATH="$lib" "$py" - "$module" "$work" "$cli" <<'PY'
import os, sqlite3, subprocess, sys, time
import module_db

module, work, cli = sys.argv[1], sys.argv[2], sys.argv[3]
fails = []

def check(cond, what):
    if not cond:
        fails.append(what)

def make(path, journal):
    db = module_db.connect(path, module)
    db.execute("PRAGMA journal_mode = %s" % journal)
    # a table without a primary key: the true score is 95
    db.execute("SELECT dbmigrate_add('1', 't', 'CREATE TABLE t (id INTEGER PRIMARY KEY);"
               " CREATE TABLE notes (body TEXT);', NULL)")
    db.execute("SELECT dbmigrate_apply()")
    db.execute("SELECT dbcare_set('migrate.out_of_order', 'allow')")
    db.execute("SELECT dbcare_set('health.database_label', 'prod')")
    true_score = db.execute("SELECT dbhealth_score('standard')").fetchone()[0]
    db.close()
    return true_score

CALLS = ["dbmigrate_assert('1')", "dbmigrate_current()", "dbcare_get('migrate.out_of_order')",
         "dbhealth_score('standard')", "json_extract(dbhealth_report('standard'), '$.status')"]

def reader(path, read_schema_first):
    c = sqlite3.connect(path, timeout=0.2, isolation_level=None)
    if read_schema_first:
        c.execute("SELECT count(*) FROM t").fetchone()
    c.enable_load_extension(True)
    c.load_extension(module)
    return c

def outcomes(c):
    out = {}
    for f in CALLS:
        t0 = time.monotonic()
        try:
            out[f] = ("ok", c.execute("SELECT " + f).fetchone()[0])
        except sqlite3.Error as e:
            out[f] = ("error", str(e))
        out[f] += (time.monotonic() - t0,)
    return out

# The command against a locked rollback-journal file: its busy timeout is
# 5 s, so it runs beside the rest, on a file of its own.
cli_path = os.path.join(work, "app-cli.db")
make(cli_path, "delete")
cli_lock = sqlite3.connect(cli_path, isolation_level=None)
cli_lock.execute("BEGIN EXCLUSIVE")
cli_run = subprocess.Popen([cli, "health", "--db", "sqlite:" + cli_path, "--fail-on", "warning"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

# The journey: one process applies migration 2, which holds the write lock
# (its writes spill the page cache) for a while; meanwhile another process
# starts the application: a fresh connection (loading the module waits for
# the lock up to about 2.5 s) calls dbmigrate_assert. With a busy timeout
# shorter than the migration it fails "locked"; with one longer it waits and
# passes; never "version (none)". Both run beside the rest.
MIGRATOR = r'''
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.enable_load_extension(True); db.load_extension(sys.argv[2])
# hold(ms), called by the migration once its writes are made (the write
# lock held): says so in the file argv[3], then holds the lock ms more
def hold(ms):
    open(sys.argv[3], "w").close()
    time.sleep(ms / 1000)
    return 0
db.create_function("hold", 1, hold)
db.execute("PRAGMA cache_size = 4")
db.execute("""SELECT dbmigrate_add('2', 'big', 'CREATE TABLE big (b BLOB);
  INSERT INTO big SELECT randomblob(1000) FROM (WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 400) SELECT i FROM n);
  SELECT hold(%s);', NULL)""" % sys.argv[4])
db.execute("SELECT dbmigrate_apply()")
'''
APP = r'''
import os, sqlite3, sys, time
deadline = time.monotonic() + 120  # the migration is writing (bounded)
while not os.path.exists(sys.argv[3]) and time.monotonic() < deadline:
    time.sleep(0.01)
app = sqlite3.connect(sys.argv[1], timeout=float(sys.argv[4]), isolation_level=None)
app.enable_load_extension(True)
app.load_extension(sys.argv[2])
try:
    app.execute("SELECT dbmigrate_assert('%s')" % sys.argv[5]).fetchone()
    print("pass")
except sqlite3.Error as e:
    print("locked" if "database is locked" in str(e) else str(e))
'''
# A connection that read the schema before another process made the
# bookkeeping (its first migration) reads it, not "no migration".
stale_path = os.path.join(work, "stale.db")
stale = module_db.connect(stale_path, module)
stale.execute("CREATE TABLE app (x)")
check(stale.execute("SELECT dbmigrate_current()").fetchone()[0] is None, "stale: a version before any")
make(stale_path, "delete")
for f, want in (("dbmigrate_current()", "1"), ("dbmigrate_assert('1')", 1),
                ("dbcare_get('migrate.out_of_order')", "allow")):
    try:
        got = stale.execute("SELECT " + f).fetchone()[0]
    except sqlite3.Error as e:
        got = str(e)
    check(got == want, "bookkeeping made by another connection: %s gave %r, want %r" % (f, got, want))
stale.close()

journeys = []
for hold_ms, timeout, need, want in ((4000, 0.2, "1", "locked"), (600, 5.0, "2", "pass")):
    path = os.path.join(work, "journey-%s.db" % want)
    started = path + ".started"
    make(path, "delete")
    m = subprocess.Popen([sys.executable, "-c", MIGRATOR, path, module, started, str(hold_ms)])
    a = subprocess.Popen([sys.executable, "-c", APP, path, module, started, str(timeout), need],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    journeys.append((m, a, timeout, want))

for journal in ("delete", "wal"):
    path = os.path.join(work, "app-%s.db" % journal)
    true_score = make(path, journal)
    check(true_score < 100, "%s: the sample's true score is %s, want < 100" % (journal, true_score))
    for first in (False, True):
        # a connection that read the schema opens before the lock is taken
        # (loading the module reads it); one that did not, after
        c = reader(path, first) if first else None
        w = sqlite3.connect(path, isolation_level=None)
        w.execute("BEGIN EXCLUSIVE")
        if c is None:
            c = reader(path, first)
        got = outcomes(c)
        w.execute("ROLLBACK")
        w.close()
        c.close()
        where = "%s, schema %s" % (journal, "read before" if first else "not read")
        for f, (kind, value, secs) in got.items():
            if journal == "delete":
                check(kind == "error" and "dbcare: database is locked" in value,
                      "%s: %s gave %s %r, want 'database is locked'" % (where, f, kind, value))
                check(secs >= 0.15, "%s: %s failed after %.2f s, before its busy timeout" % (where, f, secs))
            else:
                want = {"dbmigrate_assert('1')": 1, "dbmigrate_current()": "1",
                        "dbcare_get('migrate.out_of_order')": "allow",
                        "dbhealth_score('standard')": true_score}.get(f, "warning" if true_score < 80 else "healthy")
                check(kind == "ok" and value == want, "%s: %s gave %s %r, want %r" % (where, f, kind, value, want))

for m, a, timeout, want in journeys:
    got, err = a.communicate(timeout=60)
    check(m.wait(timeout=30) == 0, "the migrator failed")
    check(got.strip() == want, "application start-up during a migration, busy timeout %s s: %r %r, want %s"
          % (timeout, got, err, want))

try:  # the module's load waits 10 s behind the lock, the report 5 s more
    out, err = cli_run.communicate(timeout=25)
except subprocess.TimeoutExpired:
    cli_run.kill()
    out, err = cli_run.communicate()
    err += " (still running after 25 s: killed)"
cli_lock.execute("ROLLBACK")
check(cli_run.returncode not in (0, 3) and "database is locked" in err,
      "dbcare health --fail-on warning on a locked file: exit %d, %r %r" % (cli_run.returncode, out, err))

if fails:
    print("\n".join("FAIL: " + f for f in fails))
    sys.exit(1)
print("ok: locked reads fail 'database is locked', WAL reads the true state, the start-up waits")
PY
