#!/usr/bin/env bash
# The integrity check's message on damaged files: one problem per line of
# the pragma (its "*** in database main ***" header is not glued to the
# first problem), and the page detail quick_check / integrity_check gave
# before failing with "database disk image is malformed" is kept beside it.
set -euo pipefail
. "$(dirname "$0")/lib/sqlite.sh"

expect_in() { # description text want
  case "$2" in
    *"$3"*) echo "ok: $1" ;;
    *) fail "$1: '$3' not in '$2'" ;;
  esac
}
expect_not_in() { # description text unwanted
  case "$2" in
    *"$3"*) fail "$1: '$3' in '$2'" ;;
    *) echo "ok: $1" ;;
  esac
}

db="$work/clean.db"
# 1 KiB pages and fixed rows: page 5 is a leaf of table t.
q "PRAGMA page_size = 1024;
   CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL);
   CREATE INDEX t_v ON t (v);
   WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
   INSERT INTO t SELECT i, printf('value-%04d', i) FROM n;"

damage() { # file offset-in-page-5: two bytes of the page header become 0xffff
  cp "$work/clean.db" "$1"
  /usr/bin/python3 - "$1" "$2" <<'PY'
import sys
with open(sys.argv[1], "r+b") as f:
    f.seek(4 * 1024 + int(sys.argv[2]))
    f.write(b"\xff\xff")
PY
}

# The first freeblock offset: quick_check answers one row, header and problem.
db="$work/freespace.db"
damage "$db" 1
msg=$(q "SELECT json_extract(dbhealth_report('standard'), '\$.checks[0].message')")
expect_in "the problem follows the count directly" "$msg" "1 storage problem: Page 5:"
expect_not_in "no pragma header in the message" "$msg" "***"

# The cell count: integrity_check names the page, then fails as malformed.
db="$work/malformed.db"
damage "$db" 3
msg=$(q "SELECT json_extract(dbhealth_report('full'), '\$.checks[0].message')")
expect_in "the page detail is kept" "$msg" "Page 5: btreeInitPage() returns error code 11"
expect_in "the error is reported too" "$msg" "database disk image is malformed"
expect_in "both counted" "$msg" "2 storage problems"

# Duplicates under a unique index whose name needs quoting (a file written
# by a tool that made the index UNIQUE after the rows were in): the hint's
# REINDEX, pasted as it stands once the duplicates are gone, mends it.
db="$work/quoted.db"
q "CREATE TABLE \"my table\" (a INT, b INT);
   INSERT INTO \"my table\" VALUES (1, 1), (1, 2), (2, 2);
   CREATE INDEX \"Idx \"\"a\"\"\" ON \"my table\" (a);
   PRAGMA writable_schema = ON;
   UPDATE sqlite_schema SET sql = 'CREATE UNIQUE INDEX \"Idx \"\"a\"\"\" ON \"my table\" (a)'
    WHERE type = 'index';"
hint=$(q "SELECT hint FROM dbhealth_checks('full') WHERE name = 'integrity'")
expect_in "the hint names the index" "$hint" "then REINDEX "
reindex=${hint##*then }
reindex=${reindex%.}
q "DELETE FROM \"my table\" WHERE rowid = 2"
q "$reindex" || fail "the hint's statement does not run: $reindex"
expect_in "after the hint's REINDEX: ok" \
  "$(q "SELECT status FROM dbhealth_checks('full') WHERE name = 'integrity'")" ok
