"""bench_json_schemastore_instructions.py — bench_json_schemastore's PostgreSQL
bulk INSERT counted in instructions (valgrind's callgrind), where the shared
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
docs/benchmarks.md ("Third pass") splits the CHECK into its parts."""
import os
import shutil

from bench_json_schemastore import BASE_URI, documents, schemas
from benchlib import QUICK, TX_ONE
from instructions import SingleUser, write

ROWS = 500 if QUICK else 2000


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


def run(b):
    if not shutil.which("valgrind"):
        b.skip("json schemastore instructions", "valgrind is not installed")
        return
    if b.pg is None or not b.pg.dbcare:
        b.skip("json schemastore instructions", "no PostgreSQL cluster with dbcare")
        return
    texts, docs = schemas(), documents()
    if texts is None or len(docs) < 20:
        b.skip("json schemastore instructions", "no schemas or fewer than 20 package.json files")
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
