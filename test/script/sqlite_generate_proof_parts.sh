#!/usr/bin/env bash
# dbmigrate_generate's proof on SQLite copies only the relations the plan
# touches (issue 52, speed), and must still refuse what the whole copy
# refused, among 40 tables the plan does not touch: a plan that drops a
# column of table a while a trigger on another table b writes it (SQLite
# checks triggers when the table changes), and one that renames it while
# the desired trigger keeps the old name (SQLite rewrites the trigger, so
# the plan does not reach the desired schema). Both pass the proof when
# triggers on b are not copied with a. (A view is never what breaks: the
# plan drops the views on a changed table and makes them again, and SQLite
# makes a view without checking its columns.) What the touched relations
# need comes along: a view joining a to c (ADD COLUMN checks every view;
# without c it would fail), a table whose foreign key a rename rewrites.
# The rebuild makes the table from the desired file's text (issue 66),
# never renamed into place, and still refuses trigger_on_b: an empty probe
# of the new definition is renamed to the table's name for SQLite's check.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
PYTHONPATH="$(dirname "$0")/lib" "$py" - "$module" "$work" <<'PY'
import os, sqlite3, sys
module, work = sys.argv[1:3]
import functools, module_db
connect = functools.partial(module_db.connect, module=module)
fp = module_db.fingerprint
others = "".join("CREATE TABLE o%02d(id INTEGER PRIMARY KEY, v TEXT);\n"
                 "CREATE INDEX o%02d_v ON o%02d(v);\n" % (i, i, i) for i in range(40))
def generate(name, live, desired, options='{"allow_drop": true}'):
    db = connect(os.path.join(work, name + ".db"))
    db.executescript(others + live)
    try:
        return db, db.execute("SELECT statement, reverse FROM dbmigrate_generate(?, ?) ORDER BY step",
                              (others + desired, options)).fetchall()
    except sqlite3.Error as e:
        return db, e
db_detail = lambda e: ""
def refused(name, live, desired, expect):
    _, got = generate(name, live, desired)
    if not isinstance(got, sqlite3.Error):
        sys.exit("FAIL %s: the plan was proved: %.300r" % (name, got))
    if "proof" not in str(got) and "does not reach" not in str(got):
        sys.exit("FAIL %s: not the proof's refusal: %s" % (name, got))
    if expect not in str(got) + db_detail(got):
        sys.exit("FAIL %s: not the proof's refusal naming %r: %s" % (name, expect, got))
    print("%s: refused: %s" % (name, str(got).splitlines()[0]))
def proved(name, live, desired):
    db, plan = generate(name, live, desired)
    if isinstance(plan, sqlite3.Error):
        sys.exit("FAIL %s: %s" % (name, plan))
    want = connect(":memory:")
    want.executescript(others + desired)
    start = fp(db)
    for stmt, _ in plan:
        db.executescript(stmt)
    if fp(db) != fp(want):
        sys.exit("FAIL %s: the up does not reach the desired schema" % name)
    for _, rev in reversed(plan):
        db.executescript(rev)
    if fp(db) != start:
        sys.exit("FAIL %s: the down does not reach the starting schema" % name)
    print("%s: proved, %d step(s), up and down reach their schemas" % (name, len(plan)))

a_x = "CREATE TABLE a(id INTEGER PRIMARY KEY, x INTEGER, keep TEXT);\n"
a = "CREATE TABLE a(id INTEGER PRIMARY KEY, keep TEXT);\n"
b = "CREATE TABLE b(id INTEGER PRIMARY KEY);\n"
# a trigger on b writes a.x: dropping a.x breaks it (the desired schema
# keeps it: SQLite accepts a trigger's body unchecked)
trigger = "CREATE TRIGGER b_touch AFTER INSERT ON b BEGIN UPDATE a SET x = 1; END;\n"
refused("trigger_on_b", a_x + b + trigger, a + b + trigger, "b_touch")
# a.x renamed (marked) while the trigger still says x: SQLite rewrites the
# trigger's body, so the plan does not reach the desired schema
a_y = "CREATE TABLE a(id INTEGER PRIMARY KEY, y INTEGER, -- dbcare: renamed from x\n keep TEXT);\n"
refused("trigger_rewritten", a_x + b + trigger, a_y + b + trigger, "b_touch")
# a view joining a to c: a new column on a is proved with c copied
c = "CREATE TABLE c(id INTEGER PRIMARY KEY, y TEXT);\n"
ac = "CREATE VIEW ac AS SELECT a.id, c.y FROM a JOIN c ON c.id = a.id;\n"
proved("view_needs_c", a + c + ac,
       "CREATE TABLE a(id INTEGER PRIMARY KEY, keep TEXT, extra INTEGER);\n" + c + ac)
# a table renamed (marked): the table whose foreign key names it changes too
child = "CREATE TABLE d(id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES %s(id));\n"
proved("renamed_parent", a + child % "a",
       "CREATE TABLE a2(id INTEGER PRIMARY KEY, keep TEXT); -- dbcare: renamed from a\n"
       + child % "a2")
# a rebuilt table keeps the desired file's own text (issue 66): renamed
# into place, SQLite stored it as CREATE TABLE "attachments"(...) where
# the file says attachments, a difference the fingerprint does not see;
# its child's key, its view and its trigger keep their text too
att = ("CREATE TABLE attachments(id INTEGER PRIMARY KEY, n INTEGER);\n"
       "CREATE TABLE note(id INTEGER PRIMARY KEY, a INTEGER REFERENCES attachments(id));\n"
       "CREATE VIEW av AS SELECT id, n FROM attachments;\n"
       "CREATE TRIGGER a_ins AFTER INSERT ON attachments BEGIN UPDATE note SET a = new.id WHERE 0; END;\n")
att_desired = att.replace("n INTEGER)", "n TEXT NOT NULL DEFAULT '')")
db, plan = generate("quotes_kept", att, att_desired)
if isinstance(plan, sqlite3.Error):
    sys.exit("FAIL quotes_kept: %s" % plan)
for stmt, _ in plan:
    db.executescript(stmt)
want = connect(":memory:")
want.executescript(others + att_desired)
texts = lambda d: sorted(d.execute("SELECT type, name, sql FROM sqlite_schema").fetchall())
if texts(db) != texts(want):
    sys.exit("FAIL quotes_kept: the rebuilt schema's text differs: %r" %
             sorted(set(texts(db)) ^ set(texts(want))))
print("quotes_kept: the rebuilt table's text is the desired file's")
PY
echo ok
