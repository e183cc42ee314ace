#!/usr/bin/env bash
# dbcheck_constraints checks a rowid table's foreign keys with SQLite's own
# check (pragma_foreign_key_check), all of the table's keys in one run, and
# reports for each key what the key's own statement reports: dbcheck_orphans
# still plans one statement per key, so its rows are the reference. A trace
# callback (Python's set_trace_callback hears every statement dbcare runs on
# the connection) tells which tables went through the engine's check.
#  1. Keys whose rules SQL must imitate: two keys to one parent, a composite
#     key with NULL parts, a NOCASE parent key, a text child of an integer
#     parent (affinity), a missing parent, a column named rowid, a quote in
#     the table's name: one engine run per table, the same counts and
#     samples as dbcheck_orphans, and more than 5 violations each.
#     A table with two keys, one of them indexed, goes to the engine too.
#  2. Tables the engine does not take: a WITHOUT ROWID child, a table one
#     of whose keys is broken (no unique index on its parent key, which makes
#     the engine's check fail), and a table whose only key has an index of
#     its own (its statement reads that index, smaller than the table):
#     checked key by key as before, the broken key not checked with its
#     reason, the others checked.
#  3. An authorizer that denies PRAGMA foreign_key_check (the application's
#     own rule) makes the engine's check fail: the keys are checked one by
#     one instead, with the same answers.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"

lib="$(cd "$(dirname "$0")/lib" && pwd)"
PYTHONPATH="$lib" "$py" - "$mod" "$work" <<'PY'
import json, os, sqlite3, sys
import module_db

mod, work = sys.argv[1], sys.argv[2]

def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)

path = os.path.join(work, "fks.db")
b = sqlite3.connect(path, isolation_level=None)
b.executescript("""
CREATE TABLE acct (id INTEGER PRIMARY KEY);
CREATE TABLE xfer (id INTEGER PRIMARY KEY, src INTEGER REFERENCES acct,
                   dst INTEGER REFERENCES acct (id));
CREATE TABLE pair (a INTEGER, b TEXT, UNIQUE (a, b));
CREATE TABLE pair_use (n INTEGER PRIMARY KEY, a INTEGER, b TEXT,
                       FOREIGN KEY (a, b) REFERENCES pair (a, b));
CREATE TABLE tag (name TEXT COLLATE NOCASE PRIMARY KEY);
CREATE TABLE tagged (id INTEGER PRIMARY KEY, tag TEXT REFERENCES tag (name));
CREATE TABLE num (id INTEGER PRIMARY KEY);
CREATE TABLE by_text (id INTEGER PRIMARY KEY, num_ref TEXT REFERENCES num (id));
CREATE TABLE lost (id INTEGER PRIMARY KEY, gone INTEGER REFERENCES nowhere (id));
CREATE TABLE shadow (rowid TEXT, acct INTEGER REFERENCES acct (id));
CREATE TABLE "it's" (id INTEGER PRIMARY KEY, acct INTEGER REFERENCES acct (id));
CREATE TABLE wr (k TEXT PRIMARY KEY, acct INTEGER REFERENCES acct (id)) WITHOUT ROWID;
CREATE INDEX xfer_src ON xfer (src);
CREATE TABLE indexed (id INTEGER PRIMARY KEY, acct INTEGER REFERENCES acct (id));
CREATE INDEX indexed_acct ON indexed (acct, id);
CREATE TABLE loose (u INTEGER);
CREATE TABLE mixed (id INTEGER PRIMARY KEY, acct INTEGER REFERENCES acct (id),
                    u INTEGER REFERENCES loose (u));
BEGIN;
WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 100)
INSERT INTO acct SELECT i FROM g;
WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 400)
INSERT INTO xfer SELECT i, CASE WHEN i % 13 = 0 THEN 1000 + i ELSE i % 100 + 1 END,
                        CASE WHEN i % 7 = 0 THEN 2000 + i WHEN i % 11 = 0 THEN NULL
                             ELSE i % 100 + 1 END FROM g;
INSERT INTO pair VALUES (1, 'x'), (2, 'y'), (NULL, 'z');
WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 300)
INSERT INTO pair_use SELECT i, i % 4, CASE i % 5 WHEN 0 THEN NULL WHEN 1 THEN 'x'
                                      WHEN 2 THEN 'y' ELSE 'z' END FROM g;
INSERT INTO tag VALUES ('red'), ('Blue');
WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 200)
INSERT INTO tagged SELECT i, CASE i % 4 WHEN 0 THEN 'RED' WHEN 1 THEN 'blue'
                                  WHEN 2 THEN 'green' ELSE NULL END FROM g;
WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 50)
INSERT INTO num SELECT i FROM g;
WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 200)
INSERT INTO by_text SELECT i, CASE i % 3 WHEN 0 THEN CAST(i AS TEXT)
                                  WHEN 1 THEN '0' || i ELSE ' ' || i END FROM g;
WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 50)
INSERT INTO lost SELECT i, CASE WHEN i % 5 = 0 THEN NULL ELSE i END FROM g;
WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 150)
INSERT INTO shadow SELECT 'r' || i, CASE WHEN i % 9 = 0 THEN 500 + i ELSE i % 100 + 1 END FROM g;
WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 150)
INSERT INTO "it's" SELECT i, CASE WHEN i % 10 = 0 THEN 700 + i ELSE i % 100 + 1 END FROM g;
WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 150)
INSERT INTO indexed SELECT i, CASE WHEN i % 12 = 0 THEN 600 + i ELSE i % 100 + 1 END FROM g;
WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 150)
INSERT INTO wr SELECT printf('k%03d', i), CASE WHEN i % 8 = 0 THEN 900 + i ELSE i % 100 + 1 END FROM g;
INSERT INTO loose VALUES (1), (2);
WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 150)
INSERT INTO mixed SELECT i, CASE WHEN i % 6 = 0 THEN 800 + i ELSE i % 100 + 1 END, i % 3 FROM g;
COMMIT;
""")
b.close()

def findings(c):
    rows, seen = module_db.traced(c, "SELECT table_name, constraint_name, violations, sample"
                                     " FROM dbcheck_constraints() WHERE kind = 'foreign_key'")
    engine = [s for s in seen if "pragma_foreign_key_check(" in s]
    return {(r[0], r[1]): (r[2], json.loads(r[3])) for r in rows}, engine

def reference(c):
    rows = c.execute("SELECT child_table, relation, orphans, sample FROM dbcheck_orphans()").fetchall()
    return {(r[0], r[1]): (r[2], json.loads(r[3])) for r in rows}

def engine_tables(engine):
    return sorted(s.split("pragma_foreign_key_check(")[1].split(", 'main')")[0] for s in engine)

c = module_db.connect(path, mod)
got, engine = findings(c)
ref = reference(c)

# 1. the engine's run, the same answers as the key's own statement
sound = ["acct_x", "xfer", "pair_use", "tagged", "by_text", "lost", "shadow", "it's"]
want_engine = sorted("'" + t.replace("'", "''") + "'" for t in sound if t != "acct_x")
if engine_tables(engine) != want_engine:
    fail(f"tables checked by the engine: {engine_tables(engine)}, want {want_engine}")
for key, (n, sample) in ref.items():
    table = key[0]
    if table in ("wr", "mixed", "indexed"):
        continue
    if got.get(key) != (n, sample):
        fail(f"{key}: dbcheck_constraints says {got.get(key)}, its own statement {(n, sample)}")
    if n <= 5:
        fail(f"{key}: only {n} violations (test premise: more than a sample)")

# 2. what the engine cannot take is checked key by key
broken = [k for k in got if k[0] == "mixed" and got[k][0] is None]
sound_mixed = [k for k in got if k[0] == "mixed" and got[k][0] is not None]
if len(broken) != 1 or "foreign key mismatch" not in json.dumps(got[broken[0]][1]):
    fail(f"mixed: the broken key should be not checked with its reason: {got}")
if len(sound_mixed) != 1 or got[sound_mixed[0]] != ref[sound_mixed[0]] or ref[sound_mixed[0]][0] != 25:
    fail(f"mixed: the sound key {sound_mixed}: {[got.get(k) for k in sound_mixed]}, want 25 as {[ref.get(k) for k in sound_mixed]}")
for table, n in (("wr", 18), ("indexed", 12)):
    keys = [k for k in got if k[0] == table]
    if len(keys) != 1 or got[keys[0]] != ref[keys[0]] or got[keys[0]][0] != n:
        fail(f"{table}: {[got.get(k) for k in keys]}, its own statement {[ref.get(k) for k in keys]}, want {n}")

# 3. the engine's check denied by the application's authorizer: key by key
denied = []
def deny_pragma(action, name, *args):
    refused = action == sqlite3.SQLITE_PRAGMA and name == "foreign_key_check"
    if refused:
        denied.append(args)
    return sqlite3.SQLITE_DENY if refused else sqlite3.SQLITE_OK
c.set_authorizer(deny_pragma)
try:
    got2, _ = findings(c)
finally:
    c.set_authorizer(None)
if len(denied) < len(want_engine):
    fail(f"the engine's check was denied {len(denied)} times (test premise: once per table, {len(want_engine)})")
if got2 != got:
    diff = {k: (got2.get(k), got.get(k)) for k in set(got) | set(got2) if got2.get(k) != got.get(k)}
    fail(f"with the engine's check denied the answers differ: {diff}")
print("ok")
PY
