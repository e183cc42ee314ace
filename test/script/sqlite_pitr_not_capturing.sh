#!/usr/bin/env bash
# A connection with the module and backup.log.dir set that does not
# capture keeps SQLite's automatic checkpoint (sqlite/pitr/pitr_module.c,
# on_wal): here a copy of the database at another path, whose log belongs
# to the original (its capture is refused, as docs/backups.md says). Its
# WAL stays near 1,000 frames through 2,000 commits; on main nothing
# checkpointed while no capture ran and the WAL grew with every commit.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
cd "$work"
mkdir lg
"$py" - "$module" "$work" <<'PY'
import os, shutil, sqlite3, sys
module, work = sys.argv[1:3]
def connect(path):
    c = sqlite3.connect(path, isolation_level=None)
    c.enable_load_extension(True)
    c.load_extension(module)
    return c
a = sqlite3.connect(work + "/app.db", isolation_level=None)
a.executescript("PRAGMA journal_mode = wal; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);")
a.close()
a = connect(work + "/app.db")
a.execute("SELECT dbcare_set('backup.log.dir', ?)", (work + "/lg",)).fetchall()
a.execute("INSERT INTO t (v) VALUES ('original')")
a.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
shutil.copy(work + "/app.db", work + "/copy.db")
c = connect(work + "/copy.db")
c.execute("PRAGMA synchronous = OFF")
for i in range(2000):
    c.execute("INSERT INTO t (v) VALUES (?)", ("x" * 100,))
frames = os.path.getsize(work + "/copy.db-wal") // (4096 + 24)
page_size = c.execute("PRAGMA page_size").fetchone()[0]
c.close()
a.close()
assert page_size == 4096, page_size
if frames > 1500:
    print("FAIL: the copy's WAL holds %d frames after 2,000 commits: no checkpoint ran" % frames)
    sys.exit(1)
print("ok: a connection that does not capture keeps the WAL to %d frames" % frames)
PY
