#!/usr/bin/env bash
# The windows an incremental takes over from its base must add up to the
# table's rows (the cells of its leaves), or the table is read whole: a
# window that counts rows no longer there -- here one added to the base's
# record by hand, where no changed page's range reaches -- never makes the
# record (docs/backups.md, "Incremental backups"). The incremental after
# the edit reads the table whole and verifies; the record's row count is
# the table's.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
"$py" - "$mod" "$work" <<'PY'
import json, sqlite3, sys
mod, work = sys.argv[1], sys.argv[2]
c = sqlite3.connect(f"{work}/app.db", isolation_level=None)
c.enable_load_extension(True)
c.load_extension(mod)
c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT)")
c.execute("WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 20000)"
          " INSERT INTO t SELECT i, 'row ' || i FROM s")
c.execute("SELECT dbbackup_create(?)", (f"{work}/full.db",)).fetchone()
record = json.loads(c.execute("SELECT content FROM dbcare_backups WHERE id = 1").fetchone()[0])
entry = next(e for e in record["tables"] if e[0] == "t")
if len(entry) != 4:
    print(f"FAIL: the full backup kept no windows for t: {entry}")
    sys.exit(1)
# a window far past every rowid, 5 rows in it: well formed, and stale
entry[3] += "|1000000000000000:5:" + "0" * 15 + "1" + "0" * 15 + "2"
c.execute("UPDATE dbcare_backups SET content = ? WHERE id = 1", (json.dumps(record),))
c.execute("UPDATE t SET a = 'changed' WHERE id = 100")
out = json.loads(c.execute("SELECT dbbackup_create(?, 'incremental')", (f"{work}/i1.db",)).fetchone()[0])
if out["rows_read"] < 20000:
    print(f"FAIL: the stale window was taken over: {out['rows_read']} rows read")
    sys.exit(1)
try:
    v = json.loads(c.execute("SELECT dbbackup_verify(?)", (f"{work}/i1.db",)).fetchone()[0])
except sqlite3.OperationalError as e:
    print(f"FAIL: the incremental after the stale window does not verify: {e}")
    sys.exit(1)
rows = next(e for e in json.loads(c.execute("SELECT content FROM dbcare_backups WHERE id = 2")
                                  .fetchone()[0])["tables"] if e[0] == "t")[1]
if not v.get("verified") or rows != 20000:
    print(f"FAIL: verified {v.get('verified')}, t recorded with {rows} rows")
    sys.exit(1)
print(f"a stale window in the base: t read whole ({out['rows_read']} rows), verified, 20000 rows")
PY
