#!/usr/bin/env bash
# A connection with dbcare writes each audit entry once, finished, through
# its TEMP triggers, while connections without dbcare keep writing pending
# entries through the shared triggers (issue 54; docs/audit.md,
# "Connections without dbcare"; sqlite/audit/audit_direct.c). Three connections on
# one file: A and B with the module, C without. B has its completing TEMP
# triggers dropped, so a row B writes through a shared trigger stays
# pending where everyone can see it: B's entries are finished at once while
# its TEMP triggers are current, and pending (then completed) once A changed
# the shared triggers under B's cached ones: refreshed with another column,
# a table enabled after B made its TEMP triggers, a table disabled (no
# entries at all). Also a TEMP trigger rolled back while the shared one
# stays, a row failing between the two triggers, trusted_schema = OFF, a
# hash chain across all three, and the bookkeeping upgrade making the shared
# triggers anew. At the end every write has exactly one entry, none is
# pending and dbaudit_verify is clean.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
db="$work/direct.db"
q "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);
   CREATE TABLE u (id INTEGER PRIMARY KEY, a TEXT);
   CREATE TABLE v (id INTEGER PRIMARY KEY, a TEXT);
   CREATE TABLE w (id INTEGER PRIMARY KEY, a TEXT);
   SELECT dbaudit_enable('t', '{\"hash_chain\": true}');
   SELECT dbaudit_enable('u');
   SELECT dbaudit_enable('w', '{\"hash_chain\": true}');" > /dev/null
"$py" - "$module" "$db" <<'EOF' || fail "the mixed connections (above)"
import sqlite3, sys
mod, path = sys.argv[1], sys.argv[2]
def conn(load):
    c = sqlite3.connect(path, isolation_level=None, timeout=10)
    if load:
        c.enable_load_extension(True)
        c.load_extension(mod)
    return c
def one(c, sql, *a):
    return c.execute(sql, a).fetchone()[0]
def check(ok, what):
    if not ok:
        print("FAIL:", what); sys.exit(1)
A, B, C = conn(True), conn(True), conn(False)
# B: no completing TEMP triggers, so its shared-trigger rows stay pending
B.execute("DROP TRIGGER temp.dbcare_audit_complete")
check(one(B, "SELECT count(*) FROM temp.sqlite_schema WHERE name LIKE 'dbcare_direct_%'") == 9,
      "B has a TEMP trigger per shared trigger")
def pending(): return one(A, "SELECT count(*) FROM dbcare_audit_log WHERE txid <= 0")
def entries(table, op, key): return one(A, "SELECT count(*) FROM dbcare_audit_log"
    " WHERE table_name = ? AND operation = ? AND key = json_object('id', ?)", table, op, key)

# 1. current TEMP triggers: B's entries finished at once, chained ones linked
B.execute("INSERT INTO t (id, a) VALUES (1, 'b'), (2, 'b')")
B.execute("UPDATE t SET a = 'bb' WHERE id = 1")
B.execute("UPDATE t SET a = 'bb' WHERE id = 1")  # nothing changed: no entry
B.execute("INSERT INTO u (id, a) VALUES (1, 'b')")
B.execute("DELETE FROM t WHERE id = 2")
check(pending() == 0, f"B's direct entries pending: {pending()}")
check(one(A, "SELECT count(*) FROM dbcare_audit_log WHERE table_name = 't' AND hash IS NULL") == 0,
      "B's chained entries are linked")
check(entries('t', 'update', 1) == 1 and entries('t', 'delete', 2) == 1, "B's update and delete")
check(one(A, "SELECT new_values FROM dbcare_audit_log WHERE table_name = 't' AND operation = 'update'")
      == '{"a":"bb"}', "B's update records the changed column")
# with trusted_schema = OFF too (the override and dbaudit_direct are INNOCUOUS)
B.execute("PRAGMA trusted_schema = OFF")
B.execute("INSERT INTO t (id, a) VALUES (3, 'b')")
check(pending() == 0 and entries('t', 'insert', 3) == 1, "B with trusted_schema = OFF")
B.execute("PRAGMA trusted_schema = ON")
# C without the module: pending, completed by A's next write
C.execute("INSERT INTO t (id, a) VALUES (10, 'c')")
check(pending() == 1, "C's entry pending")
A.execute("INSERT INTO t (id, a) VALUES (20, 'a')")
check(pending() == 0 and entries('t', 'insert', 10) == 1 and entries('t', 'insert', 20) == 1,
      "A completes C's entry before its own")

# 2. a row failing between the TEMP and the shared trigger, in a transaction
A.execute("CREATE TRIGGER t_guard AFTER INSERT ON t WHEN NEW.a = 'bad'"
          " BEGIN SELECT RAISE(ABORT, 'bad row'); END")
B.execute("BEGIN")
try:
    B.execute("INSERT INTO t (id, a) VALUES (4, 'bad')")
    check(False, "the guard fails the row")
except sqlite3.DatabaseError:
    pass
B.execute("INSERT INTO t (id, a) VALUES (5, 'b')")
B.execute("COMMIT")
check(entries('t', 'insert', 4) == 0 and entries('t', 'insert', 5) == 1 and pending() == 0,
      "a failed row leaves no entry, the next one exactly one, finished")
A.execute("DROP TRIGGER t_guard")

# 3. A changes the shared triggers under B's TEMP ones
A.execute("ALTER TABLE t ADD COLUMN z INTEGER")
A.execute("SELECT dbaudit_refresh('t')")
A.execute("SELECT dbaudit_enable('v')")
A.execute("SELECT dbaudit_disable('u')")
B.execute("INSERT INTO t (id, a, z) VALUES (6, 'b', 7)")
B.execute("INSERT INTO v (id, a) VALUES (1, 'b')")
B.execute("INSERT INTO u (id, a) VALUES (2, 'b')")
check(pending() == 2, f"B's writes through the new shared triggers are pending: {pending()}")
check(entries('u', 'insert', 2) == 0, "no entry for a table A disabled")
check(one(A, "SELECT count(*) FROM dbcare_audit_log WHERE table_name = 't'"
             " AND key = json_object('id', 6)") == 1, "B's row after the refresh: one entry")
A.execute("SELECT count(*) FROM dbaudit_verify")  # completes them
check(pending() == 0, "completed")
check(one(A, "SELECT new_values FROM dbcare_audit_log WHERE table_name = 't'"
             " AND key = json_object('id', 6)") == '{"id":6,"a":"b","z":7}',
      "B's row recorded with the column the refresh added")
check(entries('v', 'insert', 1) == 1, "B's row of the table enabled after its TEMP triggers")

# 4. a TEMP trigger rolled back while its shared trigger stays
B.execute("BEGIN")
B.execute("SELECT dbaudit_refresh('w')")  # B's TEMP triggers made anew, v's among them
check(one(B, "SELECT count(*) FROM temp.sqlite_schema WHERE name = 'dbcare_direct_insert_v'") == 1,
      "B made v's TEMP trigger")
B.execute("ROLLBACK")
check(one(B, "SELECT count(*) FROM temp.sqlite_schema WHERE name = 'dbcare_direct_insert_v'") == 0,
      "the rollback took it")
B.execute("INSERT INTO v (id, a) VALUES (2, 'b')")
check(entries('v', 'insert', 2) == 1, "B's row after the rollback: exactly one entry")
# B's TEMP triggers made again: direct once more
B.execute("SELECT dbaudit_refresh('w')")
B.execute("DROP TRIGGER IF EXISTS temp.dbcare_audit_complete")
A.execute("SELECT count(*) FROM dbaudit_verify")
B.execute("INSERT INTO v (id, a) VALUES (3, 'b')")
B.execute("INSERT INTO t (id, a, z) VALUES (8, 'b', 1)")
check(pending() == 0 and entries('v', 'insert', 3) == 1 and entries('t', 'insert', 8) == 1,
      "B direct again after making its TEMP triggers anew")

# 5. everything: one entry per write, nothing pending, the chain verifies
C.execute("UPDATE t SET a = 'cc'")
C.execute("INSERT INTO w (id, a) VALUES (1, 'c')")
B.execute("INSERT INTO w (id, a) VALUES (2, 'b')")
A.execute("INSERT INTO w (id, a) VALUES (3, 'a')")
check(one(A, "SELECT count(*) FROM dbaudit_verify WHERE broken_id IS NULL") == 1,
      "dbaudit_verify is clean")
check(pending() == 0, "nothing pending")
for table, key, n in (("t", 1, 3), ("t", 3, 2), ("t", 10, 2), ("w", 1, 1), ("w", 2, 1), ("w", 3, 1)):
    got = one(A, "SELECT count(*) FROM dbcare_audit_log WHERE table_name = ?"
                 " AND key = json_object('id', ?)", table, key)
    check(got == n, f"{table} {key}: {got} entries, want {n}")
dups = one(A, "SELECT count(*) FROM (SELECT 1 FROM dbcare_audit_log GROUP BY table_name, key,"
              " operation, old_values, new_values HAVING count(*) > 1)")
check(dups == 0, f"{dups} entries written twice")
print("mixed connections: ok,", one(A, "SELECT count(*) FROM dbcare_audit_log"), "entries")
EOF

# The bookkeeping upgrade (14 -> 15) makes the shared triggers with the WHEN
db2="$work/old.db"
cp "$db" "$db2"
sqlite3 "$db2" "UPDATE dbcare_bookkeeping SET version = 14;
  DROP TRIGGER dbcare_audit_insert_w;
  CREATE TRIGGER dbcare_audit_insert_w AFTER INSERT ON w BEGIN
    INSERT INTO dbcare_audit_log (at, txid, operation, table_name, key, new_values)
    VALUES (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), -1, 'insert', 'w',
            '{\"id\":' || NEW.id || '}', printf('P{\"id\":i%d,\"a\":t%s}', NEW.id, hex(NEW.a)));
  END;" || fail "making a version-14 file"
db=$db2
q "SELECT dbaudit_enable('u')" > /dev/null   # a changing call upgrades the bookkeeping
[ "$(q "SELECT version FROM dbcare_bookkeeping")" -ge 16 ] || fail "not upgraded past 16"
q "SELECT sql LIKE '%dbcare-direct:%' FROM sqlite_schema WHERE name = 'dbcare_audit_insert_w'" |
  grep -qx 1 || fail "the upgrade did not make w's insert trigger anew"
before=$(q "SELECT count(*) FROM dbcare_audit_log")
q "INSERT INTO w (id, a) VALUES (9, 'x')"
sqlite3 "$db2" "INSERT INTO w (id, a) VALUES (10, 'y')"
r=$(q "SELECT (SELECT count(*) FROM dbcare_audit_log) - $before,
              (SELECT count(*) FROM dbaudit_verify WHERE broken_id IS NULL),
              (SELECT count(*) FROM dbcare_audit_log WHERE txid <= 0)" | paste -sd ' ')
[ "$r" = "2|1|0" ] || fail "after the upgrade (new entries|verify clean|pending): $r"
echo "upgrade 14 -> 15: ok"

# Triggers of the application nesting audited writes between a TEMP trigger
# and its shared twin (recursive triggers on): each write once
db="$work/nested.db"
r=$(q "PRAGMA recursive_triggers = ON;
  CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);
  CREATE TABLE u (id INTEGER PRIMARY KEY, a TEXT);
  SELECT dbaudit_enable('t', '{\"hash_chain\": true}');
  SELECT dbaudit_enable('u');
  CREATE TRIGGER app_t AFTER INSERT ON t WHEN NEW.a = 'x' BEGIN
    UPDATE t SET a = 'y' WHERE id = NEW.id;
    INSERT INTO u VALUES (NEW.id, 'from t');
    INSERT INTO t (a) VALUES ('nested');
  END;
  INSERT INTO t (a) VALUES ('x');
  SELECT group_concat(operation || ' ' || table_name || ' ' || key, '; ') FROM
    (SELECT * FROM dbcare_audit_log WHERE txid > 0 ORDER BY id);
  SELECT count(*) FROM dbcare_audit_log;
  SELECT count(*) FROM dbaudit_verify WHERE broken_id IS NULL;" | tail -3 | paste -sd '|')
[ "$r" = 'insert t {"id":1}; update t {"id":1}; insert u {"id":1}; insert t {"id":2}|4|1' ] ||
  fail "nested writes: $r"
echo "nested writes: ok"

# The probe for pending entries runs at the first audited row after the
# file's data version changed, not at every row (dbaudit_direct): a
# completion that ROLLBACK TO or ROLLBACK undoes leaves entries pending
# again without a new version, and the next row still completes them
# first, so the chain links in id order and nothing stays pending
db="$work/probe.db"
q "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);
   SELECT dbaudit_enable('t', '{\"hash_chain\": true}');" > /dev/null
"$py" - "$module" "$db" <<'EOF' || fail "pending entries after a completion rolled back (above)"
import sqlite3, sys
mod, path = sys.argv[1], sys.argv[2]
A = sqlite3.connect(path, isolation_level=None, timeout=10)
A.enable_load_extension(True)
A.load_extension(mod)
C = sqlite3.connect(path, isolation_level=None, timeout=10)
def one(c, sql): return c.execute(sql).fetchone()[0]
def pending(c): return one(c, "SELECT count(*) FROM dbcare_audit_log WHERE txid <= 0")
def check(ok, what):
    if not ok:
        print("FAIL:", what); sys.exit(1)
A.execute("INSERT INTO t VALUES (100, 'a')")           # A's probe state: this version
for undo in ("ROLLBACK TO s", "ROLLBACK"):
    C.execute("INSERT INTO t (a) VALUES ('c')")         # pending, committed
    A.execute("BEGIN")
    A.execute("SAVEPOINT s")
    A.execute("INSERT INTO t (a) VALUES ('a1')")        # completes C's, writes its own
    check(pending(A) == 0, f"{undo}: C's entry completed by A's write")
    A.execute(undo)
    check(pending(A) == 1, f"{undo}: C's entry pending again: {pending(A)}")
    A.execute("INSERT INTO t (a) VALUES ('a2')")        # no new data version
    check(pending(A) == 0, f"{undo}: A's next write left {pending(A)} pending")
    if undo != "ROLLBACK":
        A.execute("COMMIT")
order = [r[0] for r in A.execute("SELECT a FROM t WHERE id > 100 ORDER BY id")]
logged = [r[0] for r in A.execute(
    "SELECT json_extract(new_values, '$.a') FROM dbcare_audit_log WHERE key <> '{\"id\":100}'"
    " ORDER BY id")]
check(logged == order, f"entries {logged} for rows {order}")
check(one(A, "SELECT count(*) FROM dbaudit_verify WHERE broken_id IS NULL") == 1,
      "dbaudit_verify is clean")
print("probe after a rolled-back completion: ok")
EOF
