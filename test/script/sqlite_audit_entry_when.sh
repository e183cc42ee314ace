#!/usr/bin/env bash
# A connection's TEMP insert and delete audit triggers build their entry
# in their WHEN, dbcare_direct_TOKEN(value, ...), from the row's values
# alone, and their body takes it with dbaudit_entry_key(), _values() and
# _row_hash() (sqlite/audit/audit_sql.c, entry_form): the trigger program
# then holds no register per constant, which SQLite clears at every row.
# The entries must be exactly what dbaudit_json and dbaudit_row_hash make
# of the same values (the form with constants, which a table wider than a
# call's arguments keeps): for integer, text, composite and WITHOUT ROWID
# keys, every kind of value, quoted names, a hash chain, and a trigger of
# the user's on the log that writes another audited table from inside the
# body. The functions are the TEMP triggers' alone: a view of the file
# cannot call them (DIRECTONLY), and called outside their trigger they
# refuse.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
"$py" - "$module" "$work/entry.db" <<'EOF_PY' || fail "the entry's form (above)"
import sqlite3, sys
mod, path = sys.argv[1], sys.argv[2]
def check(ok, what):
    if not ok:
        print("FAIL:", what); sys.exit(1)
c = sqlite3.connect(path, isolation_level=None)
c.enable_load_extension(True)
c.load_extension(mod)
wide = [f"c{i}" for i in range(130)]  # wider than a call's 127 arguments
c.executescript(f'''
  CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER, "na""me" TEXT, r REAL, b BLOB);
  CREATE TABLE k (a TEXT, b INTEGER, c TEXT, PRIMARY KEY (a, b));
  CREATE TABLE w (code TEXT PRIMARY KEY, n INTEGER) WITHOUT ROWID;
  CREATE TABLE u (id INTEGER PRIMARY KEY, note TEXT);
  CREATE TABLE x (id INTEGER PRIMARY KEY, {", ".join(wide)});
  SELECT dbaudit_enable('t');
  SELECT dbaudit_enable('k', '{{"hash_chain": true}}');
  SELECT dbaudit_enable('w');
  SELECT dbaudit_enable('u');
  SELECT dbaudit_enable('x');
  -- the user's trigger on the log: another audited table written from
  -- inside the body that writes t's entry
  CREATE TRIGGER log_echo AFTER INSERT ON dbcare_audit_log WHEN NEW.table_name = 't'
    BEGIN INSERT INTO u (note) VALUES ('echo ' || NEW.key); END;''')
forms = dict(c.execute("SELECT substr(name, 15), sql LIKE '% WHEN dbcare_direct_%' FROM temp.sqlite_schema"
                       " WHERE name LIKE 'dbcare_direct_%'"))
check(forms == {f"{op}_{t}": int(op != "update" and t != "x") for op in ("insert", "update", "delete")
                for t in "tkwux"},
      f"the entry's form, but for the table wider than a call: {forms}")
cols = {"t": ["id", "v", 'na"me', "r", "b"], "k": ["a", "b", "c"], "w": ["code", "n"], "x": ["id"] + wide}
keys = {"t": ["id"], "k": ["a", "b"], "w": ["code"], "x": ["id"]}
rows = {"t": [(1, 2, 'x"y\\n', 1.5, b"\x00\xff"), (-5, None, "é", 1e300, None),
              (9223372036854775807, -1, "", -0.0, b"")],
        "k": [("a", 1, "c"), ('b"', -2, None), ("a", 4294967297, "big")],
        "w": [("x%y", 1), ("", None)],
        "x": [tuple([7] + [f"v{i}" if i % 2 else i * 0.5 for i in range(130)])]}
def obj(names, values):
    """dbaudit_json's object, 60 pairs a call, each on the one before"""
    pairs, base = list(zip(names, values)), None
    for at in range(0, max(len(pairs), 1), 60):
        args = [base] + [a for p in pairs[at:at + 60] for a in p]
        base = c.execute(f"SELECT dbaudit_json({', '.join('?' * len(args))})", args).fetchone()[0]
    return base
expected = []
c.execute("BEGIN")
for table in ("t", "k", "w", "x"):
    for r in rows[table]:
        c.execute(f"INSERT INTO {table} VALUES ({', '.join('?' * len(r))})", r)
        key = obj(keys[table], [r[cols[table].index(n)] for n in keys[table]])
        expected.append(("insert", table, key, None, obj(cols[table], r)))
        if table == "t":
            expected.append(("insert", "u", None, None, None))  # the echo: its own values
for table, where, gone in (("t", "id = -5", rows["t"][1]), ("k", "a = 'a' AND b = 1", rows["k"][0]),
                           ("w", "code = ''", rows["w"][1]), ("x", "id = 7", rows["x"][0])):
    c.execute(f"DELETE FROM {table} WHERE {where}")
    key = obj(keys[table], [gone[cols[table].index(n)] for n in keys[table]])
    expected.append(("delete", table, key, obj(cols[table], gone), None))
    if table == "t":
        expected.append(("insert", "u", None, None, None))
c.execute("COMMIT")
log = c.execute("SELECT operation, table_name, key, old_values, new_values FROM dbcare_audit_log"
                " ORDER BY id").fetchall()
got = [r if r[1] != "u" else ("insert", "u", None, None, None) for r in log]
check(got == expected, "the entries are not dbaudit_json's:\n" +
      "\n".join(f"{g}\n{e}\n" for g, e in zip(got, expected) if g != e) + f"{len(got)} {len(expected)}")
check(c.execute("SELECT count(*) FROM dbcare_audit_log WHERE row_hash IS NOT dbaudit_row_hash(table_name, key)"
                " OR txid <= 0").fetchone()[0] == 0, "an entry's row hash is not dbaudit_row_hash's, or pending")
check(c.execute("SELECT count(*) FROM dbcare_audit_log WHERE table_name = 'u' AND new_values LIKE '{\"id\":%'"
                " AND key = json_object('id', json_extract(new_values, '$.id'))").fetchone()[0] == 4,
      "the echo's entries")
check(c.execute("SELECT broken_id FROM dbaudit_verify()").fetchone()[0] is None, "the chain is broken")

# outside their trigger: refused; in a view of the file: unsafe
for sql in ("SELECT dbaudit_entry_key()", "SELECT dbaudit_entry_values()", "SELECT dbaudit_entry_row_hash()"):
    try:
        c.execute(sql).fetchone(); check(False, f"{sql} answered outside its trigger")
    except sqlite3.Error as e:
        check("dbcare: dbaudit_entry_key(), _values() and _row_hash() hand out" in str(e), f"{sql}: {e}")
fn = c.execute("SELECT substr(sql, instr(sql, 'WHEN dbcare_direct_') + 5, 30) FROM temp.sqlite_schema"
               " WHERE name = 'dbcare_direct_insert_t'").fetchone()[0]
for sql in (f"CREATE VIEW calls AS SELECT {fn}(1, 2, 'n', 1.0, NULL) AS x",
            "CREATE VIEW calls AS SELECT dbaudit_entry_values() AS x"):
    c.execute("DROP VIEW IF EXISTS calls")
    c.execute(sql)
    try:
        c.execute("SELECT x FROM calls").fetchone(); check(False, f"a view of the file ran: {sql}")
    except sqlite3.Error as e:
        check("unsafe use of" in str(e), f"{sql}: {e}")
print("ok: the entries are dbaudit_json's; the functions are the TEMP triggers' alone")
EOF_PY
echo ok
