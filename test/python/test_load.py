"""Loads dbcare into Python's sqlite3 module, the way an application does at
start-up, and checks that functions and table-valued functions answer."""
import json
import sqlite3
import sys

module = sys.argv[1]
conn = sqlite3.connect(":memory:")
conn.enable_load_extension(True)
conn.load_extension(module)
conn.enable_load_extension(False)

version = conn.execute("SELECT dbcare_version()").fetchone()[0]
assert version and version[0].isdigit(), version

conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE)")
snapshot = json.loads(conn.execute("SELECT dbschema_snapshot()").fetchone()[0])
assert "users" in snapshot["table"], snapshot

fingerprint = conn.execute("SELECT dbschema_fingerprint()").fetchone()[0]
assert len(fingerprint) == 64, fingerprint
conn.execute("INSERT INTO users (email) VALUES ('a@example.com')")
assert conn.execute("SELECT dbschema_fingerprint()").fetchone()[0] == fingerprint

keys = [row[0] for row in conn.execute("SELECT key FROM dbcare_settings")]
assert "migrate.out_of_order" in keys, keys

try:
    conn.execute("SELECT dbcare_get(NULL)")
except sqlite3.OperationalError as err:
    assert str(err).startswith("dbcare: "), err
else:
    raise AssertionError("NULL key was accepted")
print("python load test ok:", version)
