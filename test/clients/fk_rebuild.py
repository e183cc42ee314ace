"""A table rebuild migration from Python's sqlite3 with foreign keys on and
off: SQLite's own recipe (new table, copy, DROP TABLE, RENAME) must keep
the rows of an ON DELETE CASCADE child whatever the connection's
PRAGMA foreign_keys says (dbmigrate_apply turns enforcement off for the
run and checks every key before it commits). Same cases as fk_rebuild.js.

    python3 fk_rebuild.py MODULE
"""
import json
import sqlite3
import sys

MODULE = sys.argv[1]
REBUILD = ("CREATE TABLE p_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '');\n"
           "INSERT INTO p_new SELECT id, coalesce(name, '') FROM p;\n"
           "DROP TABLE p;\n"
           "ALTER TABLE p_new RENAME TO p;\n")


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def connect(fk):
    c = sqlite3.connect(":memory:", isolation_level=None)
    c.enable_load_extension(True)
    c.load_extension(MODULE)
    c.execute("PRAGMA foreign_keys = %s" % ("ON" if fk else "OFF"))
    c.executescript("""
        CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT);
        CREATE TABLE ch (id INTEGER PRIMARY KEY,
                         p_id INTEGER NOT NULL REFERENCES p (id) ON DELETE CASCADE);
        CREATE TABLE nul (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p (id) ON DELETE SET NULL);
        INSERT INTO p VALUES (1, 'a'), (2, 'b');
        INSERT INTO ch VALUES (10, 1), (11, 2);
        INSERT INTO nul VALUES (20, 1);""")
    return c


def one(c, sql, *args):
    return c.execute(sql, args).fetchone()[0]


def intact(c, what, fk):
    got = (one(c, "SELECT count(*) FROM ch"), one(c, "SELECT p_id FROM nul"),
           c.execute("PRAGMA foreign_key_check").fetchall(), one(c, "PRAGMA foreign_keys"))
    if got != (2, 1, [], fk):
        fail("%s (foreign_keys %d): children, SET NULL child, violations, setting = %r"
             % (what, fk, got))


for fk in (1, 0):
    # apply in autocommit mode (the rebuild, and a down script that rebuilds)
    c = connect(fk)
    one(c, "SELECT dbmigrate_add('1', 'rebuild p', ?, ?)", REBUILD, REBUILD)
    # the proof runs the scripts as apply does, and keeps nothing
    proof = json.loads(one(c, "SELECT dbmigrate_verify_json()"))
    if [(r["up_ok"], r["down_ok"]) for r in proof] != [(True, True)]:
        fail("verify of the rebuild (foreign_keys %d): %r" % (fk, proof))
    intact(c, "after verify", fk)
    if one(c, "SELECT dbmigrate_apply()") != 1:
        fail("apply did not apply")
    intact(c, "after the rebuild", fk)
    if one(c, "SELECT dbmigrate_rollback()") != 1:
        fail("rollback did not roll back")
    intact(c, "after the rebuilding rollback", fk)

    # a rebuild that loses a parent row its child needs
    c = connect(fk)
    one(c, "SELECT dbmigrate_add('1', 'lossy', ?)", REBUILD.replace("FROM p;", "FROM p WHERE id = 1;"))
    if fk:
        try:
            c.execute("SELECT dbmigrate_apply()").fetchone()
            fail("a rebuild leaving ch rowid 11 without its parent was applied")
        except sqlite3.Error as e:
            if "dbcare: " not in str(e) or "ch rowid 11 references p" not in str(e):
                fail("the broken key is not named: %s" % e)
        intact(c, "after the refused lossy rebuild", fk)
        if one(c, "SELECT count(*) FROM dbmigrate_status WHERE state = 'applied'") != 0:
            fail("the refused migration is recorded as applied")
    else:
        one(c, "SELECT dbmigrate_apply()")  # the connection enforces no key: SQLite's own rule

    # inside the application's transaction foreign keys cannot be turned off:
    # with them on, the rebuild is refused before its DROP TABLE deletes anything
    c = connect(fk)
    one(c, "SELECT dbmigrate_add('1', 'rebuild p', ?)", REBUILD)
    c.execute("BEGIN")
    c.execute("INSERT INTO p VALUES (3, 'c')")
    if fk:
        try:
            c.execute("SELECT dbmigrate_apply()").fetchone()
            fail("the rebuild ran inside a transaction with foreign keys on")
        except sqlite3.Error as e:
            msg = str(e)
            for part in ("dbcare: ", "DROP TABLE p", "ch (ON DELETE CASCADE)",
                         "nul (ON DELETE SET NULL)", "outside a transaction"):
                if part not in msg:
                    fail("the refusal does not say %r: %s" % (part, msg))
        if not c.in_transaction or one(c, "SELECT count(*) FROM p") != 3:
            fail("the refusal ended the application's transaction")
        proof = json.loads(one(c, "SELECT dbmigrate_verify_json()"))
        if proof[0]["up_ok"] or "ch (ON DELETE CASCADE)" not in (proof[0]["detail"] or ""):
            fail("verify inside the transaction does not say what apply refuses: %r" % proof)
        c.execute("ROLLBACK")
    else:
        if one(c, "SELECT dbmigrate_apply()") != 1:
            fail("apply inside a transaction with foreign keys off")
        c.execute("COMMIT")
    intact(c, "after apply inside a transaction", fk)

# an interrupted run gives the setting back
c = connect(1)
c.executescript("WITH RECURSIVE r(i) AS (SELECT 3 UNION ALL SELECT i + 1 FROM r WHERE i < 30000) "
                "INSERT INTO p SELECT i, 'x' FROM r;")
one(c, "SELECT dbmigrate_add('1', 'rebuild p', ?)", REBUILD)
ticks = [0]


def stop():
    ticks[0] += 1
    return ticks[0] > 200


c.set_progress_handler(stop, 1000)
try:
    c.execute("SELECT dbmigrate_apply()").fetchone()
    fail("the progress handler did not interrupt the run")
except sqlite3.Error:
    pass
c.set_progress_handler(None, 0)
if one(c, "PRAGMA foreign_keys") != 1 or c.in_transaction:
    fail("after an interrupted run foreign keys are %d, transaction open %s"
         % (one(c, "PRAGMA foreign_keys"), c.in_transaction))
if one(c, "SELECT dbmigrate_apply()") != 1 or one(c, "SELECT count(*) FROM ch") != 2:
    fail("the run after the interrupt")
print("python fk_rebuild ok:", sqlite3.sqlite_version)
