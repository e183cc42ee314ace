#!/usr/bin/env bash
# The JSON Schema registry on SQLite (docs/json.md, "Schemas by name"): a
# CHECK names a registered schema; a $ref resolves through the registry,
# absolute and relative to the referring schema's $id; a schema changed by
# another connection is seen by a connection that compiled the old one (at
# its next statement), and by an inline schema whose $ref reads it;
# dbjson_history reads a name's changes;
# unregister refuses while a CHECK names the schema; revalidate counts the rows a change no longer accepts; every
# change is recorded; a file never registered into stays without
# bookkeeping when validated against.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"

"$py" - "$mod" "$work" <<'PY'
import hashlib, sqlite3, sys

mod, work = sys.argv[1], sys.argv[2]
path = work + "/app.db"


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def connect(p=path):
    db = sqlite3.connect(p, isolation_level=None)
    db.enable_load_extension(True)
    db.load_extension(mod)
    return db


def refused(db, sql, args=(), want=""):
    try:
        db.execute(sql, args)
    except sqlite3.Error as e:
        if want not in str(e):
            fail(f"{sql}: wrong error {e}")
        return str(e)
    fail(f"{sql}: not refused")


address = '{"$id": "https://example.com/schemas/address.json", "type": "object", "required": ["city"], "properties": {"city": {"type": "string"}}}'
stricter = '{"$id": "https://example.com/schemas/address.json", "type": "object", "required": ["city", "zip"]}'
person = '{"$id": "https://example.com/schemas/person.json", "type": "object", "properties": {"name": {"type": "string"}, "home": {"$ref": "address.json"}, "work": {"$ref": "https://example.com/schemas/address.json"}}}'

a = connect()
sha = a.execute("SELECT dbjson_register('address', ?)", (address,)).fetchone()[0]
if sha != hashlib.sha256(address.encode()).hexdigest():
    fail(f"register returned {sha}")
a.execute("SELECT dbjson_register('person', ?)", (person,))
rows = a.execute("SELECT name, uri FROM dbjson_schemas").fetchall()
if rows != [("address", "https://example.com/schemas/address.json"),
            ("person", "https://example.com/schemas/person.json")]:
    fail(f"dbjson_schemas: {rows}")
a.execute("CREATE TABLE people (id INTEGER PRIMARY KEY, doc TEXT CHECK (dbjson_valid(doc, 'person')))")
a.execute("""INSERT INTO people (doc) VALUES ('{"name": "a", "home": {"city": "x"}}')""")
refused(a, """INSERT INTO people (doc) VALUES ('{"home": {"zip": "x"}}')""", want="CHECK constraint failed")
refused(a, """INSERT INTO people (doc) VALUES ('{"work": {"zip": "x"}}')""", want="CHECK constraint failed")

# another connection compiled the old schema; a changes it; b sees it at its next statement
b = connect()
b.execute("""INSERT INTO people (doc) VALUES ('{"home": {"city": "y"}}')""")
a.execute("SELECT dbjson_register('address', ?)", (stricter,))
refused(b, """INSERT INTO people (doc) VALUES ('{"home": {"city": "z"}}')""", want="CHECK constraint failed")
b.execute("""INSERT INTO people (doc) VALUES ('{"home": {"city": "z", "zip": "1"}}')""")

# revalidate: 2 stored rows lack zip
rows = a.execute("SELECT table_name, constraint_name, violations FROM dbjson_revalidate('person')").fetchall()
if rows != [("people", "people_check_0", 2)]:
    fail(f"revalidate: {rows}")

# unregister: refused while a CHECK names it
refused(a, "SELECT dbjson_unregister('person')", want="people_check_0")
a.execute("CREATE TABLE other (doc TEXT)")
if a.execute("SELECT dbjson_unregister('nosuch')").fetchone()[0] != 0:
    fail("unregister of a missing name")

changes = a.execute("SELECT name, old_sha256 IS NOT NULL, new_sha256 IS NOT NULL FROM dbcare_json_schema_changes ORDER BY id").fetchall()
if changes != [("address", 0, 1), ("person", 0, 1), ("address", 1, 1)]:
    fail(f"changes: {changes}")
# dbjson_history: the file's writers are one principal, who reads every
# change of a name (no roles: changed_by is NULL), oldest first
hist = a.execute("SELECT changed_at, changed_by, old_sha256, new_sha256 FROM dbjson_history('address')").fetchall()
if [(h[1], h[2], h[3]) for h in hist] != [(None, None, hashlib.sha256(address.encode()).hexdigest()),
                                          (None, hashlib.sha256(address.encode()).hexdigest(), hashlib.sha256(stricter.encode()).hexdigest())]:
    fail(f"dbjson_history: {hist}")
if not all(len(h[0]) == 24 and h[0].endswith("Z") for h in hist):
    fail(f"dbjson_history's changed_at is not ISO-8601 UTC: {hist}")
if a.execute("SELECT count(*) FROM dbjson_history('nosuch')").fetchone()[0] != 0:
    fail("dbjson_history of a name never registered")
if connect(work + "/empty.db").execute("SELECT count(*) FROM dbjson_history('address')").fetchone()[0] != 0:
    fail("dbjson_history on a file without the registry")
# the same schema again changes nothing
a.execute("SELECT dbjson_register('address', ?)", (stricter,))
if a.execute("SELECT count(*) FROM dbcare_json_schema_changes").fetchone()[0] != 3:
    fail("registering the same schema again was recorded as a change")

# errors that name what is wrong
refused(a, "SELECT dbjson_valid('{}', 'nosuch')", want="no JSON Schema is registered under the name nosuch")
# a long name (its cache key is not built on the stack) is found, and kept
long_name = "L" * 150
a.execute("SELECT dbjson_register(?, '{\"type\": \"object\"}')", (long_name,))
for _ in range(2):
    if a.execute("SELECT dbjson_valid('{}', ?), dbjson_valid('1', ?)", (long_name, long_name)).fetchone() != (1, 0):
        fail("a schema registered under a 150-byte name")
refused(a, "SELECT dbjson_valid('{}', ?)", ("M" * 70,), want="no JSON Schema is registered under the name MMM")
a.execute("SELECT dbjson_unregister(?)", (long_name,))
refused(a, """SELECT dbjson_valid('{}', '{"$ref": "https://example.com/other.json"}')""", want="https://example.com/other.json")
for bad in ("true", "1abc", " x", "{x", ""):
    refused(a, "SELECT dbjson_register(?, '{}')", (bad,), want="dbcare:")
refused(a, "SELECT dbjson_register('bad', '{\"type\": 12}')", want="not a valid JSON Schema")

# inline schema text with a $ref into the registry follows its changes too
q = """SELECT dbjson_valid('{"city": "a"}', '{"$ref": "https://example.com/schemas/address.json"}')"""
if a.execute(q).fetchone()[0] != 0:
    fail("inline $ref into the registry")
a.execute("SELECT dbjson_register('address', ?)", (address,))
if a.execute(q).fetchone()[0] != 1:
    fail("an inline schema kept the old registered schema it refers to")

# a file nobody registered into: validating makes no bookkeeping
plain = connect(work + "/plain.db")
plain.execute("CREATE TABLE t (doc TEXT CHECK (dbjson_valid(doc, '{\"type\": \"object\"}')))")
plain.execute("INSERT INTO t VALUES ('{}')")
refused(plain, "SELECT dbjson_valid('{}', 'address')", want="no JSON Schema is registered")
left = plain.execute("SELECT count(*) FROM sqlite_schema WHERE name LIKE 'dbcare%'").fetchone()[0]
if left:
    fail(f"validation made {left} bookkeeping objects")
# a change rolled back: its change id is taken again by the next change
# (AUTOINCREMENT rolls back with it); a schema compiled inside the rolled
# back transaction must not pass for the registry's state afterwards
r = connect(work + "/rollback.db")
r.execute("SELECT dbjson_register('x', '{\"type\": \"string\"}')")
r.execute("BEGIN")
r.execute("SELECT dbjson_register('x', '{\"type\": \"integer\"}')")
if r.execute("SELECT dbjson_valid('1', 'x')").fetchone()[0] != 1:
    fail("inside the transaction x is an integer schema")
r.execute("ROLLBACK")
r.execute("SELECT dbjson_register('y', '{}')")
if r.execute("SELECT dbjson_valid('1', 'x')").fetchone()[0] != 0:
    fail("a schema compiled in a rolled-back transaction was kept after it")

# two schemas with the same $id: an error naming the holder, not a bare
# UNIQUE violation; a name that is another schema's URI still names its own
r.execute("SELECT dbjson_register('s1', '{\"$id\": \"https://e.com/s\"}')")
refused(r, "SELECT dbjson_register('s2', '{\"$id\": \"https://e.com/s\"}')",
        want="schema s1 is registered under the URI https://e.com/s already")
# names never shadow URIs (issue 56 B2): a name is letters, digits, "_",
# "." and "-"; a URI given or taken from $id is absolute
r.execute("SELECT dbjson_register('byuri', '{\"$id\": \"https://t.example/b.json\", \"type\": \"integer\"}')")
for bad in ("https://t.example/b.json", "ca ", "a:b", "a/b", "urn:x"):
    refused(r, "SELECT dbjson_register(?, '{\"type\": \"string\"}')", (bad,),
            want="a schema's name starts with a letter")
if r.execute("SELECT dbjson_valid('1', 'https://t.example/b.json')").fetchone()[0] != 1:
    fail("a schema argument that is a URI did not find the schema known by it")
for bad in ("relative.json", "not a uri at all", "https://e.com/x#frag"):
    refused(r, "SELECT dbjson_register('u1', '{}', ?)", (bad,), want="uri must be an absolute URI")
refused(r, "SELECT dbjson_register('u2', '{\"$id\": \"relative.json\"}')",
        want="its root $id is not an absolute URI")
r.execute("SELECT dbjson_register('u3', '{}', 'urn:example:u3')")
# unregister of a name never registered: false, even when a CHECK names it
r.execute("CREATE TABLE nx (doc TEXT CHECK (dbjson_valid(doc, 'nonexistent')))")
if r.execute("SELECT dbjson_unregister('nonexistent')").fetchone()[0] != 0:
    fail("unregister of an unknown name is not false")
# an unknown $ref says how to make it known
e = refused(r, "SELECT dbjson_valid('1', '{\"$ref\": \"https://e.com/none.json\"}')",
            want="https://e.com/none.json cannot be resolved")
if "dbjson_register" not in e:
    fail(f"the unknown $ref's error does not say to register it: {e}")
# a row changed around dbjson_register (its text no longer the one its
# SHA-256 names): never compiled, by a connection that had the old text
# compiled (which keeps it: the recorded SHA-256 names it) or a new one
a, b = connect(work + "/forged.db"), connect(work + "/forged.db")
a.execute("SELECT dbjson_register('fx', '{\"type\": \"string\"}')")
a.execute("CREATE TABLE fxt (doc TEXT CHECK (dbjson_valid(doc, 'fx')))")
a.execute("INSERT INTO fxt VALUES ('\"s\"')")
b.execute("UPDATE dbcare_json_schemas SET schema = '{}' WHERE name = 'fx'")
refused(b, "INSERT INTO fxt VALUES ('1')", want="was changed outside dbjson_register")
refused(connect(work + "/forged.db"), "SELECT dbjson_valid('1', 'fx')", want="was changed outside dbjson_register")
refused(a, "INSERT INTO fxt VALUES ('1')", want="CHECK constraint failed")
# a CHECK that computes its schema argument may name any schema: unregister
# refuses while one exists (B4)
r.execute("SELECT dbjson_register('u4', '{}')")
r.execute("CREATE TABLE comp (doc TEXT CHECK (dbjson_valid(doc, 'u' || '4')))")
refused(r, "SELECT dbjson_unregister('u4')", want="constraint")
e = refused(r, "SELECT dbjson_unregister('u4')", want="computes the schema argument")
r.execute("DROP TABLE comp")
r.execute("CREATE TABLE lit (doc TEXT CHECK (dbjson_valid(doc, 'it''s') AND dbjson_valid(doc , '{\"type\": \"string\"}')))")
if r.execute("SELECT dbjson_unregister('u4')").fetchone()[0] != 1:
    fail("literal schema arguments kept u4 from being unregistered")

# a pure $ref cycle across registered schemas (B5): a clear error at the
# first use, not evaluation nesting too deep
r.execute("SELECT dbjson_register('cyc_a', '{\"$ref\": \"https://e.com/cyc_b\"}', 'https://e.com/cyc_a')")
r.execute("SELECT dbjson_register('cyc_b', '{\"$ref\": \"https://e.com/cyc_a\"}', 'https://e.com/cyc_b')")
refused(r, "SELECT dbjson_valid('1', 'cyc_a')", want="is part of a reference cycle")

# bounded memory (issue 56 B3): a schema's text and subschemas are limited,
# at registration and at compile time with what its $refs load
big = '{"anyOf": [' + ",".join(['{"type": "string", "maxLength": 10}'] * 30000) + ']}'
refused(r, "SELECT dbjson_register('big', ?)", (big,), want="is larger than 1048576 bytes")
refused(r, "SELECT dbjson_valid('1', ?)", (big,), want="is larger than 1048576 bytes")
many = '{"anyOf": [' + ",".join(["{}"] * 50001) + ']}'
refused(r, "SELECT dbjson_register('many', ?)", (many,), want="has more than 50000 JSON objects")
refused(r, "SELECT dbjson_valid('1', ?)", (many,), want="has more than 50000 subschemas")
half = '{"anyOf": [' + ",".join(['{"type": "string", "maxLength": 10}'] * 16000) + ']}'
r.execute("SELECT dbjson_register('half1', ?, 'https://e.com/half1')", (half,))
r.execute("SELECT dbjson_register('half2', ?, 'https://e.com/half2')",
          (half[:-2] + ', {"$ref": "half1"}]}',))
refused(r, "SELECT dbjson_valid('1', 'half2')", want="with the documents its $refs load")
print("ok: registry by name, $ref, cross-connection change, revalidate, unregister")
PY
