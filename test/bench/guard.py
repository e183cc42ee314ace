"""guard.py — the performance guard: each hot path counted in instructions
(valgrind's callgrind, which does not move with the machine's load as times
do) against its unaudited, unchecked or raw side, the ratio compared with
the figure recorded in test/bench/guard.json (docs/testing.md, "The
performance guard").

  guard.py check ENGINE    measures ENGINE's paths (sqlite or postgresql);
                           fails when a ratio is more than 10 % above its
                           recorded figure, or a path has none
  guard.py record ENGINE   measures them and rewrites their figures in
                           guard.json, each with this checkout's commit

Every side runs once, in a process of its own, on a database filled beforehand
without valgrind; the same process doing nothing but open that database (and
load the module) is counted alone and subtracted. Sizes are users' scale:
50,000 rows, where the audit log and its row index no longer fit SQLite's
default page cache (2 MB). The SQLite paths need DBCARE_SQLITE_MODULE (the
loadable module) and the sqlite3 shell; the PostgreSQL ones PG_BIN, the
binaries of an installation with this build of dbcare (single-user backends on
a scratch data directory: no client, no other process).

Each path also checks its side did its work (the log's entries, the rows), so
a ratio cannot pass by doing nothing."""
import datetime
import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench_backup import make_db  # noqa: E402
from bench_check import fill_sqlite  # noqa: E402
from bench_json import SCHEMA  # noqa: E402
from bench_migrate import down, migration  # noqa: E402
from instructions import SingleUser, count_instructions, write  # noqa: E402

# DBC_GUARD_FILE: another file of figures (to try a change against figures
# recorded on another build without touching the repository's)
RECORDED = os.environ.get("DBC_GUARD_FILE") or os.path.join(HERE, "guard.json")
SLACK = 1.10     # a ratio fails more than 10 % above its recorded figure
ROWS = 50000     # bulk statements: the log and its index beyond SQLite's page cache
AUDIT_STATEMENTS = 400  # one-row audited INSERTs in one transaction, then twice as many
# one-row INSERTs of one prepared statement in one transaction, audited: each
# row pays what SQLite does once a statement (a trigger's frame, its setup),
# which 1,000 rows show as well as 50,000 do
AUDIT_PREPARED_ROWS = 1000
STATEMENTS = 200  # one-row statements, each prepared and run on their own
# one-row INSERTs of one prepared statement: a CHECK's cost a row does not
# depend on the table's size, and 10,000 runs show a per-row regression as
# well as 50,000 in a fifth of the time
PREPARED_ROWS = 10000
MIGRATIONS = 200
# dbmaintain_plan: tables of a schema, each with a foreign key no index
# serves (a finding and a CREATE INDEX step each): a planner that scans the
# model per finding costs the square of it
PLAN_TABLES = 1000
COMMITS = 300    # the point-in-time capture: the commits between two counts
# one-row UPDATE transactions (pgbench's shape): what dbcare adds once a
# transaction (the writer's set-up, the count written at commit) is paid at
# every row
TX_UPDATES = 100


def fail(msg):
    print(f"dbcare: {msg}", file=sys.stderr)
    sys.exit(1)


# ------------------------------------------------------------------ SQLite

class Sqlite:
    """The sqlite3 shell with the module loaded, on copies of databases made
    beforehand in d."""

    def __init__(self, d):
        self.d = d
        self.module = os.environ.get("DBCARE_SQLITE_MODULE") or fail(
            "guard: DBCARE_SQLITE_MODULE is not set\nHINT: point it at build/sqlite/dbcare")
        self.out = os.path.join(d, "cg.out")
        # the base count of each template (path, size, time): a path that
        # counts two statements on the same template (both sides on one
        # database) opens it under valgrind once, not once a side
        self.bases = {}
        # the template each SQL made (a count runs on copies, never on a
        # template): paths that need the same database share one, made
        # once, and so its base count
        self.made = {}
        # py_rows' runs that write nothing, by the copy they ran on
        self.zero_runs = {}

    def shell(self, db, sql, check=True):
        """Runs sql in db natively (the preparation); returns its output."""
        p = subprocess.run(["sqlite3", "-batch", "-cmd", f".load {self.module}", db], input=sql,
                           capture_output=True, text=True)
        if check and (p.returncode != 0 or "Error" in p.stderr):
            raise RuntimeError(f"sqlite3 {os.path.basename(db)}: {p.stderr[-600:]}")
        return p.stdout.strip()

    def make(self, name, sql):
        """A database d/name made by sql (natively), or the one the same sql
        made before under another name."""
        if sql in self.made:
            return self.made[sql]
        path = os.path.join(self.d, name)
        for suffix in ("", "-journal", "-wal"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
        self.shell(path, sql)
        self.made[sql] = path
        return path

    def count(self, template, sql):
        """Instructions of sql in the shell on a copy of template, less those
        of the shell opening the same copy and running `SELECT 1`. Returns
        (instructions, path of the copy the statement ran on)."""
        script = os.path.join(self.d, "stmt.sql")
        with open(script, "w") as f:
            f.write(sql)
        st = os.stat(template)
        key = (template, st.st_size, st.st_mtime_ns)
        runs = {}
        for what, stdin in (("base", None), ("stmt", script)):
            if what == "base" and key in self.bases:
                runs[what] = self.bases[key]
                continue
            copy = template + f".{what}"
            shutil.copy(template, copy)
            cmd = ["sqlite3", "-batch", "-cmd", f".load {self.module}", copy]
            runs[what] = count_instructions(cmd + ([] if stdin else ["SELECT 1;"]), self.out, stdin=stdin)
        self.bases[key] = runs["base"]
        return runs["stmt"] - runs["base"], template + ".stmt"

    def value(self, db, sql):
        return self.shell(db, sql)


def series(n):
    return f"WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < {n})"


AUDIT_TABLE = "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER, name TEXT, at TEXT);\n"
AUDIT_FILL = series(ROWS) + " INSERT INTO t SELECT i, i % 100, 'name ' || i, '2026-01-01' FROM g;\n"


def audit_db(s, name, audited, filled):
    sql = AUDIT_TABLE + ("SELECT dbaudit_enable('t');\n" if audited else "")
    if filled:
        sql += "BEGIN;\n" + AUDIT_FILL + "COMMIT;\n"
    return s.make(name, sql)


def entries(s, db):
    return int(s.value(db, "SELECT count(*) FROM dbcare_audit_log WHERE txid > 0;"))


def sqlite_audit_insert(s):
    """A bulk INSERT ... SELECT of ROWS rows, one transaction."""
    counts = {}
    for side in ("plain", "audited"):
        n, db = s.count(audit_db(s, f"ai_{side}.db", side == "audited", False),
                        "BEGIN;\n" + AUDIT_FILL + "COMMIT;\n")
        counts[side] = n
    if entries(s, db) != ROWS:
        raise RuntimeError(f"the audited INSERT left {entries(s, db)} finished entries, not {ROWS}")
    return counts["audited"] / counts["plain"], counts["audited"] / ROWS


def sqlite_audit_update(s):
    """A bulk UPDATE of ROWS rows (two columns), one transaction."""
    counts = {}
    for side in ("plain", "audited"):
        n, db = s.count(audit_db(s, f"au_{side}.db", side == "audited", True),
                        "BEGIN;\nUPDATE t SET v = v + 1, name = name || '!';\nCOMMIT;\n")
        counts[side] = n
    if entries(s, db) != 2 * ROWS:
        raise RuntimeError(f"the audited UPDATE left {entries(s, db) - ROWS} finished entries, not {ROWS}")
    return counts["audited"] / counts["plain"], counts["audited"] / ROWS


def sqlite_audit_tx_insert(s):
    """STATEMENTS one-row INSERTs, each its own transaction (autocommit) and
    prepared anew as the shell runs them, into a table that has ROWS rows
    (and, audited, their log) already."""
    sql = "".join(f"INSERT INTO t VALUES ({ROWS + i}, {i % 100}, 'name {i}', '2026-01-01');\n"
                  for i in range(1, STATEMENTS + 1))
    counts = {}
    for side in ("plain", "audited"):
        n, db = s.count(audit_db(s, f"at_{side}.db", side == "audited", True), sql)
        counts[side] = n
    if entries(s, db) != ROWS + STATEMENTS:
        raise RuntimeError(f"the audited INSERTs left {entries(s, db) - ROWS} finished entries")
    return counts["audited"] / counts["plain"], counts["audited"] / STATEMENTS


# tx: "one" (BEGIN, the rows, COMMIT) or "each" (autocommit: a commit a row);
# with no rows, the same run either way
PY_AUDIT_ROWS = """
import sqlite3, sys
module, db, tx, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
c = sqlite3.connect(db, isolation_level=None)
c.enable_load_extension(True)
c.load_extension(module)
if tx == "one" and n:
    c.execute("BEGIN")
c.executemany("INSERT INTO t VALUES (?, ?, ?, ?)",
              ((%d + i, i %% 100, f"name {i}", "2026-01-01") for i in range(1, n + 1)))
if tx == "one" and n:
    c.execute("COMMIT")
""" % ROWS


def py_rows(s, script, text, db, args, n, zero_args=None):
    """Instructions of Python's sqlite3 running script (text) with the module,
    a copy of db, args and n, less the same with 0 in place of n (and
    zero_args in place of args: a run writing nothing is counted once for
    the paths that differ only in how they would write)."""
    path = os.path.join(s.d, script)
    with open(path, "w") as f:
        f.write(text)
    py = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
    # one hash seed: a random one moves Python's own count by about 100 k
    # instructions a run (4 % of a path of 200 rows, run to run)
    os.environ["PYTHONHASHSEED"] = "0"
    runs = {}
    for k, a in ((0, zero_args or args), (n, args)):
        copy = db + f".{'_'.join(a)}{k}"
        if k == 0 and copy in s.zero_runs:
            runs[k] = s.zero_runs[copy]
            continue
        shutil.copy(db, copy)
        runs[k] = count_instructions([py, path, s.module, copy] + a + [str(k)], s.out)
        if k == 0:
            s.zero_runs[copy] = runs[k]
    return runs[n] - runs[0], copy


def audit_prepared_rows(s, tx, n):
    """n one-row INSERTs of one prepared statement (tx: in one transaction,
    or each its own), as Python's sqlite3 executemany runs them (the
    statement is reset between rows), into a table that has ROWS rows (and,
    audited, their log) already."""
    counts = {}
    for side in ("plain", "audited"):
        counts[side], db = py_rows(s, "audit_rows.py", PY_AUDIT_ROWS,
                                   audit_db(s, f"at_{side}.db", side == "audited", True), [tx], n,
                                   ["one"])
    if entries(s, db) != ROWS + n:
        raise RuntimeError(f"the audited INSERTs left {entries(s, db) - ROWS} finished entries")
    return counts["audited"] / counts["plain"], counts["audited"] / n


def sqlite_audit_prepared(s):
    return audit_prepared_rows(s, "one", AUDIT_PREPARED_ROWS)


def sqlite_audit_tx_prepared(s):
    """What dbcare does once a transaction (a look for pending entries:
    its statement prepared at each commit was 37 k instructions a row)."""
    return audit_prepared_rows(s, "each", STATEMENTS)


JSON_DOC = """json_object('id', i, 'customer', 'customer ' || i, 'email', 'c' || i || '@example.com',
  'status', CASE i % 3 WHEN 0 THEN 'new' WHEN 1 THEN 'paid' ELSE 'shipped' END,
  'total', 10.5 + i % 100, 'currency', 'EUR', 'gift', json(CASE WHEN i % 2 = 0 THEN 'true' ELSE 'false' END),
  'note', CASE WHEN i % 4 THEN NULL ELSE 'leave at the door' END, 'tags', json_array('a', 'b'),
  'items', json_array(json_object('sku', 'ABC-' || (i % 97), 'qty', 1 + i % 3, 'price', 3.5),
                      json_object('sku', 'XYZ-2', 'qty', 2, 'price', 1.25)))"""


def json_db(s, name):
    """docs: ROWS orders; plain without a CHECK; checked with the CHECK by
    the registered name of the bench's 10-property schema."""
    lit = SCHEMA.replace("'", "''")
    return s.make(name, f"""SELECT dbjson_register('order', '{lit}');
CREATE TABLE docs (payload TEXT);
{series(ROWS)} INSERT INTO docs SELECT {JSON_DOC} FROM g;
CREATE TABLE plain (payload TEXT);
CREATE TABLE checked (payload TEXT CHECK (dbjson_valid(payload, 'order')));
""")


def sqlite_json_bulk(s):
    """INSERT ... SELECT of ROWS documents, one transaction."""
    db = json_db(s, "jb.db")
    counts = {t: s.count(db, f"BEGIN;\nINSERT INTO {t} SELECT payload FROM docs;\nCOMMIT;\n")[0]
              for t in ("plain", "checked")}
    got = s.value(db + ".stmt", "SELECT count(*) FROM checked;")
    if got != str(ROWS):
        raise RuntimeError(f"the checked table has {got} rows, not {ROWS}")
    return counts["checked"] / counts["plain"], counts["checked"] / ROWS


PY_ROWS = """
import sqlite3, sys
module, db, table, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
c = sqlite3.connect(db, isolation_level=None)
c.enable_load_extension(True)
c.load_extension(module)
docs = [r[0] for r in c.execute("SELECT payload FROM docs LIMIT ?", (n,))]
c.execute("BEGIN")
c.executemany(f"INSERT INTO {table} VALUES (?)", ((d,) for d in docs))
c.execute("COMMIT")
"""


def sqlite_json_rows(s):
    """One prepared one-row INSERT run for each of PREPARED_ROWS documents in one
    transaction, as Python's sqlite3 executemany runs it (the statement is
    reset between rows)."""
    db = json_db(s, "jr.db")
    counts = {t: py_rows(s, "rows.py", PY_ROWS, db, [t], PREPARED_ROWS)[0]
              for t in ("plain", "checked")}
    got = s.value(db + f".checked{PREPARED_ROWS}", "SELECT count(*) FROM checked;")
    if got != str(PREPARED_ROWS):
        raise RuntimeError(f"the checked table has {got} rows, not {PREPARED_ROWS}")
    return counts["checked"] / counts["plain"], counts["checked"] / PREPARED_ROWS


def sqlite_migrate_apply(s):
    """dbmigrate_apply() of MIGRATIONS registered migrations against the same
    SQL raw in one transaction."""
    raw = "BEGIN;\n" + "".join(migration(i) for i in range(1, MIGRATIONS + 1)) + "COMMIT;\n"
    empty = s.make("m_raw.db", "SELECT 1;")
    adds = "".join("SELECT dbmigrate_add('%d', 'm%05d', '%s', '%s');\n" % (
        i, i, migration(i).replace("'", "''"), down(i).replace("'", "''"))
        for i in range(1, MIGRATIONS + 1))
    registered = s.make("m_dbc.db", "BEGIN;\n" + adds + "COMMIT;\n")
    raw_n = s.count(empty, raw)[0]
    dbc_n, db = s.count(registered, "SELECT dbmigrate_apply() IS NOT NULL;\n")
    got = s.value(db, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name LIKE 'm0%';")
    if got != str(MIGRATIONS):
        raise RuntimeError(f"the apply made {got} tables, not {MIGRATIONS}")
    return dbc_n / raw_n, dbc_n / MIGRATIONS


def sqlite_health_full(s):
    """dbhealth_report('full') against PRAGMA integrity_check +
    foreign_key_check alone, on ROWS children over ROWS / 10 parents."""
    db = os.path.join(s.d, "h.db")
    fill_sqlite(db, ROWS)
    s.shell(db, "CREATE INDEX child_parent ON child (parent_id);\nANALYZE;\n")
    native = s.count(db, "PRAGMA integrity_check;\nPRAGMA foreign_key_check;\n")[0]
    report = s.count(db, "SELECT length(dbhealth_report('full')) > 0;\n")[0]
    return report / native, report / ROWS


def sqlite_check_fks(s):
    """dbcheck_constraints('child') against PRAGMA foreign_key_check(child)
    on ROWS children over ROWS / 10 parents, the key without an index: the
    engine's own check, run once for the table's keys (check_engine_fks.c)."""
    db = os.path.join(s.d, "c.db")
    fill_sqlite(db, ROWS)
    native = s.count(db, "PRAGMA foreign_key_check(child);\n")[0]
    checked = s.count(db, "SELECT count(*) FROM dbcheck_constraints('child');\n")[0]
    n = s.value(db, "SELECT violations FROM dbcheck_constraints('child') WHERE kind = 'foreign_key';")
    if n != str(ROWS // 1000):
        raise RuntimeError(f"dbcheck_constraints found {n} orphans, not {ROWS // 1000}")
    return checked / native, checked / ROWS


def sqlite_maintain_plan(s):
    """dbmaintain_plan('quick') against dbhealth_report('quick') on PLAN_TABLES
    tables, each with an unindexed foreign key: the plan is the report's run
    and a step per finding."""
    ddl = "".join(f"CREATE TABLE t{i:05d} (id INTEGER PRIMARY KEY, up INTEGER REFERENCES "
                  f"t{max(i - 1, 0):05d} (id));\n" for i in range(PLAN_TABLES))
    db = s.make("plan.db", ddl)
    report = s.count(db, "SELECT length(dbhealth_report('quick')) > 0;\n")[0]
    plan = s.count(db, "SELECT count(*) FROM dbmaintain_plan('quick');\n")[0]
    steps = s.value(db, "SELECT count(*) FROM dbmaintain_plan('quick') WHERE action = 'create_index';")
    if steps != str(PLAN_TABLES):
        raise RuntimeError(f"the plan has {steps} CREATE INDEX steps, not {PLAN_TABLES}")
    return plan / report, plan / PLAN_TABLES


def sqlite_backup(s):
    """dbbackup_create(path, 'full') against the shell's .backup of the same
    file (about ROWS rows in two tables, one with an index)."""
    db = os.path.join(s.d, "b.db")
    make_db(db, 20, False)  # 20 MB: 52,428 items and half as many events
    dest = os.path.join(s.d, "b-copy.db")
    native = s.count(db, f".backup '{dest}'\n")[0]
    os.remove(dest)
    made = s.count(db, f"SELECT json_extract(dbbackup_create('{dest}', 'full'), '$.verified');\n")[0]
    if not os.path.exists(dest):
        raise RuntimeError("dbbackup_create wrote no copy")
    rows = int(s.value(dest, "SELECT count(*) FROM items;"))
    return made / native, made / rows


PY_WRITER = """
import os, sqlite3, sys
module, d, n, capture = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1"
os.makedirs(os.path.join(d, "log"))
c = sqlite3.connect(os.path.join(d, "app.db"), isolation_level=None)
c.enable_load_extension(True)
c.load_extension(module)
c.executescript("PRAGMA journal_mode = wal; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
if capture:
    c.execute("SELECT dbcare_set('backup.log.dir', ?)", (os.path.join(d, "log"),)).fetchall()
c.execute("INSERT INTO t (v) VALUES ('start')")
for i in range(n):
    c.execute("INSERT INTO t (v) VALUES (?)", ("v" * 200,))
c.close()
"""


def sqlite_pitr(s):
    """The point-in-time capture: a writer committing one 200-byte row a
    transaction with backup.log.dir set, against the same writer without;
    the writer of COMMITS commits subtracted from that of 2 × COMMITS (the
    start, the base and the first commits left out)."""
    script = os.path.join(s.d, "writer.py")
    with open(script, "w") as f:
        f.write(PY_WRITER)
    py = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
    counts = {}
    for capture in ("0", "1"):
        runs = {}
        for n in (COMMITS, 2 * COMMITS):
            d = os.path.join(s.d, f"pitr_{capture}_{n}")
            shutil.rmtree(d, ignore_errors=True)
            runs[n] = count_instructions([py, script, s.module, d, str(n), capture], s.out)
        counts[capture] = runs[2 * COMMITS] - runs[COMMITS]
        if capture == "1" and not os.listdir(os.path.join(d, "log")):
            raise RuntimeError("the capture wrote no log")
    return counts["1"] / counts["0"], counts["1"] / COMMITS


# ------------------------------------------------------------------ PostgreSQL

class PgBuild:
    def __init__(self):
        self.bin = os.environ.get("PG_BIN") or fail(
            "guard: PG_BIN is not set\nHINT: the binaries of an installation with dbcare in it")


PG_AUDIT_TABLE = "(id int PRIMARY KEY, v int NOT NULL, name text, at timestamptz)"
PG_DOC = """jsonb_build_object('id', i, 'customer', 'customer ' || i, 'email', 'c' || i || '@example.com',
  'status', (ARRAY['new', 'paid', 'shipped'])[i % 3 + 1], 'total', 10.5 + i % 100, 'currency', 'EUR',
  'gift', i % 2 = 0, 'note', CASE WHEN i % 4 = 0 THEN 'leave at the door' END,
  'tags', jsonb_build_array('a', 'b'),
  'items', jsonb_build_array(jsonb_build_object('sku', 'ABC-' || i % 97, 'qty', 1 + i % 3, 'price', 3.5),
                             jsonb_build_object('sku', 'XYZ-2', 'qty', 2, 'price', 1.25)))"""


def pg_scripts(d):
    lit = SCHEMA.replace("'", "''")
    # single-user mode with -j ends a statement at a semicolon and a blank line
    write(d, "setup.sql", ";\n\n".join([
        "CREATE EXTENSION dbcare",
        f"CREATE TABLE plain {PG_AUDIT_TABLE}", f"CREATE TABLE audited {PG_AUDIT_TABLE}",
        "SELECT dbaudit_enable('audited')",
        # a chained table: each statement's writer moves its chain head and
        # counts its entry (dbcare.audit_chain, dbcare.audit_written)
        f"CREATE TABLE chained {PG_AUDIT_TABLE}", "SELECT dbcare_set('audit.hash_chain', 'on')",
        "SELECT dbaudit_enable('chained')", "SELECT dbcare_set('audit.hash_chain', 'off')",
        # each row its own transaction, on tables of their own (filled
        # before auditing: no entries), so the path runs alone as well
        *(f"CREATE TABLE {t}_tx {PG_AUDIT_TABLE}" for t in ("plain", "audited")),
        *(f"INSERT INTO {t}_tx SELECT g, 0, 'name ' || g, now() FROM generate_series(1, {ROWS}) g"
          for t in ("plain", "audited")),
        "SELECT dbaudit_enable('audited_tx')",
        # the first audited commit of a backend slot makes its row of
        # dbcare.audit_written (by SQL, planned once); later ones add to it
        # in place. Made here, so neither counted run pays it (their
        # difference would count it a hundredth a transaction, one way or
        # the other)
        "UPDATE audited_tx SET v = v + 1 WHERE id = 2",
        "CREATE TABLE docs (payload jsonb)",
        f"INSERT INTO docs SELECT {PG_DOC} FROM generate_series(1, {ROWS}) i",
        "CREATE TABLE jplain (payload jsonb)",
        f"CREATE TABLE jchecked (payload jsonb CHECK (dbjson_valid(payload, '{lit}')))",
        "VACUUM ANALYZE docs", "CHECKPOINT"]) + ";\n\n")
    write(d, "none.sql", "SELECT 1;\n\n")
    for t in ("plain", "audited"):
        write(d, f"insert_{t}.sql", f"INSERT INTO {t} SELECT g, g % 100, 'name ' || g, now()"
                                    f" FROM generate_series(1, {ROWS}) g;\n\n")
        write(d, f"update_{t}.sql", f"UPDATE {t} SET v = v + 1, name = name || '!';\n\n")
        # the first EXECUTE loads what every run loads once: the base runs it alone
        prepared = (f"PREPARE u(int) AS UPDATE {t}_tx SET v = v + 1 WHERE id = $1;\n\n"
                    "EXECUTE u(1);\n\n")
        write(d, f"tx_base_{t}.sql", prepared)
        write(d, f"tx_update_{t}.sql", prepared + "".join(
            f"EXECUTE u({i * 7919 % ROWS + 1});\n\n" for i in range(TX_UPDATES)))
    for n in (0, AUDIT_STATEMENTS, 2 * AUDIT_STATEMENTS):
        # a first statement of its own loads what every run loads once
        first = f"INSERT INTO chained VALUES ({-n - 1}, 1, 'name', now());\n\n"
        write(d, f"statements_{n}.sql", first + "BEGIN;\n\n" + "".join(
            f"INSERT INTO chained VALUES ({n * 10 + i}, 1, 'name', now());\n\n"
            for i in range(n)) + "COMMIT;\n\n")
    for t in ("jplain", "jchecked"):
        write(d, f"json_{t}.sql", f"INSERT INTO {t} SELECT payload FROM docs;\n\n")
    write(d, "migrations.sql", "BEGIN;\n\n" + "".join(
        f"SELECT dbmigrate_add('{i}', 'm{i:05d}', $m${migration(i)}$m$, $m${down(i)}$m$);\n\n"
        for i in range(1, MIGRATIONS + 1)) + "COMMIT;\n\n")
    write(d, "raw.sql", "BEGIN;\n" + "".join(migration(i) for i in range(1, MIGRATIONS + 1)) + "COMMIT;\n\n")
    write(d, "apply.sql", "SELECT dbmigrate_apply() IS NOT NULL;\n\n")
    write(d, "counts.sql", "SELECT count(*) AS audited_entries FROM dbcare.audit_log;\n\n"
                           "SELECT count(*) AS checked_rows FROM jchecked;\n\n"
                           "SELECT count(*) AS migrated_tables FROM pg_tables WHERE tablename LIKE 'm0%';\n\n")


class Pg:
    def __init__(self, d):
        pg_scripts(d)
        self.su = SingleUser(PgBuild(), d, ["g", "rawdb"], setup_db="g")
        self.su.single("g", "migrations.sql", ["-j"])
        self.base = self.su.count("g", "none.sql")

    def count(self, script):
        return self.su.count("g", script) - self.base


def pg_audit_insert(pg):
    plain, audited = pg.count("insert_plain.sql"), pg.count("insert_audited.sql")
    return audited / plain, audited / ROWS


def pg_audit_update(pg):
    plain, audited = pg.count("update_plain.sql"), pg.count("update_audited.sql")
    return audited / plain, audited / ROWS


def pg_audit_statements(pg):
    """The cost a statement of the second K one-row audited INSERTs in one
    transaction against that of the first K (each less the same run without
    them). One that grows with the statements before it (each moving a row
    every later one must walk, issue 63) makes the transaction quadratic."""
    none, k, two_k = (pg.count(f"statements_{n}.sql")
                      for n in (0, AUDIT_STATEMENTS, 2 * AUDIT_STATEMENTS))
    first, second = (k - none) / AUDIT_STATEMENTS, (two_k - k) / AUDIT_STATEMENTS
    return second / first, second


def pg_audit_tx_update(pg):
    """TX_UPDATES one-row UPDATEs of a prepared statement, each its own
    transaction, less the same backend running the first one alone."""
    plain, audited = ((pg.su.count("g", f"tx_update_{t}.sql") - pg.su.count("g", f"tx_base_{t}.sql"))
                      for t in ("plain", "audited"))
    return audited / plain, audited / TX_UPDATES


def pg_json_bulk(pg):
    plain, checked = pg.count("json_jplain.sql"), pg.count("json_jchecked.sql")
    return checked / plain, checked / ROWS


def pg_migrate_apply(pg):
    """dbmigrate_apply() of MIGRATIONS registered migrations (which parses
    and plans their statements inside) against the same SQL raw in one
    transaction, each backend's run less the same backend's `SELECT 1`
    alone in its database (its start-up and shut-down). Counted whole by
    cachegrind, not narrowed to the statements' functions by callgrind's
    toggles: the same measure within a percent (the library's loading is
    in dbcare's side now), in a third of the time."""
    apply = pg.su.count("g", "apply.sql") - pg.base
    raw = pg.su.count("rawdb", "raw.sql") - pg.su.count("rawdb", "none.sql")
    return apply / raw, apply / MIGRATIONS


def pg_verify(pg, names):
    """Every audited write logged (and the set-up's one), every document
    kept, every migration applied, by the paths that ran (names), and
    nothing by the others."""
    want = {"audited_entries": 1 + ROWS * sum("audit bulk" in n for n in names) +
            (3 + 3 * AUDIT_STATEMENTS) * sum("audit statements" in n for n in names) +
            (2 + TX_UPDATES) * sum("per UPDATE" in n for n in names),
            "checked_rows": ROWS * sum("JSON" in n for n in names),
            "migrated_tables": MIGRATIONS * sum("migration" in n for n in names)}
    with open(os.path.join(pg.su.d, "counts.sql")) as f:
        p = subprocess.run(pg.su.as_pg + [pg.su.postgres, "--single", "-j", "-D", pg.su.data, "g"],
                           stdin=f, capture_output=True, text=True)
    if "ERROR:" in p.stdout + p.stderr:
        raise RuntimeError(f"counting the rows failed: {(p.stdout + p.stderr)[-800:]}")
    for name, n in want.items():
        if f'{name} = "{n}"' not in p.stdout:
            raise RuntimeError(f"expected {name} = {n}: {p.stdout[-800:]}")


# name -> (engine, what is counted against what, function)
PATHS = {
    "sqlite audit bulk INSERT": ("sqlite", "audited / unaudited, 50,000 rows, one transaction",
                                 sqlite_audit_insert),
    "sqlite audit bulk UPDATE": ("sqlite", "audited / unaudited, 50,000 rows, one transaction",
                                 sqlite_audit_update),
    "sqlite audit transaction per INSERT": (
        "sqlite", "audited / unaudited, 200 autocommit INSERTs after 50,000 rows",
        sqlite_audit_tx_insert),
    "sqlite audit statements in a transaction": (
        "sqlite", f"audited / unaudited, executemany of {AUDIT_PREPARED_ROWS:,} one-row INSERTs after "
                  f"{ROWS:,} rows, one transaction", sqlite_audit_prepared),
    # after the one above: it counts their run that writes nothing once
    "sqlite audit transaction per prepared INSERT": (
        "sqlite", f"audited / unaudited, executemany of {STATEMENTS} one-row INSERTs after "
                  f"{ROWS:,} rows, autocommit (a commit a row)", sqlite_audit_tx_prepared),
    "sqlite JSON CHECK bulk": ("sqlite", "CHECK by name / no CHECK, INSERT ... SELECT of 50,000, "
                                         "one transaction", sqlite_json_bulk),
    "sqlite JSON CHECK row per statement": (
        "sqlite", "CHECK by name / no CHECK, executemany of 10,000 one-row INSERTs, one transaction",
        sqlite_json_rows),
    "sqlite migration apply": ("sqlite", "dbmigrate_apply / the raw SQL in one transaction, "
                                         "200 migrations", sqlite_migrate_apply),
    "sqlite health full": ("sqlite", "dbhealth_report('full') / PRAGMA integrity_check + "
                                     "foreign_key_check, 50,000 rows", sqlite_health_full),
    "sqlite check foreign keys": ("sqlite", "dbcheck_constraints('child') / PRAGMA "
                                            "foreign_key_check(child), 50,000 rows, the key "
                                            "unindexed", sqlite_check_fks),
    "sqlite maintain plan": ("sqlite", f"dbmaintain_plan('quick') / dbhealth_report('quick'), "
                                       f"{PLAN_TABLES:,} tables with a finding each",
                             sqlite_maintain_plan),
    "sqlite backup": ("sqlite", "dbbackup_create full / the shell's .backup, 20 MB (52,428 rows)",
                      sqlite_backup),
    "sqlite PITR capture": ("sqlite", "writer with backup.log.dir / without, per commit, autocommit "
                                      "(commits 301-600)", sqlite_pitr),
    "postgresql audit bulk INSERT": ("postgresql", "trigger mode / unaudited, 50,000 rows, one "
                                                   "transaction", pg_audit_insert),
    "postgresql audit bulk UPDATE": ("postgresql", "trigger mode / unaudited, 50,000 rows, one "
                                                   "transaction", pg_audit_update),
    "postgresql audit statements in a transaction": (
        "postgresql", f"a statement of one-row INSERTs of a chained table in one transaction, "
                      f"statements {AUDIT_STATEMENTS + 1:,}-{2 * AUDIT_STATEMENTS:,} / "
                      f"1-{AUDIT_STATEMENTS:,}",
        pg_audit_statements),
    "postgresql audit transaction per UPDATE": (
        "postgresql", f"trigger mode / unaudited, {TX_UPDATES} one-row UPDATEs of {ROWS:,} rows, "
                      "a transaction each (prepared)", pg_audit_tx_update),
    "postgresql migration apply": ("postgresql", "dbmigrate_apply / the raw SQL in one transaction, "
                                                 "200 migrations", pg_migrate_apply),
    "postgresql JSON CHECK bulk": ("postgresql", "dbjson_valid CHECK / no CHECK, INSERT ... SELECT "
                                                 "of 50,000, one transaction", pg_json_bulk),
}


def measure(engine, d):
    names = [n for n, (e, _, _) in PATHS.items() if e == engine]
    only = os.environ.get("DBC_GUARD_ONLY")
    if only:
        names = [n for n in names if only in n]
    ctx = Sqlite(d) if engine == "sqlite" else Pg(d)
    out = {}
    for name in names:
        t0 = time.time()
        ratio, per_row = PATHS[name][2](ctx)
        out[name] = {"ratio": round(ratio, 3), "instructions_per_row": round(per_row),
                     "what": PATHS[name][1]}
        print(f"  {name}: {ratio:.3f}× ({per_row / 1e3:,.1f} k instructions a row; "
              f"{time.time() - t0:.0f} s)", flush=True)
    if engine == "postgresql":
        pg_verify(ctx, names)
    return out


def commit():
    p = subprocess.run(["git", "-C", HERE, "rev-parse", "--short=10", "HEAD"], capture_output=True,
                       text=True)
    return p.stdout.strip() if p.returncode == 0 else "unknown"


def record(figures, measured):
    """Rewrites the measured paths' figures in guard.json, with the commit
    measured, under a lock (the two engines record at once, from two
    suites)."""
    with open(RECORDED + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = json.load(open(RECORDED)) if os.path.exists(RECORDED) else {}
        stamp = {"commit": measured, "date": datetime.date.today().isoformat()}
        for name, fig in figures.items():
            data[name] = {**fig, **stamp}
        with open(RECORDED + ".tmp", "w") as f:
            json.dump(dict(sorted(data.items())), f, indent=2, ensure_ascii=False)
            f.write("\n")
        os.replace(RECORDED + ".tmp", RECORDED)
    os.remove(RECORDED + ".lock")


def check(figures):
    data = json.load(open(RECORDED)) if os.path.exists(RECORDED) else {}
    bad = []
    for name, fig in figures.items():
        rec = data.get(name)
        if rec is None:
            bad.append(f"{name}: no figure recorded in test/bench/guard.json")
            continue
        limit = rec["ratio"] * SLACK
        verdict = "ok" if fig["ratio"] <= limit else "TOO SLOW"
        print(f"{verdict}: {name}: {fig['ratio']:.3f}× ({fig['what']}); recorded "
              f"{rec['ratio']:.3f}× at {rec['commit']}, limit {limit:.3f}×")
        if fig["ratio"] > limit:
            bad.append(f"{name} costs {fig['ratio']:.3f}× its reference side, more than 10 % above "
                       f"the {rec['ratio']:.3f}× recorded at {rec['commit']}")
    if bad:
        fail("performance guard: " + "; ".join(bad) +
             "\nHINT: find the extra work (valgrind --tool=callgrind on the path, callgrind_annotate); "
             "a change that costs instructions on purpose records new figures with `make guard-record` "
             "and says why in its commit message")


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("check", "record") or \
            sys.argv[2] not in ("sqlite", "postgresql"):
        fail("usage: guard.py check|record sqlite|postgresql")
    if not shutil.which("valgrind"):
        fail("guard: valgrind is not installed\nHINT: test/harness/bootstrap.sh installs it")
    t0, measured = time.time(), commit()
    d = tempfile.mkdtemp(prefix="dbcare-guard-")
    os.chmod(d, 0o755)
    try:
        figures = measure(sys.argv[2], d)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    print(f"guard: {len(figures)} {sys.argv[2]} paths measured in {time.time() - t0:.0f} s")
    if sys.argv[1] == "record":
        record(figures, measured)
        print(f"guard: recorded in {os.path.relpath(RECORDED)} at {measured}")
    else:
        check(figures)


if __name__ == "__main__":
    main()
