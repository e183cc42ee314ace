"""module_db.py — what the SQLite script tests written in Python share: a
connection of Debian's sqlite3 with the dbcare module loaded, in autocommit
(the test decides its transactions), and the schema's fingerprint.
Imported with PYTHONPATH set to this folder."""
import sqlite3


def connect(path, module):
    db = sqlite3.connect(path, isolation_level=None)
    db.enable_load_extension(True)
    db.load_extension(module)
    return db


def fingerprint(db):
    return db.execute("SELECT dbschema_fingerprint()").fetchone()[0]
