#!/usr/bin/env bash
# dbbackup_verify catches a backup file changed after it was made
# (docs/backups.md, "Verification"): one byte of a row's value flipped (the
# storage check and the row counts cannot see it), the file replaced by
# another valid database with the same schema and row counts, and the file
# truncated. Each is an error, the catalog row turns failed, and
# `dbcare restore` refuses the file with the database unchanged. The
# untouched copy still verifies.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/built_cli.sh"

db="$work/app.db"
sqlite3 "$db" "PRAGMA journal_mode = wal;
  CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);
  INSERT INTO t (v) SELECT 'value-' || value FROM generate_series(1, 300);" >/dev/null
for name in good flipped replaced truncated; do
  q "SELECT dbbackup_create('$work/$name.db')" >/dev/null
done
status() { q "SELECT status FROM dbbackup_list WHERE path = '$work/$1.db'"; }
refused() { # refused NAME PATTERN: verify fails with PATTERN, the row is failed
  local out
  if out=$(q "SELECT dbbackup_verify('$work/$1.db')" 2>&1); then
    fail "$1: verified: $out"
  fi
  printf '%s' "$out" | grep -q "dbcare: backup .* failed verification: $2" ||
    fail "$1: wrong error: $out"
  [ "$(status "$1")" = failed ] || fail "$1: the catalog says $(status "$1")"
}

# one byte of one value: 'value-150' becomes 'walue-150'
off=$(grep -obaF 'value-150' "$work/flipped.db" | head -1 | cut -d: -f1)
printf 'w' | dd of="$work/flipped.db" bs=1 seek="$off" conv=notrunc 2>/dev/null
[ "$(sqlite3 "$work/flipped.db" "PRAGMA quick_check; SELECT count(*) FROM t")" = "$(printf 'ok\n300')" ] ||
  fail "the flipped copy should pass the storage check"
refused flipped "table t holds other rows than the source"
# without the table's content hash (a row of an older version), the file's
# SHA-256 still catches it
sqlite3 "$db" "UPDATE dbcare_backups SET content = NULL WHERE path = '$work/flipped.db'"
refused flipped "its content differs from the copy that was verified"

# another valid database with the same schema and row counts (the copy
# with one value changed) moved over it
cp "$work/replaced.db" "$work/other.db"
sqlite3 "$work/other.db" "UPDATE t SET v = 'changed' WHERE id = 7"
mv "$work/other.db" "$work/replaced.db"
refused replaced "table t holds other rows than the source"

# truncated to half
size=$(stat -c %s "$work/truncated.db")
truncate -s $((size / 2)) "$work/truncated.db"
refused truncated ""

# the untouched copy verifies, and its row stays verified
q "SELECT json_extract(dbbackup_verify('$work/good.db'), '\$.verified')" | grep -qx 1 ||
  fail "the good copy did not verify"
[ "$(status good)" = verified ] || fail "good: the catalog says $(status good)"

# restore refuses the flipped file; the database is unchanged
if [ -x "$cli" ]; then
  before=$(sqlite3 "$db" "SELECT group_concat(v) FROM t")
  set +e; "$cli" restore "$work/flipped.db" --db "sqlite:$db" --module "$module" >"$work/out" 2>&1; rc=$?; set -e
  [ "$rc" = 1 ] || { cat "$work/out"; fail "restore of the flipped copy: exit $rc"; }
  grep -q "did not verify" "$work/out" || fail "restore: $(cat "$work/out")"
  [ "$(sqlite3 "$db" "SELECT group_concat(v) FROM t")" = "$before" ] || fail "restore changed the database"
fi
# a changed value is caught first by the table's content hash (it names the
# table); the file's SHA-256 stays for rows without content (below)
# a catalog made before rows kept the file's SHA-256 (bookkeeping version
# 3): verify reads its rows as before; the next backup upgrades it
old="$work/old.db"
sqlite3 "$db" ".backup '$old'"
# (a copy: its backups name the original, named as their origin)
export DBCARE_BACKUP_ALLOW_ORIGIN="$db"
sqlite3 "$old" "ALTER TABLE dbcare_backups DROP COLUMN sha256; UPDATE dbcare_bookkeeping SET version = 3"
db="$old" q "SELECT json_extract(dbbackup_verify('$work/good.db'), '\$.verified')" | grep -qx 1 ||
  fail "a row without a file SHA-256 did not verify"
db="$old" q "SELECT dbbackup_create('$work/after-upgrade.db')" >/dev/null
[ "$(sqlite3 "$old" "SELECT version >= 4 FROM dbcare_bookkeeping;
  SELECT length(sha256) FROM dbcare_backups WHERE path = '$work/after-upgrade.db'")" = "$(printf '1\n64')" ] ||
  fail "the old catalog was not upgraded"
echo "ok: a flipped, replaced or truncated backup fails verification"
