"""The start-up journey from Python's sqlite3 module (Debian's python3, which
has enable_load_extension): load dbcare, apply a migration, assert it, read a
health report, take a verified backup, write to an audited table, and see a
JSON Schema CHECK refuse a bad row; then (the clients only) a backup staged
for an object store and counted by the metrics. Same steps as journey.js
and test/matrix/journey.sql.

    python3 journey.py MODULE DIRECTORY"""
import json
import os
import sqlite3
import sys

module, directory = sys.argv[1], sys.argv[2]
conn = sqlite3.connect(os.path.join(directory, "app.db"))
conn.enable_load_extension(True)
conn.load_extension(module)
conn.enable_load_extension(False)

conn.execute("SELECT dbmigrate_add('1', 'events', ?)", (
    "CREATE TABLE events (id INTEGER PRIMARY KEY, body TEXT NOT NULL "
    "CHECK (dbjson_valid(body, '{\"type\": \"object\", \"required\": [\"kind\"]}')));",))
applied = conn.execute("SELECT dbmigrate_apply()").fetchone()[0]
conn.commit()  # docs/migrations.md: commit after dbmigrate_apply()
assert applied == 1, applied
assert conn.execute("SELECT dbmigrate_assert('1')").fetchone()[0] == 1
try:
    conn.execute("SELECT dbmigrate_assert('2')")
except sqlite3.OperationalError as err:
    assert str(err).startswith("dbcare: "), err
else:
    raise AssertionError("dbmigrate_assert('2') passed with only 1 applied")

conn.execute("SELECT dbaudit_enable('events')")
conn.commit()
conn.execute("""INSERT INTO events (body) VALUES ('{"kind": "signup"}')""")
conn.commit()
try:
    conn.execute("""INSERT INTO events (body) VALUES ('{"no": "kind"}')""")
except sqlite3.IntegrityError as err:
    assert "CHECK constraint failed" in str(err), err
else:
    raise AssertionError("the JSON Schema CHECK let a row without kind in")
conn.rollback()
audit = conn.execute("SELECT count(*) FROM dbcare_audit_log").fetchone()[0]
assert audit == 1, audit

report = json.loads(conn.execute("SELECT dbhealth_report()").fetchone()[0])
checks = {c["name"]: c for c in report["checks"]}
assert report["status"] == "healthy", report
assert checks["integrity"]["status"] == "ok", checks["integrity"]

backup = json.loads(conn.execute("SELECT dbbackup_create(?)",
                                 (os.path.join(directory, "backup.db"),)).fetchone()[0])
assert backup["verified"] in (True, 1), backup
copy = sqlite3.connect(os.path.join(directory, "backup.db"))
assert copy.execute("SELECT count(*) FROM events").fetchone()[0] == 1

# a backup staged for an object store (backup.dir a URL: the module does no
# network I/O) waits in backup.stage_dir, and the metrics count it
def waiting():
    metrics = conn.execute("SELECT dbhealth_metrics()").fetchone()[0]
    return {line.split("{")[0]: float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines()
            if line.startswith("dbcare_backups_waiting")}
assert waiting() == {}, waiting()
os.mkdir(os.path.join(directory, "stage"))
conn.execute("SELECT dbcare_set('backup.dir', 's3://journey/staged')")
conn.execute("SELECT dbcare_set('backup.stage_dir', ?)", (os.path.join(directory, "stage"),))
staged = json.loads(conn.execute("SELECT dbbackup_create()").fetchone()[0])
assert staged["verified"] in (True, 1), staged
got = waiting()
assert got["dbcare_backups_waiting"] == 1, got
assert 0 <= got["dbcare_backups_waiting_oldest_seconds"] < 600, got
print("python journey ok:", sqlite3.sqlite_version)
