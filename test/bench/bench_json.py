"""bench_json.py — JSON Schema validation (docs/json.md): 20,000 inserts in
one transaction into a table whose CHECK validates a 10-property schema (types, required, enum,
pattern, a nested array of objects) against the same inserts without the
CHECK; and dbjson_errors against dbjson_valid on an invalid document."""
import json

from benchlib import (QUICK, REPS, TX_EACH_ROW, TX_EACH_STATEMENT, TX_ONE, TX_READ, interleave, median,
                      module_has, sqlite_connect, timed, timed_cpu)

ROWS = 2000 if QUICK else 20000
CALLS = 500 if QUICK else 2000

SCHEMA = json.dumps({
    "type": "object",
    "required": ["id", "customer", "status", "items"],
    "properties": {
        "id": {"type": "integer", "minimum": 1},
        "customer": {"type": "string", "minLength": 1, "maxLength": 80},
        "email": {"type": "string", "pattern": "^[^@ ]+@[^@ ]+$"},
        "status": {"enum": ["new", "paid", "shipped", "cancelled"]},
        "total": {"type": "number", "minimum": 0},
        "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "gift": {"type": "boolean"},
        "note": {"type": ["string", "null"]},
        "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
        "items": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["sku", "qty", "price"],
            "properties": {"sku": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]+$"},
                           "qty": {"type": "integer", "minimum": 1},
                           "price": {"type": "number", "minimum": 0}}}},
    },
})


def document(i):
    return json.dumps({
        "id": i, "customer": f"customer {i}", "email": f"c{i}@example.com",
        "status": ["new", "paid", "shipped"][i % 3], "total": 10.5 + i % 100, "currency": "EUR",
        "gift": i % 2 == 0, "note": None if i % 4 else "leave at the door", "tags": ["a", "b"],
        "items": [{"sku": f"ABC-{i % 97}", "qty": 1 + i % 3, "price": 3.5},
                  {"sku": "XYZ-2", "qty": 2, "price": 1.25}],
    })


# Invalid in several places: dbjson_errors reports them all.
INVALID = json.dumps({"id": 0, "customer": "", "status": "lost", "currency": "eur",
                      "items": [{"sku": "abc", "qty": 0, "price": -1}]})


def run_sqlite(b):
    if not module_has("dbjson_valid"):
        b.skip("json (SQLite)", "dbjson_* is not in this build")
        return
    docs = [(document(i),) for i in range(1, ROWS + 1)]
    c = sqlite_connect(b.path("json.db"))
    c.execute(f"CREATE TABLE checked (payload TEXT CHECK (dbjson_valid(payload, '{SCHEMA}')))")
    c.execute("CREATE TABLE plain (payload TEXT)")
    # SQLite's own parse of each document: the floor of any check that reads it
    c.execute("CREATE TABLE parsed (payload TEXT CHECK (json_valid(payload)))")
    named = module_has("dbjson_register")
    if named:
        c.execute("SELECT dbjson_register('order', ?)", (SCHEMA,))
        c.execute("CREATE TABLE named (payload TEXT CHECK (dbjson_valid(payload, 'order')))")
        c.commit()

    # the connection is autocommit (isolation_level=None): "bulk" opens its
    # one transaction itself, else each INSERT would commit (and sync) alone
    def insert(table):
        def go():
            c.execute(f"DELETE FROM {table}")

            def one_transaction():
                c.execute("BEGIN")
                c.executemany(f"INSERT INTO {table} VALUES (?)", docs)
                c.execute("COMMIT")
            return timed(one_transaction)
        return go

    sides = {"CHECK": insert("checked"), "no CHECK": insert("plain"), "json_valid": insert("parsed")}
    if named:
        sides["named"] = insert("named")
    times = interleave(sides, REPS)
    base, m = median(times["no CHECK"]), median(times["CHECK"])
    size = f"{ROWS} rows"
    b.add("json", "sqlite", size, "INSERT with CHECK (dbjson_valid)", m, REPS, ratio=m / base,
          ref="no CHECK", target="≤ 1.5× no CHECK", met=m / base <= 1.5, tx=TX_ONE,
          note="BEGIN, executemany, COMMIT; 10-property schema, nested array of objects")
    if named:
        m = median(times["named"])
        b.add("json", "sqlite", size, "INSERT with CHECK (dbjson_valid by registered name)", m, REPS,
              ratio=m / base, ref="no CHECK", target="≤ 2× no CHECK", met=m / base <= 2, tx=TX_ONE,
              note="BEGIN, executemany, COMMIT; the same schema registered "
                   "(dbjson_register), the CHECK names it")
    b.add("json", "sqlite", size, "INSERT without CHECK", base, REPS, ratio=1.0, ref="no CHECK",
          tx=TX_ONE, note="BEGIN, executemany, COMMIT")
    m = median(times["json_valid"])
    b.add("json", "sqlite", size, "INSERT with CHECK (json_valid): SQLite's own parse", m, REPS,
          ratio=m / base, ref="no CHECK", tx=TX_ONE,
          note="BEGIN, executemany, COMMIT; the engine's parse of each document and nothing else: "
               "the floor of any check that reads the document")
    # the document varies per row (its id), so no call is folded into a constant
    inv = INVALID.replace('"id": 0', '"id": -\' || k.i || \'')
    rec = f"WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < {CALLS})"
    q_valid = f"{rec} SELECT count(*) FROM k WHERE dbjson_valid('{inv}', '{SCHEMA}')"
    q_errors = f"{rec} SELECT count(*) FROM k, dbjson_errors('{inv}', '{SCHEMA}')"
    if c.execute(q_valid).fetchone()[0] != 0 or c.execute(q_errors).fetchone()[0] < 5 * CALLS:
        raise RuntimeError("the invalid document is not invalid in five places")
    # wall time and this thread's CPU: a call of a few ms is preempted less
    # often than one several times longer on a loaded machine
    cpu = {"valid": [], "errors": []}
    times = interleave({"valid": lambda: timed_cpu(lambda: c.execute(q_valid).fetchall(), cpu["valid"]),
                        "errors": lambda: timed_cpu(lambda: c.execute(q_errors).fetchall(),
                                                    cpu["errors"])}, REPS)
    c.close()
    base, m = median(times["valid"]), median(times["errors"])
    b.add("json", "sqlite", f"{CALLS} calls", "dbjson_errors (invalid document)", m, REPS, tx=TX_READ,
          ratio=m / base, ref="dbjson_valid", target="≤ 3× dbjson_valid", met=m / base <= 3)
    b.add("json", "sqlite", f"{CALLS} calls", "dbjson_valid (invalid document)", base, REPS, tx=TX_READ,
          ratio=1.0,
          ref="dbjson_valid")
    cbase, cm = median(cpu["valid"]), median(cpu["errors"])
    b.add("json", "sqlite", f"{CALLS} calls", "dbjson_errors (invalid document): CPU", cm, REPS, tx=TX_READ,
          ratio=cm / cbase, ref="dbjson_valid CPU", target="≤ 3× dbjson_valid", met=cm / cbase <= 3,
          note="CPU time of the calling thread")


def run_pg(b):
    pg = b.pg
    db = pg.fresh_db("json", ("dbcare",))
    s = pg.session(db)
    if s.value("SELECT count(*) FROM pg_proc WHERE proname = 'dbjson_valid'") == "0":
        b.skip("json (PostgreSQL)", "dbjson_* is not in this build")
        s.close()
        pg.drop_db(db)
        return
    lit = SCHEMA.replace("'", "''")
    s.exec(f"CREATE TABLE checked (payload jsonb CHECK (dbjson_valid(payload, '{lit}')))")
    s.exec("CREATE TABLE plain (payload jsonb)")
    # The same CHECK on a domain: PostgreSQL keeps a domain's constraint
    # expressions in its type cache, read from their text form once per
    # session, where a table's CHECK is read again at every statement.
    s.exec(f"CREATE DOMAIN valid_payload AS jsonb CHECK (dbjson_valid(VALUE, '{lit}'))")
    s.exec("CREATE TABLE domained (payload valid_payload)")
    s.exec(f"SELECT dbjson_register('order', '{lit}')")
    s.exec("CREATE TABLE named (payload jsonb CHECK (dbjson_valid(payload, 'order')))")
    # Floors beside the baseline (no CHECK): a CHECK calling a
    # built-in C function (jsonb's ?); the same built-in behind the pinned
    # search_path every dbcare function has (PostgreSQL then saves, sets and
    # restores search_path around each call, fmgr_security_definer, whatever
    # the function does; per statement it also looks the internal function
    # up by name, so this floor is for INSERT ... SELECT only); and a CHECK
    # holding the same 1 kB jsonb constant as the schema under a built-in
    # operator (PostgreSQL reads a CHECK's stored expression back from its
    # text form once per statement, constant included).
    s.exec("CREATE TABLE builtin (payload jsonb CHECK (payload ? 'id'))")
    s.exec("CREATE FUNCTION pinned_exists(jsonb, text) RETURNS boolean LANGUAGE internal "
           "IMMUTABLE STRICT SET search_path = pg_catalog, pg_temp AS 'jsonb_exists'")
    s.exec("CREATE TABLE pinned (payload jsonb CHECK (pinned_exists(payload, 'id')))")
    s.exec(f"CREATE TABLE constant (payload jsonb CHECK (payload <> '{lit}'::jsonb))")
    # the documents are made once; the timed statement only inserts them
    s.exec("CREATE TABLE docs (payload jsonb)")
    s.exec("INSERT INTO docs VALUES " + ",".join(
        "('" + document(i).replace("'", "''") + "')" for i in range(1, ROWS + 1)))
    pid = s.value("SELECT pg_backend_pid()")
    size = f"{ROWS} rows"

    def compare(sides, sql, label, note, tx):
        """Interleaved rounds of each side; wall and backend CPU rows."""
        cpu = {name: [] for name in sides}

        def side(name):
            def go():
                s.exec(f"TRUNCATE {sides[name]}")
                ms, c = s.timed_with_cpu(sql(sides[name]), pid)
                if c is not None:
                    cpu[name].append(c)
                return ms / 1000.0
            return go

        times = interleave({name: side(name) for name in sides}, REPS)
        base = median(times["no CHECK"])
        cbase = median(cpu["no CHECK"]) if cpu["no CHECK"] else None
        ref = f"no CHECK ({label})"
        for name in sides:
            m = median(times[name])
            is_target = name in ("CHECK (dbjson_valid)", "CHECK (dbjson_valid by name)")
            # the targets: 1.5× in bulk, 2× one row per statement
            limit = 1.5 if label == "INSERT ... SELECT" else 2.0
            b.add("json", "postgresql", size, f"{label}: {name}", m, REPS, ratio=m / base, ref=ref,
                  target=f"≤ {limit}× no CHECK" if is_target else None,
                  met=(m / base <= limit) if is_target else None, note=note if is_target else "", tx=tx)
            if cbase and cpu[name]:
                c = median(cpu[name])
                b.add("json", "postgresql", size, f"{label}: {name}: CPU", c, REPS,
                      ratio=c / cbase, ref=ref + " CPU", note="CPU time of the server process", tx=tx)

    sides = {"no CHECK": "plain", "CHECK (payload ? 'id')": "builtin",
             "CHECK (the same, pinned search_path)": "pinned", "CHECK (dbjson_valid)": "checked",
             "CHECK (dbjson_valid by name)": "named", "domain CHECK (dbjson_valid)": "domained"}
    compare(sides, lambda t: f"INSERT INTO {t} SELECT payload FROM docs", "INSERT ... SELECT",
            "one INSERT ... SELECT; 10-property schema with a nested array of objects", TX_ONE)
    # The same rows as 20,000 INSERT statements, each its own transaction
    # (sent in one message: no round trip between them), as an application
    # writes them.
    sides = {"no CHECK": "plain", "CHECK (payload ? 'id')": "builtin",
             "CHECK (payload <> the schema's 1 kB jsonb)": "constant",
             "CHECK (dbjson_valid)": "checked", "CHECK (dbjson_valid by name)": "named",
             "domain CHECK (dbjson_valid)": "domained"}
    texts = ["'" + document(i).replace("'", "''") + "'" for i in range(1, ROWS + 1)]
    one_by_one = {t: "".join(f"BEGIN; INSERT INTO {t} VALUES ({d}); COMMIT; " for d in texts)
                  for t in sides.values()}
    compare(sides, lambda t: one_by_one[t], "INSERT statements",
            "one INSERT per row, each its own transaction", TX_EACH_STATEMENT)
    inv = INVALID.replace("'", "''").replace('"id": 0', '"id": -%s')
    q_valid = (f"SELECT count(*) FROM generate_series(1, {CALLS}) i "
               f"WHERE dbjson_valid(format('{inv}', i)::jsonb, '{lit}'::jsonb)")
    q_errors = (f"SELECT count(*) FROM generate_series(1, {CALLS}) i, "
                f"dbjson_errors(format('{inv}', i)::jsonb, '{lit}'::jsonb)")
    cpu = {"valid": [], "errors": []}

    def call_side(name, q):
        def go():
            ms, c = s.timed_with_cpu(q, pid)
            if c is not None:
                cpu[name].append(c)
            return ms / 1000.0
        return go

    times = interleave({"valid": call_side("valid", q_valid), "errors": call_side("errors", q_errors)},
                       REPS)
    s.close()
    pg.drop_db(db)
    base, m = median(times["valid"]), median(times["errors"])
    b.add("json", "postgresql", f"{CALLS} calls", "dbjson_errors (invalid document)", m, REPS, tx=TX_READ,
          ratio=m / base, ref="dbjson_valid", target="≤ 3× dbjson_valid", met=m / base <= 3)
    b.add("json", "postgresql", f"{CALLS} calls", "dbjson_valid (invalid document)", base, REPS, tx=TX_READ,
          ratio=1.0, ref="dbjson_valid")
    if cpu["valid"] and cpu["errors"]:
        cbase, cm = median(cpu["valid"]), median(cpu["errors"])
        b.add("json", "postgresql", f"{CALLS} calls", "dbjson_errors (invalid document): CPU", cm,
              REPS, ratio=cm / cbase, ref="dbjson_valid CPU", target="≤ 3× dbjson_valid",
              met=cm / cbase <= 3, note="CPU time of the server process", tx=TX_READ)


def run(b):
    run_sqlite(b)
    if b.pg:
        run_pg(b)
    else:
        b.skip("json (PostgreSQL)", "no PostgreSQL cluster")
