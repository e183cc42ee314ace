#!/usr/bin/env bash
# A rename whose old name a new object takes (issue 52, kind 10), SQLite:
# "rename description to sidebar, then add a new description" and "rename
# table orders to purchases, then a new orders" are written with the
# "renamed from" mark; the plan renames (the rows stay under the new name),
# then makes the new object, is proved, and generating again from the
# result plans nothing. A mark whose rename was applied already is no
# rename again. And the same history read back from dbcare's rename log:
# migrations renamed description to sidebar and added a new description,
# and the desired schema is the first one again: the plan drops the new
# description (refused without allow_drop) before renaming sidebar back
# (it dropped sidebar and kept the new description before), so the values
# come back under their first name.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
PYTHONPATH="$(dirname "$0")/lib" "$py" - "$module" "$work" <<'PY'
import os, sqlite3, sys
module, work = sys.argv[1:3]
import functools, module_db
connect = functools.partial(module_db.connect, module=module)
def generate(db, desired):
    return db.execute("SELECT statement FROM dbmigrate_generate(?) ORDER BY step", (desired,)).fetchall()
def case(name, live, desired, check):
    db = connect(os.path.join(work, name + ".db"))
    db.executescript(live)
    try:
        plan = generate(db, desired)
    except sqlite3.Error as e:
        sys.exit("FAIL %s: %s" % (name, e))
    for (stmt,) in plan:
        db.executescript(stmt)
    again = generate(db, desired)
    if again:
        sys.exit("FAIL %s: the desired schema is not reached; again: %s" % (name, again))
    got = db.execute(check).fetchall()
    print("%s: %d step(s): %s" % (name, len(plan), got))
    return got

got = case("column", "CREATE TABLE page(id INTEGER PRIMARY KEY, description TEXT);"
                      "INSERT INTO page VALUES (1, 'about us'), (2, 'contact');",
           "CREATE TABLE page(id INTEGER PRIMARY KEY,\n"
           "  sidebar TEXT, -- dbcare: renamed from description\n"
           "  description TEXT);",
           "SELECT id, sidebar, description FROM page ORDER BY id")
if got != [(1, "about us", None), (2, "contact", None)]:
    sys.exit("FAIL column: the values did not follow the rename: %s" % got)
# the same while another column's type changes: SQLite rebuilds the table
# after the rename, the new description empty
got = case("column_rebuilt", "CREATE TABLE page(id INTEGER PRIMARY KEY, description TEXT, n INTEGER);"
                             "INSERT INTO page VALUES (1, 'about us', 5);",
           "CREATE TABLE page(id INTEGER PRIMARY KEY,\n"
           "  sidebar TEXT, -- dbcare: renamed from description\n"
           "  n REAL,\n  description TEXT);",
           "SELECT id, sidebar, n, description FROM page ORDER BY id")
if got != [(1, "about us", 5.0, None)]:
    sys.exit("FAIL column_rebuilt: the values did not follow the rename: %s" % got)
got = case("table", "CREATE TABLE orders(id INTEGER PRIMARY KEY, total INTEGER);"
                     "INSERT INTO orders VALUES (1, 10), (2, 20);",
           "CREATE TABLE purchases(id INTEGER PRIMARY KEY, total INTEGER); -- dbcare: renamed from orders\n"
           "CREATE TABLE orders(id INTEGER PRIMARY KEY, note TEXT);",
           "SELECT (SELECT group_concat(total) FROM purchases), (SELECT count(*) FROM orders)")
if got != [("10,20", 0)]:
    sys.exit("FAIL table: the rows did not follow the rename: %s" % got)
# the mark left in the file after the migration ran: nothing to do
db = connect(os.path.join(work, "column.db"))
if generate(db, "CREATE TABLE page(id INTEGER PRIMARY KEY,\n"
                "  sidebar TEXT, -- dbcare: renamed from description\n  description TEXT);"):
    sys.exit("FAIL: an applied mark renames again")

db = connect(os.path.join(work, "log.db"))
db.execute("SELECT dbmigrate_add('1', 'note', 'CREATE TABLE note (id integer PRIMARY KEY, "
           "description text);', 'DROP TABLE note;')")
db.execute("SELECT dbmigrate_add('2', 'sidebar', 'ALTER TABLE note RENAME COLUMN description TO "
           "sidebar; ALTER TABLE note ADD COLUMN description text;', 'ALTER TABLE note DROP "
           "COLUMN description; ALTER TABLE note RENAME COLUMN sidebar TO description;')")
db.execute("SELECT dbmigrate_apply()").fetchall()
db.execute("INSERT INTO note VALUES (1, 'first text', 'later text')")
first = "CREATE TABLE note (id integer PRIMARY KEY, description text);"
try:
    generate(db, first)
    sys.exit("FAIL log: the new description's drop is not refused without allow_drop")
except sqlite3.Error as e:
    if "allow_drop" not in str(e):
        sys.exit("FAIL log: %s" % e)
plan = db.execute("SELECT statement FROM dbmigrate_generate(?, '{\"allow_drop\": true}') "
                  "ORDER BY step", (first,)).fetchall()
for (stmt,) in plan:
    db.executescript(stmt)
if generate(db, first):
    sys.exit("FAIL log: the desired schema is not reached")
got = db.execute("SELECT id, description FROM note").fetchall()
print("log: %d step(s): %s" % (len(plan), got))
if got != [(1, "first text")]:
    sys.exit("FAIL log: the log's rename was not followed back: %s" % got)
PY
echo ok
