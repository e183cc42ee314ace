#!/usr/bin/env bash
# dbcare verify --all-backups on SQLite (docs/backups.md, docs/cli.md): every
# catalogued copy, full and incremental (as the image its chain gives), is
# verified again, oldest first, one line each; the exit status is 1 when
# any fails, and a changed base fails the incremental backup built on it
# too. Without the option, verify is still the migrations' proof.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"
db="$work/app.db"
sqlite3 "$db" "CREATE TABLE t (id INTEGER PRIMARY KEY, note TEXT);
  WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < 20000)
  INSERT INTO t SELECT i, hex(randomblob(16)) FROM g;"
run 0 backup "$work/full1.db" --db "sqlite:$db"
sqlite3 "$db" "UPDATE t SET note = 'changed' WHERE id % 100 = 0"
run 0 backup "$work/incr1.db" --incremental --db "sqlite:$db"
run 0 backup "$work/full2.db" --db "sqlite:$db"

t0=$(date +%s%N)
run 0 verify --all-backups --db "sqlite:$db"
echo "verify of three backups: $((($(date +%s%N) - t0) / 1000000)) ms"
[ "$(cat out)" = "verified $work/full1.db
verified $work/incr1.db
verified $work/full2.db" ] || fail "not one verified line per backup: $(cat out)"
has "verifying backup 3 of 3: $work/full2.db" err

# a byte of the first full copy changed: it and the incremental one on it fail
"$py" - "$work/full1.db" <<'PY'
import os, sys
with open(sys.argv[1], 'r+b') as f:
    f.seek(os.path.getsize(sys.argv[1]) // 2)
    b = f.read(1)
    f.seek(-1, 1)
    f.write(bytes([b[0] ^ 1]))
PY
run 1 verify --all-backups --db "sqlite:$db"
grep -q "^failed $work/full1.db: " out || fail "the changed copy's line: $(cat out)"
[ "$(wc -l <out)" = 3 ] || fail "not one line per backup: $(cat out)"
grep -q "^failed $work/incr1.db: " out || fail "the incremental backup on a changed base did not fail: $(cat out)"
grep -qx "verified $work/full2.db" out || fail "the good copy's line: $(cat out)"
[ "$(q "SELECT group_concat(status, ' ') FROM (SELECT status FROM dbbackup_list ORDER BY id)")" = "failed failed verified" ] ||
  fail "the catalog rows: $(q "SELECT group_concat(status, ' ') FROM dbbackup_list")"
run 1 verify --all-backups --db "sqlite:$db" --json
[ "$(json "[b['status'] for b in d['verify']]")" = "['failed', 'failed', 'verified']" ] || fail "JSON: $(cat out)"
run 2 verify --all-backups "$work/full2.db" --db "sqlite:$db"
# an empty catalog verifies nothing and succeeds
sqlite3 "$work/other.db" "CREATE TABLE x (a)"
run 0 verify --all-backups --db "sqlite:$work/other.db"
[ ! -s out ] || fail "lines for an empty catalog: $(cat out)"
echo "ok: every catalogued SQLite backup re-verified, one line each"
