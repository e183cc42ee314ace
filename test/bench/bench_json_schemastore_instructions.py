"""bench_json_schemastore_instructions.py — bench_json_schemastore's inserts
counted in instructions (valgrind's callgrind), where the shared
machine moves CPU ratios by more than a pass of work on the validator: a
single-user backend on a scratch data directory of the bench cluster's build
runs one INSERT ... SELECT of the documents into each table, after a call
that compiles the schema; a backend that makes only that call is subtracted.

Sides: no CHECK; the floor of any validator reading jsonb through the public
API (test/bench/jsonb_walk.c's jsonb_walk_tokens: every token read with
JsonbIteratorNext, nothing decided); CHECK (dbjson_valid(doc, 'package'))
with SchemaStore's package.json schema and its six references registered,
its document read from jsonb's stored layout (pg/json/json_doc_layout.c) and,
with dbcare.jsonb_layout off, through the iterator; the floor of reading
the stored layout (jsonb_walk_direct).
docs/benchmarks.md ("Third pass") splits the CHECK into its parts.

SQLite (Python's sqlite3 with dbcare's module, as bench_json_schemastore
runs it): both shapes of one transaction, the prepared one-row INSERT run
for each row (executemany) and one INSERT ... SELECT from a table without a
CHECK, into tables with no CHECK, with SQLite's own CHECK (json_valid(doc)),
with the floor of any JSON CHECK (test/bench/json_scan_floor.c, built here:
every token read once by a hand-written scanner, nothing decided but
whether the text is JSON) and with the CHECK naming package.json's schema.
Each run calls dbjson_valid once before its rows (the schema compiled),
and the same process with no rows is subtracted."""
import os
import shutil
import subprocess
import sys

from bench_json_schemastore import BASE_URI, documents, schemas
from benchlib import BUILD, MODULE, QUICK, TX_ONE, sqlite_connect
from instructions import SingleUser, count_instructions, write

ROWS = 500 if QUICK else 2000
# SQLite's runs are cheap: its documents cycle ten times over in quick mode
# too (the memo of short strings warm, as in a long load)
SQLITE_ROWS = 2000


def lit(t):
    return "'" + t.replace("'", "''") + "'"


def setup_sql(texts, docs):
    """Single-user mode with -j ends a statement at a semicolon and a blank
    line: no schema or document text holds one (checked)."""
    stmts = ["CREATE EXTENSION dbcare"]
    for name, text in texts.items():
        stmts.append("SELECT dbjson_register(%s, %s, %s)" % (lit(name), lit(text),
                                                             lit(BASE_URI + name + ".json")))
    stmts += [
        "CREATE TABLE candidates (doc jsonb)",
        "INSERT INTO candidates VALUES " + ",".join(f"({lit(d)})" for d in docs),
        "CREATE TABLE docs (doc jsonb)",
        f"INSERT INTO docs SELECT v.doc FROM generate_series(0, {ROWS} - 1) i,"
        " LATERAL (SELECT doc FROM (SELECT doc, row_number() OVER () - 1 AS k,"
        " count(*) OVER () AS n FROM candidates WHERE dbjson_valid(doc, 'package')) c"
        " WHERE c.k = i % c.n) v",
        "VACUUM docs",
        "CREATE TABLE plain (doc jsonb)",
        "CREATE FUNCTION jsonb_walk_tokens(jsonb) RETURNS boolean"
        " AS '$libdir/dbcare_bench_walk', 'jsonb_walk_tokens' LANGUAGE C IMMUTABLE STRICT",
        "CREATE TABLE tokens (doc jsonb CHECK (jsonb_walk_tokens(doc)))",
        "CREATE FUNCTION jsonb_walk_direct(jsonb) RETURNS boolean"
        " AS '$libdir/dbcare_bench_walk', 'jsonb_walk_direct' LANGUAGE C IMMUTABLE STRICT",
        "CREATE TABLE direct (doc jsonb CHECK (jsonb_walk_direct(doc)))",
        "CREATE TABLE named (doc jsonb CHECK (dbjson_valid(doc, 'package')))",
    ]
    body = ";\n\n".join(stmts) + ";\n\n"
    if body.count(";\n\n") != len(stmts):
        raise RuntimeError("a schema or document holds a statement end of single-user mode")
    return body


# the SQLite tables: (table, its CHECK, the row's label)
SQLITE_SIDES = [
    ("plain", None, "no CHECK"),
    ("builtin", "json_valid(doc)", "SQLite's CHECK (json_valid(doc))"),
    ("floor", "json_scan_floor(doc)", "C CHECK reading every token (hand-written scanner), no validation"),
    ("named", "dbjson_valid(doc, 'package')", "CHECK naming package.json's schema"),
]
SQLITE_SHAPES = [("prepared", "one-row INSERTs (executemany)"), ("select", "INSERT ... SELECT")]

# argv: dbcare's module, the floor's, the database, the table, the shape,
# the rows inserted (n). The prepared shape reads every row into Python
# first, whatever n (the run with none inserted reads them too: reading is
# no insert's cost)
SQLITE_RUN = """
import sqlite3, sys
module, floor, db, table, shape, n = sys.argv[1:6] + [int(sys.argv[6])]
c = sqlite3.connect(db, isolation_level=None)
c.enable_load_extension(True)
c.load_extension(module)
c.load_extension(floor)
c.execute("SELECT dbjson_valid('{}', 'package')").fetchone()
rows = [(r[0],) for r in c.execute("SELECT doc FROM source")] if shape == "prepared" else []
c.execute("BEGIN")
if shape == "prepared":
    c.executemany(f"INSERT INTO {table} VALUES (?)", rows[:n])
elif n:
    c.execute(f"INSERT INTO {table} SELECT doc FROM source LIMIT ?", (n,))
c.execute("COMMIT")
"""


def floor_module():
    """test/bench/json_scan_floor.c built as a loadable module (its path),
    or None when it cannot be."""
    os.makedirs(BUILD, exist_ok=True)
    out = os.path.join(BUILD, "json_scan_floor.so")
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "json_scan_floor.c")
    r = subprocess.run(["gcc", "-O2", "-fPIC", "-shared", "-Wall", "-Wextra", "-Werror", "-o", out, src],
                       capture_output=True, text=True)
    return out if r.returncode == 0 else None


def run_sqlite(b, texts, docs):
    floor = floor_module()
    if floor is None:
        b.skip("json schemastore instructions", "the floor's module (json_scan_floor.c) did not build")
        return
    d = os.path.join(b.work, "ir_json_ss_sqlite")
    os.makedirs(d)
    db = os.path.join(d, "template.db")
    c = sqlite_connect(db)
    c.enable_load_extension(True)
    c.load_extension(floor)
    for name, text in texts.items():
        c.execute("SELECT dbjson_register(?, ?, ?)", (name, text, BASE_URI + name + ".json"))
    valid = [x for x in docs if c.execute("SELECT dbjson_valid(?, 'package')", (x,)).fetchone()[0]]
    c.execute("CREATE TABLE source (doc TEXT)")
    c.execute("BEGIN")
    c.executemany("INSERT INTO source VALUES (?)", ((valid[i % len(valid)],) for i in range(SQLITE_ROWS)))
    c.execute("COMMIT")
    for t, check, _ in SQLITE_SIDES:
        c.execute(f"CREATE TABLE {t} (doc TEXT" + (f" CHECK ({check}))" if check else ")"))
    c.close()
    script = os.path.join(d, "run.py")
    write(d, "run.py", SQLITE_RUN)
    # one hash seed: a random one moves Python's own count run to run
    env = dict(os.environ, PYTHONHASHSEED="0")
    py = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable

    def count(table, shape, n):
        copy = os.path.join(d, f"{table}_{shape}_{n}.db")
        shutil.copy(db, copy)
        return count_instructions([py, script, MODULE, floor, copy, table, shape, str(n)],
                                  os.path.join(d, "cg.out"), env=env)

    ins = {}
    for shape, _ in SQLITE_SHAPES:
        empty = count("plain", shape, 0)
        for t, _, _ in SQLITE_SIDES:
            ins[(t, shape)] = count(t, shape, SQLITE_ROWS) - empty
    closure = f"{len(valid)} real package.json documents cycled; the schema and its 6 references registered"
    for shape, label in SQLITE_SHAPES:
        plain = ins[("plain", shape)]
        ref = f"{label}, no CHECK instructions"
        for t, _, side in SQLITE_SIDES:
            n = ins[(t, shape)]
            target = dict(target="≤ 2.5× no CHECK", met=n / plain <= 2.5) if t == "named" else {}
            check = f", the CHECK {(n - plain) / SQLITE_ROWS / 1e3:,.1f} k" if t != "plain" else ""
            b.add("json schemastore instructions", "sqlite", f"{SQLITE_ROWS} rows", f"{label}, {side}: instructions",
                  None, 1, ratio=n / plain, ref=ref, tx=TX_ONE,
                  note=f"{n / SQLITE_ROWS / 1e3:,.1f} k a row{check}; {closure}", **target)
        # what the CHECK adds, against what the floor adds
        floor_added, named_added = ins[("floor", shape)] - plain, ins[("named", shape)] - plain
        b.add("json schemastore instructions", "sqlite", f"{SQLITE_ROWS} rows",
              f"{label}: the CHECK's instructions against the floor's", None, 1,
              ratio=named_added / floor_added, ref="what the floor's CHECK adds", tx=TX_ONE,
              note=f"{named_added / SQLITE_ROWS / 1e3:,.1f} k against {floor_added / SQLITE_ROWS / 1e3:,.1f} k a row")
    n, ref = ins[("named", "prepared")], ins[("named", "select")]
    b.add("json schemastore instructions", "sqlite", f"{SQLITE_ROWS} rows",
          "one-row INSERTs against INSERT ... SELECT, both with the CHECK: instructions", None, 1,
          ratio=n / ref, ref="INSERT ... SELECT with the CHECK instructions", tx=TX_ONE,
          target="≤ 1.2× INSERT ... SELECT", met=n / ref <= 1.2)
    shutil.rmtree(d, ignore_errors=True)


def run(b):
    if not shutil.which("valgrind"):
        b.skip("json schemastore instructions", "valgrind is not installed")
        return
    texts, docs = schemas(), documents()
    if texts is None or len(docs) < 20:
        b.skip("json schemastore instructions", "no schemas or fewer than 20 package.json files")
        return
    run_sqlite(b, texts, docs)
    if b.pg is None or not b.pg.dbcare:
        b.skip("json schemastore instructions", "no PostgreSQL cluster with dbcare")
        return
    d = os.path.join(b.work, "ir_json_ss")
    os.makedirs(d)
    warm = "SELECT dbjson_valid((SELECT doc FROM docs LIMIT 1), 'package');\n\n"
    write(d, "setup.sql", setup_sql(texts, docs))
    write(d, "warm.sql", warm)
    write(d, "warm_iterator.sql", "SET dbcare.jsonb_layout = off;\n\n" + warm)
    for t in ("plain", "tokens", "direct", "named"):
        write(d, f"{t}.sql", warm + f"INSERT INTO {t} SELECT doc FROM docs;\n\n")
    # the same CHECK with the document read through the public iterator
    # (pg/json/json_doc_layout.c's way out), side by side with the layout reader
    write(d, "named_iterator.sql", "SET dbcare.jsonb_layout = off;\n\n" + warm +
          "INSERT INTO named SELECT doc FROM docs;\n\n")
    pg = SingleUser(b.pg, d, ["j"], setup_db="j")

    def backend(script):
        return pg.count("j", script)

    base = backend("warm.sql")
    base_off = backend("warm_iterator.sql")
    ins = {t: backend(f"{t}.sql") - base for t in ("plain", "tokens", "direct", "named")}
    ins["named_iterator"] = backend("named_iterator.sql") - base_off
    size, ref = f"{ROWS} rows", "no CHECK (INSERT ... SELECT) instructions"
    for t, side in (("plain", "no CHECK"),
                    ("tokens", "C CHECK reading every token (JsonbIteratorNext), no validation"),
                    ("direct", "C CHECK reading every entry of the stored layout, no validation"),
                    ("named_iterator", "CHECK naming package.json's schema, jsonb read by the iterator"),
                    ("named", "CHECK naming package.json's schema")):
        check = (ins[t] - ins["plain"]) / ROWS / 1e3
        b.add("json schemastore instructions", "postgresql", size, f"INSERT ... SELECT, {side}: instructions",
              None, 1, ratio=ins[t] / ins["plain"], ref=ref, tx=TX_ONE,
              note=f"{ins[t] / ROWS / 1e3:,.1f} k a row" + (f", the CHECK {check:,.1f} k" if t != "plain" else ""))
    shutil.rmtree(d, ignore_errors=True)
