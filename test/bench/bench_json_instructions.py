"""bench_json_instructions.py — the PostgreSQL sides of bench_json counted in
instructions (valgrind's callgrind), where the shared machine moves wall and
even CPU ratios by tens of percent: a single-user backend on a scratch data
directory of the cluster's build runs each script once, and a backend that
runs `SELECT 1` is subtracted (start-up and shut-down).

Sides (docs/json.md, "Performance"):
- INSERT ... SELECT of the bench's documents into a table without a CHECK
  (each after a call that loads dbcare and compiles the schema, a backend
  making only that call subtracted),
  with CHECK (dbjson_valid(payload, <schema>)), and with the same built-in
  CHECK behind a pinned search_path (the floor of any dbcare function);
- STATEMENTS one-row INSERTs, each its own transaction: without a CHECK,
  with CHECK (payload <> <the schema as jsonb>) (the same 1 kB constant
  under a built-in operator: what PostgreSQL pays per statement to read the
  CHECK back), and with the dbjson_valid CHECK;
- dbjson_errors against dbjson_valid on the invalid document."""
import os
import shutil

from bench_json import INVALID, SCHEMA, document
from benchlib import QUICK, TX_EACH_STATEMENT, TX_ONE, TX_READ
from instructions import SingleUser, write

# its figures are rows of bench "json" (benchlib.row_module)
ROWS_OF = "json"
ROWS = 2000 if QUICK else 20000
STATEMENTS = 500 if QUICK else 2000
CALLS = 500 if QUICK else 2000


def run(b):
    if not shutil.which("valgrind"):
        b.skip("json instructions", "valgrind is not installed")
        return
    if b.pg is None or not b.pg.dbcare:
        b.skip("json instructions", "no PostgreSQL cluster with dbcare")
        return
    d = os.path.join(b.work, "ir_json")
    os.makedirs(d)
    lit = SCHEMA.replace("'", "''")
    docs = [document(i).replace("'", "''") for i in range(1, ROWS + 1)]
    # single-user mode with -j ends a statement at a semicolon and a blank line
    write(d, "setup.sql", ";\n\n".join([
        "CREATE EXTENSION dbcare",
        "CREATE TABLE plain (payload jsonb)",
        f"CREATE TABLE checked (payload jsonb CHECK (dbjson_valid(payload, '{lit}')))",
        "CREATE FUNCTION pinned_exists(jsonb, text) RETURNS boolean LANGUAGE internal "
        "IMMUTABLE STRICT SET search_path = pg_catalog, pg_temp AS 'jsonb_exists'",
        "CREATE TABLE pinned (payload jsonb CHECK (pinned_exists(payload, 'id')))",
        f"CREATE TABLE constant (payload jsonb CHECK (payload <> '{lit}'::jsonb))",
        f"CREATE DOMAIN valid_payload AS jsonb CHECK (dbjson_valid(VALUE, '{lit}'))",
        "CREATE TABLE domained (payload valid_payload)",
        "CREATE TABLE docs (payload jsonb)",
        "INSERT INTO docs VALUES " + ",".join(f"('{x}')" for x in docs),
        "VACUUM docs"]) + ";\n\n")
    write(d, "none.sql", "SELECT 1;\n\n")
    # the bulk sides after a call that loads dbcare and compiles the schema,
    # subtracted with it: a backend's one-time cost is no row's
    warm = f"SELECT dbjson_valid((SELECT payload FROM docs LIMIT 1), '{lit}');\n\n"
    write(d, "warm.sql", warm)
    for t in ("plain", "checked", "pinned", "domained"):
        write(d, f"select_{t}.sql", warm + f"INSERT INTO {t} SELECT payload FROM docs;\n\n")
    for t in ("plain", "constant", "checked", "domained"):
        write(d, f"rows_{t}.sql", "".join(f"INSERT INTO {t} VALUES ('{x}');\n\n"
                                         for x in docs[:STATEMENTS]))
    inv = INVALID.replace("'", "''").replace('"id": 0', '"id": -%s')
    write(d, "valid.sql", f"SELECT count(*) FROM generate_series(1, {CALLS}) i "
                          f"WHERE dbjson_valid(format('{inv}', i)::jsonb, '{lit}'::jsonb);\n\n")
    write(d, "errors.sql", f"SELECT count(*) FROM generate_series(1, {CALLS}) i, "
                           f"dbjson_errors(format('{inv}', i)::jsonb, '{lit}'::jsonb);\n\n")
    pg = SingleUser(b.pg, d, ["j"], setup_db="j")

    def backend(script):
        return pg.count("j", script)

    base = backend("none.sql")

    def count(script):
        """Instructions of script in a backend of its own, start-up and
        shut-down subtracted. Inserted rows stay (each table gets its own
        scripts' rows only)."""
        return backend(script) - base

    size = f"{ROWS} rows"
    warmed = backend("warm.sql")
    sel = {t: backend(f"select_{t}.sql") - warmed for t in ("plain", "pinned", "checked", "domained")}
    ref = "no CHECK (INSERT ... SELECT) instructions"
    for t, side in (("plain", "no CHECK"), ("pinned", "CHECK (payload ? 'id'), pinned search_path"),
                    ("checked", "CHECK (dbjson_valid)"), ("domained", "domain CHECK (dbjson_valid)")):
        target = dict(target="≤ 1.5× no CHECK", met=sel[t] / sel["plain"] <= 1.5) if t == "checked" else {}
        b.add("json", "postgresql", size, f"INSERT ... SELECT: {side}: instructions", None, 1,
              ratio=sel[t] / sel["plain"], ref=ref,
              note=f"{sel[t] / 1e6:,.0f} M instructions, {sel[t] / ROWS / 1e3:,.1f} k a row", tx=TX_ONE,
              **target)
    rows = {t: count(f"rows_{t}.sql") for t in ("plain", "constant", "checked", "domained")}
    ref = "no CHECK (INSERT statements) instructions"
    for t, side in (("plain", "no CHECK"), ("constant", "CHECK (payload <> the schema's 1 kB jsonb)"),
                    ("checked", "CHECK (dbjson_valid)"), ("domained", "domain CHECK (dbjson_valid)")):
        target = dict(target="≤ 1.5× no CHECK", met=rows[t] / rows["plain"] <= 1.5) if t == "checked" else {}
        b.add("json", "postgresql", f"{STATEMENTS} statements", f"INSERT statements: {side}: instructions",
              None, 1, ratio=rows[t] / rows["plain"], ref=ref,
              note=f"{rows[t] / STATEMENTS / 1e3:,.0f} k a statement", tx=TX_EACH_STATEMENT, **target)
    valid, errors = count("valid.sql"), count("errors.sql")
    b.add("json", "postgresql", f"{CALLS} calls", "dbjson_errors (invalid document): instructions", None, 1,
          ratio=errors / valid, ref="dbjson_valid instructions", target="≤ 3× dbjson_valid",
          met=errors / valid <= 3, note=f"{errors / 1e6:,.0f} M instructions", tx=TX_READ)
    b.add("json", "postgresql", f"{CALLS} calls", "dbjson_valid (invalid document): instructions", None, 1,
          ratio=1.0, ref="dbjson_valid instructions", note=f"{valid / 1e6:,.0f} M instructions", tx=TX_READ)
    shutil.rmtree(d, ignore_errors=True)
