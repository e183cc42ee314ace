#!/usr/bin/env bash
# SQLite table options in what the generator writes from the live model
# (issue 52, MediaWiki's AbuseFilter walked back): a dropped table's down,
# and a rebuilt table's down, make the table again with its AUTOINCREMENT,
# WITHOUT ROWID and STRICT, so the proof's down returns to the live schema
# (it refused "the generated down does not return to the starting schema",
# options removed). Each plan applied reaches the desired schema and its
# down the starting one.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
PYTHONPATH="$(dirname "$0")/lib" "$py" - "$module" "$work" <<'PY'
import os, sqlite3, sys
module, work = sys.argv[1:3]
import functools, module_db
connect = functools.partial(module_db.connect, module=module)
fp = module_db.fingerprint
keep = "CREATE TABLE keep(id INTEGER PRIMARY KEY);\n"
tables = ("CREATE TABLE counter(id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, v TEXT);\n"
          "CREATE TABLE pair(a TEXT NOT NULL, b INTEGER NOT NULL, PRIMARY KEY (a, b)) WITHOUT ROWID;\n"
          "CREATE TABLE typed(id INTEGER PRIMARY KEY, n INTEGER) STRICT;\n"
          "CREATE TABLE both_(k TEXT PRIMARY KEY, n INTEGER) WITHOUT ROWID, STRICT;\n")
rows = "INSERT INTO counter(v) VALUES ('a'), ('b'); INSERT INTO pair VALUES ('x', 1);\n"
def case(name, live, desired):
    db = connect(os.path.join(work, name + ".db"))
    db.executescript(live + rows)
    start = fp(db)
    want = connect(":memory:")
    want.executescript(desired)
    try:
        plan = db.execute("SELECT statement, reverse FROM dbmigrate_generate(?, '{\"allow_drop\": true}')"
                          " ORDER BY step", (desired,)).fetchall()
    except sqlite3.Error as e:
        sys.exit("FAIL %s: %s" % (name, str(e)[:400]))
    for stmt, _ in plan:
        db.executescript(stmt)
    if fp(db) != fp(want):
        sys.exit("FAIL %s: the up does not reach the desired schema" % name)
    for _, rev in reversed(plan):
        db.executescript(rev)
    if fp(db) != start:
        sys.exit("FAIL %s: the down does not return to the starting schema" % name)
    print("%s: %d step(s), up and down reach their schemas" % (name, len(plan)))
case("dropped", keep + tables, keep)
# a column's type changes: SQLite rebuilds the table; its down rebuilds it back
case("rebuilt", keep + tables,
     keep + tables.replace("v TEXT", "v BLOB").replace("b INTEGER NOT NULL", "b TEXT NOT NULL")
     .replace("n INTEGER) STRICT", "n REAL) STRICT"))
PY
echo ok
