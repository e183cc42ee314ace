#!/usr/bin/env bash
# Reading dbcare's rename log at scale (issue 52, kind 11): 30,000 rows
# (27,000 tables each renamed once, by migrations of ten renames each, and
# a column renamed back and forth 3,000 times) read by dbmigrate_generate,
# which still finds the column's former name. The read must grow about
# linearly: the log of 30,000 rows may cost at most 8 times the log of
# 7,500 (a quadratic read costs 16 times; it took 3.4 s at 30,000 rows).
# Then the log's forget rows (what the runner writes when it cannot read a
# rename's names): one for another table keeps the column's history, one
# for its table or for every table ('*') ends it, and the former name is
# then a drop, refused without allow_drop.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
"$py" - "$module" "$work" <<'PY'
import os, shutil, sqlite3, sys, time
module, work = sys.argv[1:3]
def connect(path, load=True):
    db = sqlite3.connect(path, isolation_level=None)
    if load:
        db.enable_load_extension(True)
        db.load_extension(module)
    else:
        # rows planted by hand: the log's guards, which let only the
        # runner write it, dropped first
        for event in ("insert", "update"):
            db.execute("DROP TRIGGER IF EXISTS dbcare_migrations_renames_%s_guard" % event)
    return db
base = os.path.join(work, "base.db")
db = connect(base)
db.execute("SELECT dbmigrate_add('1', 't', 'CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT);')")
db.execute("SELECT dbmigrate_add('2', 'a to b', 'ALTER TABLE t RENAME COLUMN a TO b;')")
db.execute("SELECT dbmigrate_apply()")
identity = db.execute("SELECT identity FROM dbcare_migrations_renames").fetchone()[0]
db.close()

def log_of(n):
    """A copy of base.db whose log has about n rows more: tables renamed
    once by migrations of ten, then t.b renamed to c and back n/10 times."""
    path = os.path.join(work, "log%d.db" % n)
    shutil.copy(base, path)
    db = connect(path, load=False)
    db.execute("BEGIN")
    tables = n * 9 // 10
    for j in range(tables // 10):
        script = "".join("ALTER TABLE x%d RENAME TO y%d;\n" % (i, i) for i in range(10 * j, 10 * j + 10))
        db.execute("INSERT INTO dbcare_migrations (kind, version, name, script, checksum)"
                   " VALUES ('versioned', ?, 'renames', ?, 'x')", ("v%d" % j, script))
        db.executemany("INSERT INTO dbcare_migrations_renames (version, direction, op, schema_name,"
                       " table_name, new_name, identity) VALUES (?, 'up', 'rename', 'main', ?, ?, ?)",
                       [("v%d" % j, "x%d" % i, "y%d" % i, "9:%d" % i) for i in range(10 * j, 10 * j + 10)])
    db.execute("INSERT INTO dbcare_migrations (kind, version, name, script, checksum) VALUES"
               " ('versioned', 'pp', 'back and forth', 'ALTER TABLE t RENAME COLUMN b TO c;"
               " ALTER TABLE t RENAME COLUMN c TO b;', 'x')")
    for k in range((n - tables) // 2):
        db.executemany("INSERT INTO dbcare_migrations_renames (version, direction, op, schema_name,"
                       " table_name, column_name, new_name, identity) VALUES"
                       " ('pp', 'up', 'rename', 'main', 't', ?, ?, ?)",
                       [("b", "c", identity), ("c", "b", identity)])
    db.execute("COMMIT")
    rows = db.execute("SELECT count(*) FROM dbcare_migrations_renames").fetchone()[0]
    db.close()
    return path, rows

desired = "CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT);"
def generate(path, options="{}"):
    db = connect(path)
    t0 = time.process_time()
    try:
        rows = db.execute("SELECT statement FROM dbmigrate_generate(?, ?) ORDER BY step",
                          (desired, options)).fetchall()
    except sqlite3.Error as e:
        rows = e
    return rows, time.process_time() - t0

def best(path):
    times = []
    for _ in range(3):
        rows, t = generate(path)
        if isinstance(rows, sqlite3.Error) or not any('RENAME COLUMN "b" TO "a"' in s for (s,) in rows):
            sys.exit("FAIL: the former name a of t.b is not found: %s" % (rows,))
        times.append(t)
    return min(times)

small, n_small = log_of(7500)
t_small = best(small)
if t_small > 2:  # a quadratic read would take minutes on the larger log
    sys.exit("FAIL: the log of %d rows took %.1f s" % (n_small, t_small))
large, n_large = log_of(30000)
t_large = best(large)
print("log of %d rows: %.3f s; of %d rows: %.3f s (x%.1f)" %
      (n_small, t_small, n_large, t_large, t_large / t_small))
if t_large > 8 * t_small:
    sys.exit("FAIL: the log's read grows faster than linearly")

# forget rows, as the runner writes them
def with_forget(table):
    path = os.path.join(work, "forget.db")
    shutil.copy(base, path)
    db = connect(path, load=False)
    db.execute("INSERT INTO dbcare_migrations_renames (version, direction, op, schema_name,"
               " table_name) VALUES ('3', 'up', 'forget', 'main', ?)", (table,))
    db.close()
    return path
rows, _ = generate(with_forget("other"))
if isinstance(rows, sqlite3.Error) or not any('RENAME COLUMN "b" TO "a"' in s for (s,) in rows):
    sys.exit("FAIL: a forget of another table ended t's history: %s" % (rows,))
for table in ("t", "T", "*"):
    rows, _ = generate(with_forget(table))
    if not isinstance(rows, sqlite3.Error) or "allow_drop" not in str(rows):
        sys.exit("FAIL: after a forget of %s, the former name is still followed: %s" % (table, rows))
    rows, _ = generate(with_forget(table), '{"allow_drop": true}')
    if isinstance(rows, sqlite3.Error) or any("RENAME COLUMN" in s for (s,) in rows):
        sys.exit("FAIL: after a forget of %s, not a drop and an add: %s" % (table, rows))
print("forget rows: another table's keeps the history, t's and '*' end it")
PY
echo ok
