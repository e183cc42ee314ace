#!/usr/bin/env bash
# A CHECK naming a registered schema reads the registry once per connection
# and data version, not at every execution of a prepared INSERT (issue 63:
# the memo lived in auxiliary data SQLite drops at each reset, so every
# row read the whole registry, the more schemas the dearer). Counted, not
# timed: Python's trace callback (sqlite3_trace_v2) sees every statement
# the module runs, as "-- SQL". With 11 schemas registered, 300 prepared
# INSERTs in one transaction must read the registry no more often than 10.
#
# The generation kept must still follow every change the connection can see:
#  - a registration on the same connection, in the writing transaction,
#    applies to its next row; rolled back, the old schema applies again;
#  - another connection's committed registration applies to this
#    connection's next transaction.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
db=$work/reads.db
"$py" - "$module" "$db" <<'PY' || fail "see above"
import sqlite3, sys
module, path = sys.argv[1], sys.argv[2]

def connect():
    c = sqlite3.connect(path, isolation_level=None)
    c.enable_load_extension(True)
    c.load_extension(module)
    return c

c, other = connect(), connect()
for i in range(10):
    c.execute("SELECT dbjson_register(?, ?)", (f"part{i}", '{"type": "object"}'))
loose = '{"type": "object", "required": ["id"]}'
strict = '{"type": "object", "required": ["id", "kind"]}'
c.execute("SELECT dbjson_register('doc', ?)", (loose,))
c.execute("CREATE TABLE ev (id INTEGER PRIMARY KEY, body TEXT CHECK (dbjson_valid(body, 'doc')))")
bad = []

def reads(rows):
    """Registry reads while rows are inserted, prepared, in one transaction."""
    seen = []
    c.set_trace_callback(seen.append)
    try:
        c.execute("BEGIN")
        c.executemany("INSERT INTO ev (body) VALUES (?)", [('{"id": %d}' % i,) for i in rows])
        c.execute("COMMIT")
    finally:
        c.set_trace_callback(None)
    return [s for s in seen if s.startswith("-- ") and "json_schemas" in s]

reads(range(3))  # the first compiles the schema
few, many = reads(range(10)), reads(range(300))
if len(many) > len(few):
    bad.append(f"300 prepared INSERTs read the registry {len(many)} times, 10 read it "
               f"{len(few)} times: {many[:1]}")

def accepted(conn, body):
    try:
        conn.execute("INSERT INTO ev (body) VALUES (?)", (body,))
        return True
    except sqlite3.IntegrityError:
        return False

kindless = '{"id": 1}'
# the connection's own registration, in its transaction, then rolled back
c.execute("BEGIN")
if not accepted(c, kindless):
    bad.append("the loose schema refused a row before the registration")
c.execute("SELECT dbjson_register('doc', ?)", (strict,))
if accepted(c, kindless):
    bad.append("a registration in the writing transaction did not apply to its next row")
c.execute("ROLLBACK")
if not accepted(c, kindless):
    bad.append("after ROLLBACK the rolled-back registration still applied")
# another connection's committed registration
c.execute("BEGIN")
accepted(c, kindless)
c.execute("COMMIT")
other.execute("SELECT dbjson_register('doc', ?)", (strict,))
if accepted(c, kindless):
    bad.append("another connection's committed registration did not apply here")
other.execute("SELECT dbjson_register('doc', ?)", (loose,))
c.execute("BEGIN")
if not accepted(c, kindless):
    bad.append("another connection's second registration did not apply here")
c.execute("COMMIT")
if bad:
    print("FAIL: " + "\n  ".join(bad))
    sys.exit(1)
PY
echo "prepared INSERTs read the registry once; registrations here, rolled back and elsewhere apply"
