#!/usr/bin/env bash
# The module unloaded, SQLite's list of VFSes holds nothing of it: SQLite
# unloads an extension when the last connection that loaded it closes,
# and the backups register two VFSes (the incremental's page sink, the
# sealed copies' scratch files) whose objects live in the library. A
# connection loads one copy of the module, takes full, incremental and
# sealed backups, and closes; another loads a second copy (another
# mapping) and does the same, and a third opens a database on a VFS
# found by name. Before the library unregistered them on unload, the
# second load crashed the process on the first lookup by name.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
mkdir -p "$work/one" "$work/two"
lib=$module
[ -f "$lib" ] || lib=$module.so # named as .load takes it, without the suffix
cp "$lib" "$work/one/dbcare.so"
cp "$lib" "$work/two/dbcare.so"
DBCARE_BACKUP_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n') \
  "$py" - "$work" <<'PY'
import sqlite3, sys
work = sys.argv[1]
setup = sqlite3.connect(f"{work}/app.db", isolation_level=None)
setup.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
setup.executemany("INSERT INTO t (v) VALUES (?)", [("row %d" % i,) for i in range(5000)])
setup.close()
n = 0
for copy in ("one", "two", "one"):
    c = sqlite3.connect(f"{work}/app.db", isolation_level=None)
    c.enable_load_extension(True)
    c.load_extension(f"{work}/{copy}/dbcare.so")
    for method in ("full", "incremental", "full+encrypt"):
        n += 1
        c.execute("UPDATE t SET v = v || 'x' WHERE id = ?", (n,))
        c.execute("SELECT dbbackup_create(?, ?)", (f"{work}/b{n}.db", method)).fetchone()
    c.close()  # the last connection of this copy: SQLite unloads it
# a VFS looked up by name walks the whole list
other = sqlite3.connect(f"file:{work}/other.db?vfs=unix-dotfile", uri=True)
other.execute("CREATE TABLE x (a)")
other.close()
print(f"{n} backups through two copies of the module loaded and unloaded in turn")
PY
