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

# Damage that names no index (a page no table or index uses): no statement
# repairs it, only a restore, and the plan's row for it is not `safe`
# (issue 62): a restore replaces the data, so it is `destructive`, and
# dbmaintain_run never counts it among the rows it runs unasked.
pages=$(q "PRAGMA page_count")
/usr/bin/python3 - "$db" "$pages" "$psize" <<'PY'
import sys
path, pages, psize = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(path, "r+b") as f:
    f.seek(0, 2)
    f.write(b"\0" * psize)           # one page more ...
    f.seek(28)
    f.write((pages + 1).to_bytes(4, "big"))  # ... that the header counts
PY
msg=$(q "SELECT message FROM dbhealth_checks('full') WHERE name = 'integrity'")
case "$msg" in
  *"never used"*) echo "ok: a page no object uses: $msg" ;;
  *) echo "FAIL: the extra page is not reported: $msg"; exit 1 ;;
esac
expect "the restore row's safety class" \
  "$(q "SELECT group_concat(safety) FROM dbmaintain_plan('full') WHERE action = 'restore'")" destructive
expect "dbmaintain_run does not run or offer it as safe" \
  "$(q "SELECT count(*) FROM dbmaintain_run('full') WHERE action = 'restore' AND (safety = 'safe' OR status = 'done')")" 0
