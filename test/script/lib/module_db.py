"""module_db.py — what the SQLite script tests written in Python share: a
connection of Debian's sqlite3 with the dbcare module loaded, in autocommit
(the test decides its transactions), the schema's fingerprint, and the
statements a call runs on the connection.
Imported with PYTHONPATH set to this folder."""
import sqlite3


def connect(path, module):
    db = sqlite3.connect(path, isolation_level=None)
    db.enable_load_extension(True)
    db.load_extension(module)
    return db


def fingerprint(db):
    return db.execute("SELECT dbschema_fingerprint()").fetchone()[0]


def traced(db, sql):
    """The rows of sql and every statement run on db while it ran, dbcare's
    own included (SQLite's trace callback hears them all)."""
    seen = []
    db.set_trace_callback(seen.append)
    try:
        rows = db.execute(sql).fetchall()
    finally:
        db.set_trace_callback(None)
    return rows, seen
