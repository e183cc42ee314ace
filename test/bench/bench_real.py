"""bench_real.py — a real-shaped schema, generated here: Northwind's shape
(14 tables, 14 foreign keys, CHECKs and NOT NULLs on the busy tables, a
composite primary key on the order lines) at about 10^6 rows in all, most of
them order lines. The synthetic one-foreign-key schema of bench_check hides
what a real one shows: several constraints per table, each of which once
cost its own scan.

Measured side by side in one run, in alternated rounds (medians):
- SQLite: dbhealth_report('full') against the native checks it stands for:
  PRAGMA integrity_check + PRAGMA foreign_key_check + each table's CHECKs
  and NOT NULLs in one query (target ≤ 1.10×, by wall and CPU time, and in
  instructions counted by callgrind), and against the two pragmas alone;
  dbcheck_constraints() against
  PRAGMA foreign_key_check (target ≤ 1.2×), and against the same checks by
  hand (the pragma plus one query per table for its CHECKs and NOT NULLs and
  one GROUP BY per indexed primary key), which the pragma alone leaves out.
- PostgreSQL: the same two calls against the plain queries a DBA would run
  to check the same constraints without dbcare (docs/benchmarks.md, "A
  real-shaped schema"): one anti-join per foreign key and one scan per table
  counting the violations of each of its CHECKs."""
import os
import shutil

import benchlib
from benchlib import (MODULE, QUICK, REPS, interleave, median, module_has, pg_usable, sqlite_connect,
                      timed_cpu)

# the transaction mode of every row that does not state its own
TX = benchlib.TX_READ

SCALE = 10 if QUICK else 1
LINES = 700_000 // SCALE
ORDERS = 200_000 // SCALE
CUSTOMERS = 20_000 // SCALE
PRODUCTS = 2_000 // SCALE
SUPPLIERS = 300
EMPLOYEES = 100
TERRITORIES = 200
REGIONS = 4
SHIPPERS = 5
CATEGORIES = 8
DEMOGRAPHICS = 10
ROUNDS = max(REPS, 7)
# What dbhealth_report('full') stands for on SQLite, checked natively.
NATIVE_FULL = "PRAGMA integrity_check + foreign_key_check + {n} CHECK/NOT NULL queries"

# (table, DDL body). Types are spelled so that both engines take them.
TABLES = [
    ("categories", """category_id integer PRIMARY KEY, category_name text NOT NULL,
        description text, CHECK (length(category_name) <= 15)"""),
    ("suppliers", """supplier_id integer PRIMARY KEY, company_name text NOT NULL,
        contact_name text, city text, country text, phone text,
        CHECK (length(company_name) <= 40)"""),
    ("products", """product_id integer PRIMARY KEY, product_name text NOT NULL,
        supplier_id integer REFERENCES suppliers (supplier_id),
        category_id integer REFERENCES categories (category_id),
        quantity_per_unit text, unit_price numeric DEFAULT 0 CHECK (unit_price >= 0),
        units_in_stock integer DEFAULT 0 CHECK (units_in_stock >= 0),
        units_on_order integer DEFAULT 0 CHECK (units_on_order >= 0),
        reorder_level integer DEFAULT 0 CHECK (reorder_level >= 0),
        discontinued integer NOT NULL DEFAULT 0 CHECK (discontinued IN (0, 1))"""),
    ("regions", "region_id integer PRIMARY KEY, region_description text NOT NULL"),
    ("territories", """territory_id text PRIMARY KEY, territory_description text NOT NULL,
        region_id integer NOT NULL REFERENCES regions (region_id)"""),
    ("employees", """employee_id integer PRIMARY KEY, last_name text NOT NULL,
        first_name text NOT NULL, title text, birth_date text, hire_date text,
        reports_to integer REFERENCES employees (employee_id),
        CHECK (birth_date < hire_date)"""),
    ("employee_territories", """employee_id integer NOT NULL REFERENCES employees (employee_id),
        territory_id text NOT NULL REFERENCES territories (territory_id),
        PRIMARY KEY (employee_id, territory_id)"""),
    ("customers", """customer_id text PRIMARY KEY, company_name text NOT NULL,
        contact_name text, city text, region text, postal_code text, country text, phone text,
        CHECK (length(customer_id) = 5)"""),
    ("customer_demographics", "customer_type_id text PRIMARY KEY, customer_desc text"),
    ("customer_customer_demo", """customer_id text NOT NULL REFERENCES customers (customer_id),
        customer_type_id text NOT NULL REFERENCES customer_demographics (customer_type_id),
        PRIMARY KEY (customer_id, customer_type_id)"""),
    ("shippers", "shipper_id integer PRIMARY KEY, company_name text NOT NULL, phone text"),
    ("orders", """order_id integer PRIMARY KEY,
        customer_id text REFERENCES customers (customer_id),
        employee_id integer REFERENCES employees (employee_id),
        order_date text, required_date text, shipped_date text,
        ship_via integer REFERENCES shippers (shipper_id),
        freight numeric DEFAULT 0 CHECK (freight >= 0), ship_name text, ship_address text,
        ship_city text, ship_region text, ship_postal_code text, ship_country text,
        CHECK (shipped_date IS NULL OR shipped_date >= order_date)"""),
    ("order_details", """order_id integer NOT NULL REFERENCES orders (order_id),
        product_id integer NOT NULL REFERENCES products (product_id),
        unit_price numeric NOT NULL DEFAULT 0 CHECK (unit_price >= 0),
        quantity integer NOT NULL DEFAULT 1 CHECK (quantity > 0),
        discount real NOT NULL DEFAULT 0 CHECK (discount >= 0 AND discount <= 1),
        PRIMARY KEY (order_id, product_id)"""),
    ("audit_log", """log_id integer PRIMARY KEY, order_id integer REFERENCES orders (order_id),
        note text NOT NULL, CHECK (length(note) < 100)"""),
]
INDEXES = [
    "CREATE INDEX orders_customer ON orders (customer_id)",
    "CREATE INDEX orders_employee ON orders (employee_id)",
    "CREATE INDEX products_category ON products (category_id)",
    "CREATE INDEX order_details_product ON order_details (product_id)",
]
# What PRAGMA foreign_key_check does not look at, checked by hand as a DBA
# would on SQLite: each table's CHECKs and NOT NULL columns in one query, and
# the primary keys SQLite keeps in an index of their own (not the rowid) for
# duplicates.
BY_HAND_CHECKS = {
    "categories": ["length(category_name) <= 15"],
    "suppliers": ["length(company_name) <= 40"],
    "products": ["unit_price >= 0", "units_in_stock >= 0", "units_on_order >= 0",
                 "reorder_level >= 0", "discontinued IN (0, 1)"],
    "employees": ["birth_date < hire_date"],
    "customers": ["length(customer_id) = 5"],
    "orders": ["freight >= 0", "shipped_date IS NULL OR shipped_date >= order_date"],
    "order_details": ["unit_price >= 0", "quantity > 0", "discount >= 0 AND discount <= 1"],
    "audit_log": ["length(note) < 100"],
}
BY_HAND_KEYS = {
    "territories": "territory_id", "employee_territories": "employee_id, territory_id",
    "customers": "customer_id", "customer_demographics": "customer_type_id",
    "customer_customer_demo": "customer_id, customer_type_id",
    "order_details": "order_id, product_id",
}


def sqlite_row_checks(by_hand):
    """Of the by-hand queries, those of the CHECKs and NOT NULLs (one per
    table): what the full report checks beyond the two pragmas, since
    integrity_check verifies the keys of every unique index itself."""
    return [q for q in by_hand if " GROUP BY " not in q]


def sqlite_by_hand(c):
    """The by-hand queries (NOT NULL columns from the catalog)."""
    qs = []
    for name, _ in TABLES:
        tests = [f"NOT ({e})" for e in BY_HAND_CHECKS.get(name, [])]
        tests += [f"{r[1]} IS NULL" for r in c.execute(f"PRAGMA table_info({name})") if r[3]]
        if tests:
            qs.append("SELECT " + ", ".join(f"count(*) FILTER (WHERE {t})" for t in tests)
                      + f" FROM {name}")
        if name in BY_HAND_KEYS:
            k = BY_HAND_KEYS[name]
            qs.append(f"SELECT {k} FROM {name} GROUP BY {k} HAVING count(*) > 1")
    return qs


# Planted violations, so that every kind of check has something to find:
# order lines pointing past the last product and a negative quantity.
BAD_LINES = 7


def rows_sql(engine):
    """INSERT ... SELECT statements filling every table, in the engine's spelling."""
    if engine == "sqlite":
        def series(n):
            return f"WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < {n})"

        def cust(e):
            return f"printf('%05d', {e})"

        def day(e):
            return f"date('1996-07-04', '+' || ({e}) || ' days')"
    else:
        def series(n):
            return f"WITH k(i) AS (SELECT generate_series(1::bigint, {n}))"

        def cust(e):
            return f"lpad(({e})::text, 5, '0')"

        def day(e):
            return f"to_char(date '1996-07-04' + ({e})::int, 'YYYY-MM-DD')"
    return [
        f"{series(CATEGORIES)} INSERT INTO categories SELECT i, 'cat' || i, 'category ' || i FROM k",
        f"{series(SUPPLIERS)} INSERT INTO suppliers SELECT i, 'supplier ' || i, 'contact ' || i,"
        " 'city', 'country', '555-0100' FROM k",
        f"{series(PRODUCTS)} INSERT INTO products SELECT i, 'product ' || i, 1 + i % {SUPPLIERS},"
        f" 1 + i % {CATEGORIES}, '10 boxes', i % 90 + 0.5, i % 120, i % 30, i % 25, i % 2 FROM k",
        f"{series(REGIONS)} INSERT INTO regions SELECT i, 'region ' || i FROM k",
        f"{series(TERRITORIES)} INSERT INTO territories SELECT 'T' || i, 'territory ' || i,"
        f" 1 + i % {REGIONS} FROM k",
        f"{series(EMPLOYEES)} INSERT INTO employees SELECT i, 'last' || i, 'first' || i, 'Sales',"
        " '1960-01-01', '1992-05-01', CASE WHEN i = 1 THEN NULL ELSE 1 + i % 5 END FROM k",
        f"{series(EMPLOYEES * 5)} INSERT INTO employee_territories SELECT 1 + (i - 1) / 5,"
        f" 'T' || (1 + (i - 1) % 5 * 40 + (i - 1) / 5 % 40) FROM k",
        f"{series(CUSTOMERS)} INSERT INTO customers SELECT {cust('i')}, 'company ' || i,"
        " 'contact ' || i, 'Berlin', NULL, '12209', 'Germany', '030-0074321' FROM k",
        f"{series(DEMOGRAPHICS)} INSERT INTO customer_demographics SELECT 'D' || i, 'type ' || i FROM k",
        f"{series(CUSTOMERS)} INSERT INTO customer_customer_demo SELECT {cust('i')},"
        f" 'D' || (1 + i % {DEMOGRAPHICS}) FROM k",
        f"{series(SHIPPERS)} INSERT INTO shippers SELECT i, 'shipper ' || i, '503-555-9831' FROM k",
        f"{series(ORDERS)} INSERT INTO orders SELECT i, {cust(f'1 + i % {CUSTOMERS}')},"
        f" 1 + i % {EMPLOYEES}, {day('i % 700')}, {day('i % 700 + 14')},"
        f" CASE WHEN i % 50 = 0 THEN NULL ELSE {day('i % 700 + 3')} END,"
        f" 1 + i % {SHIPPERS}, i % 300 + 0.25, 'ship ' || i, 'Obere Str. 57', 'Berlin', NULL,"
        " '12209', 'Germany' FROM k",
        # ~3.5 lines per order: line i belongs to order 1 + (i - 1) * ORDERS / LINES,
        # products 37 apart keep (order, product) unique
        f"{series(LINES)} INSERT INTO order_details SELECT 1 + (i - 1) * {ORDERS} / {LINES},"
        f" 1 + (i * 37) % {PRODUCTS}, i % 90 + 0.5, 1 + i % 20, (i % 5) * 0.05 FROM k",
        f"{series(ORDERS // 2)} INSERT INTO audit_log SELECT i, 1 + (i * 3) % {ORDERS},"
        " 'shipped' FROM k",
    ]


def fill_sqlite(path):
    c = sqlite_connect(path, load=False)
    c.isolation_level = None
    c.execute("BEGIN")
    for name, body in TABLES:
        c.execute(f"CREATE TABLE {name} ({body})")
    for sql in rows_sql("sqlite"):
        c.execute(sql)
    for sql in INDEXES:
        c.execute(sql)
    c.execute("COMMIT")
    # violations let in as another tool (or PRAGMA ignore_check_constraints) would
    c.execute("PRAGMA ignore_check_constraints = ON")
    c.execute(f"UPDATE order_details SET product_id = product_id + 100000 WHERE rowid % {LINES // BAD_LINES} = 0")
    c.execute(f"UPDATE order_details SET quantity = -1 WHERE rowid % {LINES // BAD_LINES} = 1")
    c.execute("ANALYZE")
    c.close()


def expected_sqlite(c):
    fk = c.execute("SELECT count(*) FROM pragma_foreign_key_check").fetchone()[0]
    chk = c.execute("SELECT count(*) FROM order_details WHERE NOT (quantity > 0)").fetchone()[0]
    return fk, chk


def run_sqlite(b):
    path = b.path("real.db")
    fill_sqlite(path)
    c = sqlite_connect(path)
    nrows = sum(c.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t, _ in TABLES)
    fk, chk = expected_sqlite(c)
    got_fk = c.execute("SELECT sum(violations) FROM dbcheck_constraints() WHERE kind = 'foreign_key'").fetchone()[0]
    got_chk = c.execute("SELECT sum(violations) FROM dbcheck_constraints() WHERE kind = 'check'").fetchone()[0]
    if (got_fk, got_chk) != (fk, chk) or fk == 0 or chk == 0:
        raise RuntimeError(f"dbcheck_constraints found {got_fk} FK / {got_chk} CHECK violations,"
                           f" the engine {fk} / {chk}")
    c.execute("SELECT dbhealth_report('full')").fetchone()

    by_hand = sqlite_by_hand(c)
    cpu = {}

    def side(name, fn):
        """Wall seconds of fn(); the CPU ms of this thread in the same run go to cpu[name]."""
        def run_once():
            return timed_cpu(fn, cpu.setdefault(name, []))
        return run_once

    def native_full():
        c.execute("PRAGMA integrity_check").fetchall()
        c.execute("PRAGMA foreign_key_check").fetchall()

    row_checks = sqlite_row_checks(by_hand)

    def native_checks():
        native_full()
        for q in row_checks:
            c.execute(q).fetchall()

    def native_all():
        c.execute("PRAGMA foreign_key_check").fetchall()
        for q in by_hand:
            c.execute(q).fetchall()

    full, natf = "dbhealth_report('full')", NATIVE_FULL.format(n=len(row_checks))
    natp = "PRAGMA integrity_check + foreign_key_check"
    chk_, natc = "dbcheck_constraints()", "PRAGMA foreign_key_check"
    nata = f"PRAGMA foreign_key_check + {len(by_hand)} queries by hand"
    times = interleave({
        full: side(full, lambda: c.execute("SELECT dbhealth_report('full')").fetchone()),
        natf: side(natf, native_checks),
        natp: side(natp, native_full),
        chk_: side(chk_, lambda: c.execute("SELECT * FROM dbcheck_constraints()").fetchall()),
        natc: side(natc, lambda: c.execute("PRAGMA foreign_key_check").fetchall()),
        nata: side(nata, native_all),
    }, ROUNDS)
    c.close()
    size = f"{nrows / 1e6:.2f}M rows"
    note = f"{len(TABLES)} tables, {len(pg_native_queries())} foreign keys, {nrows:,} rows"
    report(b, "sqlite", size, times, full, natf, chk_, natc, "native checks", "PRAGMA", note)
    bp = median(times[natp])
    b.add("real schema", "sqlite", size, f"{full} against the two PRAGMAs alone", median(times[full]),
          ROUNDS, ratio=median(times[full]) / bp, ref="PRAGMAs",
          note="the pragmas leave out the CHECK and NOT NULL scans the report does")
    b.add("real schema", "sqlite", size, natp, bp, ROUNDS, ratio=1.0, ref="PRAGMAs")
    ba = median(times[nata])
    b.add("real schema", "sqlite", size, f"{chk_} against the same checks by hand", median(times[chk_]),
          ROUNDS, ratio=median(times[chk_]) / ba, ref="by hand")
    b.add("real schema", "sqlite", size, nata, ba, ROUNDS, ratio=1.0, ref="by hand",
          note="what dbcheck_constraints() checks: foreign keys, CHECKs, NOT NULLs, indexed keys")
    for mine, ref, label in ((full, natf, "native checks CPU"), (full, natp, "PRAGMAs CPU"),
                             (chk_, natc, "PRAGMA CPU"), (chk_, nata, "by hand CPU")):
        m, r = median(cpu[mine]), median(cpu[ref])
        verdict = dict(target="≤ 1.10× native checks", met=m / r <= 1.10) if ref == natf else {}
        b.add("real schema", "sqlite", size, f"{mine}: CPU against {ref}", m, ROUNDS, ratio=m / r, ref=label,
              note=f"CPU time of this process in the same runs ({ref}: {r:.0f} ms)", **verdict)
    sqlite_instructions(b, path, size)
    sqlite_report_instructions(b, path, size, row_checks)


def sqlite_instructions(b, path, size):
    """dbcheck_constraints() and PRAGMA foreign_key_check counted by
    callgrind, once each: the count does not move between runs, where the
    wall and CPU ratios on a shared machine move by a fifth. The sqlite3
    shell's start-up (and the module's loading) are subtracted."""
    if not shutil.which("valgrind"):
        b.skip("real schema instructions (SQLite)", "valgrind is not installed")
        return
    from bench_migrate_instructions import count_instructions
    out = os.path.join(os.path.dirname(path), "real.cg")
    load = ["-cmd", f".load {MODULE}"]
    shell = count_instructions(["sqlite3", "-batch", path, "SELECT 1;"], out)
    loaded = count_instructions(["sqlite3", "-batch", *load, path, "SELECT 1;"], out)
    pragma = count_instructions(["sqlite3", "-batch", path, "PRAGMA foreign_key_check;"], out) - shell
    mine = count_instructions(["sqlite3", "-batch", *load, path,
                               "SELECT count(*) FROM dbcheck_constraints();"], out) - loaded
    os.remove(out)
    b.add("real schema", "sqlite", size, "PRAGMA foreign_key_check: instructions", None, 1,
          ratio=1.0, ref="PRAGMA instructions", note=f"{pragma / 1e6:,.0f} M instructions")
    b.add("real schema", "sqlite", size, "dbcheck_constraints(): instructions", None, 1,
          ratio=mine / pragma, ref="PRAGMA instructions", target="≤ 1.2× PRAGMA",
          met=mine / pragma <= 1.2,
          note=f"{mine / 1e6:,.0f} M instructions; sqlite3 shell, start-up and module loading subtracted")


def sqlite_report_instructions(b, path, size, row_checks):
    """dbhealth_report('full') and the native checks it stands for (the two
    pragmas and the CHECK / NOT NULL queries), counted by callgrind once
    each, the sqlite3 shell's start-up and the module's loading subtracted:
    the ratio a loaded machine does not move."""
    if not shutil.which("valgrind"):
        b.skip("real schema report instructions (SQLite)", "valgrind is not installed")
        return
    from bench_migrate_instructions import count_instructions
    out = os.path.join(os.path.dirname(path), "real_report.cg")
    script = os.path.join(os.path.dirname(path), "real_native.sql")
    with open(script, "w") as f:
        f.write("PRAGMA integrity_check;\nPRAGMA foreign_key_check;\n")
        f.write("".join(q + ";\n" for q in row_checks))
    load = ["-cmd", f".load {MODULE}"]
    shell = count_instructions(["sqlite3", "-batch", path, "SELECT 1;"], out)
    loaded = count_instructions(["sqlite3", "-batch", *load, path, "SELECT 1;"], out)
    native = count_instructions(["sqlite3", "-batch", path], out, stdin=script) - shell
    mine = count_instructions(["sqlite3", "-batch", *load, path,
                               "SELECT length(dbhealth_report('full'));"], out) - loaded
    os.remove(out)
    os.remove(script)
    b.add("real schema", "sqlite", size, f"{NATIVE_FULL.format(n=len(row_checks))}: instructions", None, 1,
          ratio=1.0, ref="native instructions", note=f"{native / 1e6:,.0f} M instructions")
    b.add("real schema", "sqlite", size, "dbhealth_report('full'): instructions", None, 1,
          ratio=mine / native, ref="native instructions", target="≤ 1.10× native checks",
          met=mine / native <= 1.10,
          note=f"{mine / 1e6:,.0f} M instructions; sqlite3 shell, start-up and module loading subtracted")


def report(b, engine, size, times, full, natf, chk_, natc, ref_full, ref_chk, note):
    bf, bc = median(times[natf]), median(times[natc])
    mf, mc = median(times[full]), median(times[chk_])
    b.add("real schema", engine, size, full, mf, ROUNDS, ratio=mf / bf, ref=ref_full,
          target=f"≤ 1.10× {ref_full}", met=mf / bf <= 1.10, note=note)
    b.add("real schema", engine, size, natf, bf, ROUNDS, ratio=1.0, ref=ref_full)
    b.add("real schema", engine, size, chk_, mc, ROUNDS, ratio=mc / bc, ref=ref_chk,
          target=f"≤ 1.2× {ref_chk}", met=mc / bc <= 1.2)
    b.add("real schema", engine, size, natc, bc, ROUNDS, ratio=1.0, ref=ref_chk)


# The plain queries a DBA would run to check what dbcheck_constraints checks:
# one anti-join per foreign key, one scan per table with CHECKs counting each.
def pg_native_queries():
    qs = []
    for name, body in TABLES:
        for part in body.split("REFERENCES ")[1:]:
            parent, rest = part.split(" (", 1)
            pcol = rest.split(")", 1)[0]
            ccol = body.split("REFERENCES " + part)[0].rstrip().rsplit(",", 1)[-1].split()[0]
            qs.append(f"SELECT count(*) FROM ONLY {name} c WHERE c.{ccol} IS NOT NULL AND NOT EXISTS"
                      f" (SELECT 1 FROM ONLY {parent} p WHERE p.{pcol} = c.{ccol})")
    return qs


def run_pg(b):
    pg = b.pg
    db = pg.fresh_db("real", ("dbcare",))
    s = pg.session(db)
    for name, body in TABLES:
        s.exec(f"CREATE TABLE {name} ({body})")
    for sql in rows_sql("postgresql"):
        s.exec(sql)
    for sql in INDEXES:
        s.exec(sql)
    # violations let in the way PostgreSQL allows: constraints added NOT VALID
    # after the rows (here the line's product key and quantity CHECK)
    s.exec("ALTER TABLE order_details DROP CONSTRAINT order_details_product_id_fkey,"
           " DROP CONSTRAINT order_details_quantity_check")
    s.exec(f"UPDATE order_details SET product_id = product_id + 100000 WHERE ctid IN (SELECT ctid FROM"
           f" order_details ORDER BY order_id, product_id LIMIT {BAD_LINES})")
    s.exec(f"UPDATE order_details SET quantity = -1 WHERE (order_id, product_id) IN (SELECT order_id,"
           f" product_id FROM order_details ORDER BY order_id DESC LIMIT {BAD_LINES})")
    s.exec("ALTER TABLE order_details ADD CONSTRAINT order_details_product_id_fkey FOREIGN KEY (product_id)"
           " REFERENCES products (product_id) NOT VALID,"
           " ADD CONSTRAINT order_details_quantity_check CHECK (quantity > 0) NOT VALID")
    s.exec("VACUUM ANALYZE")
    nrows = sum(int(s.value(f"SELECT count(*) FROM {t}")) for t, _ in TABLES)
    checks = []
    for name, _ in TABLES:
        exprs = s.value(
            "SELECT coalesce(string_agg(format('count(*) FILTER (WHERE NOT (%s))',"
            " substring(pg_get_constraintdef(oid) FROM '^CHECK \\((.*)\\)( NOT VALID)?$')), ', '), '')"
            f" FROM pg_constraint WHERE conrelid = '{name}'::regclass AND contype = 'c'")
        if exprs:
            checks.append(f"SELECT {exprs} FROM ONLY {name}")
    native = pg_native_queries() + checks
    fk = sum(int(s.value(q)) for q in pg_native_queries())
    got_fk = s.value("SELECT sum(violations) FROM dbcheck_constraints() WHERE kind = 'foreign_key'")
    got_chk = s.value("SELECT sum(violations) FROM dbcheck_constraints() WHERE kind = 'check'")
    if got_fk != str(fk) or got_chk != str(BAD_LINES) or fk != BAD_LINES:
        raise RuntimeError(f"dbcheck_constraints found {got_fk} FK / {got_chk} CHECK violations,"
                           f" plain queries {fk} / {BAD_LINES}")
    s.exec("SELECT dbhealth_report('full')")

    pid = s.value("SELECT pg_backend_pid()")
    cpu = {}

    def side(name, queries):
        """Wall seconds of the queries; the backend's CPU ms in the same run go
        to cpu[name] (parallel workers' not included, on either side)."""
        def run_once():
            wall, used = 0.0, 0.0
            for q in queries:
                ms, c = s.timed_with_cpu(q, pid)
                wall, used = wall + ms / 1000.0, used + (c or 0.0)
            cpu.setdefault(name, []).append(used)
            return wall
        return run_once

    full, chk_ = "dbhealth_report('full')", "dbcheck_constraints()"
    natf = natc = f"plain queries ({len(native)}: anti-joins, CHECK scans)"
    times = interleave({
        full: side(full, ["SELECT dbhealth_report('full')"]),
        chk_: side(chk_, ["SELECT count(*) FROM dbcheck_constraints()"]),
        natc: side(natc, native),
    }, ROUNDS)
    s.close()
    pg.drop_db(db)
    size = f"{nrows / 1e6:.2f}M rows"
    bf = median(times[natf])
    mf, mc = median(times[full]), median(times[chk_])
    b.add("real schema", "postgresql", size, full, mf, ROUNDS, ratio=mf / bf, ref="plain queries",
          target="≤ 1.10× plain queries", met=mf / bf <= 1.10,
          note=f"{len(TABLES)} tables, {len(pg_native_queries())} foreign keys, {nrows:,} rows")
    b.add("real schema", "postgresql", size, chk_, mc, ROUNDS, ratio=mc / bf, ref="plain queries",
          target="≤ 1.2× plain queries", met=mc / bf <= 1.2)
    b.add("real schema", "postgresql", size, natc, bf, ROUNDS, ratio=1.0, ref="plain queries")
    cn = median(cpu[natc])
    for mine, target, label in ((full, 1.10, "1.10"), (chk_, 1.2, "1.2")):
        m = median(cpu[mine])
        b.add("real schema", "postgresql", size, f"{mine}: backend CPU against the plain queries", m, ROUNDS,
              ratio=m / cn if cn else None, ref="plain queries CPU", target=f"≤ {label}× plain queries",
              met=bool(cn) and m / cn <= target,
              note=f"CPU time of the server backend in the same runs (plain queries: {cn:.0f} ms)")


def run(b):
    if not module_has("dbcheck_constraints"):
        b.skip("real schema (SQLite)", "dbcheck_* is not in this build")
    else:
        run_sqlite(b)
    if pg_usable(b, "real schema (PostgreSQL)", "dbcheck_constraints"):
        run_pg(b)
