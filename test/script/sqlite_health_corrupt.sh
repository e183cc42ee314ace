#!/usr/bin/env bash
# Health on a damaged file: bytes of an index page are overwritten on disk;
# the full-mode integrity check (PRAGMA integrity_check) must turn critical,
# the report must still complete, and REINDEX must clear it again.
set -euo pipefail
. "$(dirname "$0")/lib/sqlite.sh"
db="$work/corrupt.db"

expect() { # description got want
  if [ "$2" != "$3" ]; then echo "FAIL: $1: got '$2', want '$3'"; exit 1; fi
  echo "ok: $1"
}

q "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL);
   CREATE INDEX t_v ON t (v);
   WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40)
   INSERT INTO t SELECT i, printf('value-%04d', i) FROM n;"

expect "clean file: full integrity ok" \
  "$(q "SELECT status FROM dbhealth_checks('full') WHERE name = 'integrity'")" ok

root=$(q "SELECT rootpage FROM sqlite_schema WHERE name = 't_v'")
psize=$(q "PRAGMA page_size")
# The index fits in one leaf page; its keys sit at the end of the page.
# Overwrite key text there (not the page header), so the file still opens.
/usr/bin/python3 - "$db" "$root" "$psize" <<'PY'
import sys
path, root, psize = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(path, "r+b") as f:
    page = (root - 1) * psize
    f.seek(page + psize - 200)
    data = bytearray(f.read(120))
    # only letters and digits of keys change: record headers keep their sizes
    for i, b in enumerate(data):
        if chr(b).isalnum():
            data[i] = ord("Z")
    f.seek(page + psize - 200)
    f.write(data)
PY

expect "damaged index: full integrity critical" \
  "$(q "SELECT status FROM dbhealth_checks('full') WHERE name = 'integrity'")" critical
expect "the report still completes with a critical status" \
  "$(q "SELECT json_extract(dbhealth_report('full'), '\$.status')")" critical
expect "integrity takes its 50 points" \
  "$(q "SELECT penalty FROM dbhealth_checks('full') WHERE name = 'integrity'")" 50
msg=$(q "SELECT message FROM dbhealth_checks('full') WHERE name = 'integrity'")
case "$msg" in
  *t_v*) echo "ok: message names the index: $msg" ;;
  *) echo "FAIL: message does not name the index: $msg"; exit 1 ;;
esac

q "REINDEX t_v"
expect "after REINDEX: full integrity ok" \
  "$(q "SELECT status FROM dbhealth_checks('full') WHERE name = 'integrity'")" ok
expect "after REINDEX: healthy" \
  "$(q "SELECT json_extract(dbhealth_report('full'), '\$.status')")" healthy
