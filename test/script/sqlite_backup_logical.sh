#!/usr/bin/env bash
# Logical verification (docs/backups.md, "Logical verification"): every
# backup records each table's row count and content hash at the copy's
# moment, and dbbackup_verify compares them, naming the table. One row
# deleted from a 100,000-row table inside the copy, or one value changed,
# by a raw SQL edit that leaves the file integrity-clean, fails verification
# with the table's name. A catalog at bookkeeping version 6 (no content
# column) verifies its rows as before and is upgraded by the next backup.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"

db="$work/app.db"
sqlite3 "$db" "PRAGMA journal_mode = wal;
  CREATE TABLE big (id INTEGER PRIMARY KEY, v TEXT, n REAL, b BLOB);
  INSERT INTO big (v, n, b) SELECT 'value-' || value, value / 7.0, randomblob(8)
    FROM generate_series(1, 100000);
  CREATE TABLE small (k TEXT, v INTEGER);   -- no key: equal rows may repeat
  INSERT INTO small VALUES ('a', 1), ('a', 1), ('b', NULL);" >/dev/null
for name in good deleted changed swapped; do
  q "SELECT dbbackup_create('$work/$name.db')" >/dev/null
done
# (beside dbcare's own tables, made before the first copy)
[ "$(q "SELECT group_concat(json_extract(t.value, '\$[0]') || ':' || json_extract(t.value, '\$[1]'))
        FROM dbcare_backups, json_each(content, '\$.tables') t
        WHERE dbcare_backups.path = '$work/good.db' AND json_extract(t.value, '\$[0]') IN ('big', 'small')")" = "big:100000,small:3" ] ||
  fail "the catalog row keeps no per-table content: $(q "SELECT content FROM dbcare_backups LIMIT 1")"

refused() { # refused NAME PATTERN
  local out
  if out=$(q "SELECT dbbackup_verify('$work/$1.db')" 2>&1); then fail "$1: verified: $out"; fi
  printf '%s' "$out" | grep -q "dbcare: backup .*$1.db failed verification: $2" ||
    fail "$1: wrong error: $out"
  [ "$(q "SELECT status FROM dbbackup_list WHERE path = '$work/$1.db'")" = failed ] ||
    fail "$1: the catalog row is not failed"
}
clean() { [ "$(sqlite3 "$1" "PRAGMA integrity_check")" = ok ] || fail "$1 is not integrity-clean"; }

# one row deleted: integrity_check passes, the count names the table
sqlite3 "$work/deleted.db" "DELETE FROM big WHERE id = 54321"
clean "$work/deleted.db"
refused deleted "table big has 99999 rows, the source had 100000"

# one value changed, as many rows: only the content hash sees it
sqlite3 "$work/changed.db" "UPDATE big SET n = n + 1e-9 WHERE id = 77777"
clean "$work/changed.db"
refused changed "table big holds other rows than the source"

# one of two equal rows changed into the other row's twin: counts equal,
# and the change would cancel out under a xor of row hashes
sqlite3 "$work/swapped.db" "UPDATE small SET k = 'b', v = NULL WHERE rowid = 2"
clean "$work/swapped.db"
refused swapped "table small holds other rows than the source"

q "SELECT json_extract(dbbackup_verify('$work/good.db'), '\$.verified')" | grep -qx 1 ||
  fail "the untouched copy did not verify"

# a catalog at bookkeeping version 6: rows without content verify as before
# (the verify, a changing call, upgrades the file; its old rows keep no content)
old="$work/old.db"
sqlite3 "$db" ".backup '$old'"
# (a copy: its backups name the original, named as their origin)
export DBCARE_BACKUP_ALLOW_ORIGIN="$db"
sqlite3 "$old" "ALTER TABLE dbcare_backups DROP COLUMN content; ALTER TABLE dbcare_backups DROP COLUMN method;
  ALTER TABLE dbcare_backups DROP COLUMN base_id; ALTER TABLE dbcare_backups DROP COLUMN page_hashes;
  UPDATE dbcare_bookkeeping SET version = 6"
db="$old" q "SELECT json_extract(dbbackup_verify('$work/good.db'), '\$.verified')" | grep -qx 1 ||
  fail "a row without content did not verify"
db="$old" q "SELECT dbbackup_create('$work/after-upgrade.db')" >/dev/null
[ "$(sqlite3 "$old" "SELECT version >= 7 FROM dbcare_bookkeeping;
  SELECT json_extract(content, '\$.tables[0][0]') || json_extract(content, '\$.tables[0][1]') FROM dbcare_backups
  WHERE path = '$work/after-upgrade.db'")" = "$(printf '1\nbig100000')" ] ||
  fail "the version 6 catalog was not upgraded"
echo "ok: a deleted or changed row fails verification, naming its table"
