#!/usr/bin/env bash
# A damaged index page over a sound table (issue 67): the record headers of
# a composite primary key's index are zeroed on disk, so every entry reads
# as (NULL, NULL) and a GROUP BY over the key, read through that index,
# sees one key 40 times. `dbcare health` must not report that as a
# constraint violation (the table's own rows hold none); integrity names the
# index, the plan rebuilds it with REINDEX, classed locking (SQLite's
# rebuild blocks writers), never a restore; the plan's statement, run in the
# sqlite3 shell, makes the file whole again.
set -euo pipefail
. "$(dirname "$0")/lib/sqlite.sh"
db="$work/damaged_index.db"
cli="$(dirname "$0")/../../build/cli/dbcare"
[ -x "$cli" ] || fail "build/cli/dbcare is not built"
dbcare() { "$cli" --db "sqlite:$db" --module "$module" "$@"; }
# the status of one check of `dbcare health --mode full`, and its message
check() { # name field
  dbcare health --mode full --json | "$py" -c '
import json, sys
name, field = sys.argv[1], sys.argv[2]
print([c for c in json.load(sys.stdin)["checks"] if c["name"] == name][0].get(field, ""))' "$1" "$2"
}

sqlite3 -batch "$db" "
CREATE TABLE \"Order Details\" (OrderID INT NOT NULL, ProductID INT NOT NULL, qty INT,
                                PRIMARY KEY (OrderID, ProductID));
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40)
INSERT INTO \"Order Details\" SELECT 1000 + i, i % 7, i FROM n;
ANALYZE;"
index=$(sqlite3 -batch "$db" "SELECT name FROM sqlite_schema WHERE type = 'index'")
[ "$index" = "sqlite_autoindex_Order Details_1" ] || fail "the key's index is $index"
[ "$(check constraint_violations status)" = ok ] || fail "the clean file has violations"
echo "ok: clean file, no violation"

# The index fits in its root page, a leaf: each cell is a one-byte payload
# size, the record's header size, then one serial type per column. Zeroed
# serial types read as NULL; the table's own b-tree is not touched.
"$py" - "$db" <<'PY'
import sqlite3, sys
path = sys.argv[1]
c = sqlite3.connect(path)
root = c.execute("SELECT rootpage FROM sqlite_schema WHERE type = 'index'").fetchone()[0]
psize = c.execute("PRAGMA page_size").fetchone()[0]
c.close()
with open(path, "r+b") as f:
    f.seek((root - 1) * psize)
    page = bytearray(f.read(psize))
    if page[0] != 0x0A:
        sys.exit(f"FAIL: page {root} is not an index leaf (type {page[0]})")
    for i in range(int.from_bytes(page[3:5], "big")):
        cell = int.from_bytes(page[8 + 2 * i:10 + 2 * i], "big")
        for k in range(cell + 2, cell + 1 + page[cell + 1]):
            page[k] = 0
    f.seek((root - 1) * psize)
    f.write(page)
PY
# as planted: the table is sound, the index reads (NULL, NULL) for every row
ic=$(sqlite3 -batch "$db" "PRAGMA integrity_check")
case "$ic" in "row 1 missing from index $index"*) ;; *) fail "integrity_check: $ic" ;; esac
[ "$(sqlite3 -batch "$db" "SELECT count(*) FROM \"Order Details\" NOT INDEXED
     WHERE OrderID IS NULL OR ProductID IS NULL")" = 0 ] || fail "the table's rows were damaged"
[ "$(sqlite3 -batch "$db" "SELECT count(*) FROM \"Order Details\" GROUP BY OrderID, ProductID
     HAVING count(*) > 1")" = 40 ] || fail "the GROUP BY does not read the damaged index"
echo "ok: the index is damaged as planted, the table is not"

st=$(check constraint_violations status)
[ "$st" = ok ] || fail "constraint_violations is $st: $(check constraint_violations message)"
echo "ok: no constraint violation read through the damaged index"
[ "$(check integrity status)" = critical ] || fail "integrity is not critical"
case "$(check integrity message)" in *"missing from index $index"*) ;;
  *) fail "integrity does not name the index: $(check integrity message)" ;; esac
echo "ok: integrity names the index"

plan=$(dbcare maintain --dry-run --mode full --json | "$py" -c '
import json, sys
for s in json.load(sys.stdin)["plan"]:
    print(s["action"], "|", s.get("statement") or "-", "|", s["safety"])')
echo "$plan"
grep -qxF "reindex | REINDEX \"$index\" | locking" <<<"$plan" || fail "no locking REINDEX of $index"
if grep -q '^restore ' <<<"$plan"; then fail "a restore is planned for index-only damage"; fi
echo "ok: the plan rebuilds the index (locking), no restore"

stmt=$(dbcare maintain --dry-run --mode full --json | "$py" -c '
import json, sys
print([s for s in json.load(sys.stdin)["plan"] if s["action"] == "reindex"][0]["statement"])')
sqlite3 -batch "$db" "$stmt"
[ "$(sqlite3 -batch "$db" "PRAGMA integrity_check")" = ok ] || fail "still damaged after $stmt"
[ "$(check integrity status)" = ok ] || fail "integrity is not ok after $stmt"
[ "$(check constraint_violations status)" = ok ] || fail "constraint_violations after $stmt"
echo "ok: the plan's REINDEX, run in the sqlite3 shell, repairs the file"
