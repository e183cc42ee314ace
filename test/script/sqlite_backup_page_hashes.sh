#!/usr/bin/env bash
# The page hashes incremental backups find changed pages by
# (docs/backups.md, "Incremental backups"; core/backup/backup_page_hashes.c): a
# full backup keeps them in version 2 (the tag DBCPH2, a random key of its
# own, then 16 bytes a page), an incremental built on it keeps that key;
# a chain whose full backup kept version 1 (16 bytes of each page's
# SHA-256, what 0.3.6 wrote) is continued in version 1, writing only the
# pages that changed, and its image verifies.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"

db="$work/app.db"
sqlite3 "$db" "CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB NOT NULL);
  INSERT INTO t (b) SELECT randomblob(300) FROM generate_series(1, 2000);" >/dev/null
pages=$(q "PRAGMA page_count")

# version 2: tag, key, one hash a page; a key of each full backup's own
q "SELECT dbbackup_create('$work/full1.db')" >/dev/null
q "SELECT dbbackup_create('$work/full2.db')" >/dev/null
form() { q "SELECT hex(substr(page_hashes, 1, 8)), length(page_hashes) FROM dbcare_backups WHERE path LIKE '%/$1'"; }
f1=$(form full1.db)
[ "$f1" = "4442435048320000|$(( 24 + 16 * $(stat -c %s "$work/full1.db") / 4096 ))" ] ||
  fail "full1's page hashes: $f1 ($pages pages)"
key() { q "SELECT hex(substr(page_hashes, 9, 16)) FROM dbcare_backups WHERE path LIKE '%/$1'"; }
[ "$(key full1.db)" != "$(key full2.db)" ] || fail "two full backups with one key"

# an incremental keeps its base's form and key, writes the changed pages
# (the leaf, page 1, the catalog's and the stamp's pages: a handful of 180)
q "UPDATE t SET b = randomblob(300) WHERE id = 1000" >/dev/null
out=$(q "SELECT dbbackup_create('$work/inc1.db', 'incremental')")
[ "$(key inc1.db)" = "$(key full2.db)" ] || fail "the incremental changed the chain's key"
written=$(echo "$out" | sed 's/.*"pages_written":\([0-9]*\).*/\1/')
[ "$written" -ge 1 ] && [ "$written" -le 20 ] || fail "inc1 wrote $written pages: $out"
q "SELECT json_extract(dbbackup_verify('$work/inc1.db'), '$.verified')" | grep -qx 1 ||
  fail "inc1 does not verify"

# version 1: a full backup whose row keeps 0.3.6's page hashes (each
# page's SHA-256, its first 16 bytes), computed here by sha256sum
q "SELECT dbbackup_create('$work/full3.db')" >/dev/null
n=$(( $(stat -c %s "$work/full3.db") / 4096 ))
v1=$(for ((i = 0; i < n; i++)); do
  dd if="$work/full3.db" bs=4096 skip=$i count=1 2>/dev/null | sha256sum | cut -c1-32
done | tr -d '\n')
q "UPDATE dbcare_backups SET page_hashes = X'$v1' WHERE path LIKE '%/full3.db'" >/dev/null
q "UPDATE t SET b = randomblob(300) WHERE id = 10" >/dev/null
out=$(q "SELECT dbbackup_create('$work/inc3.db', 'incremental')")
written=$(echo "$out" | sed 's/.*"pages_written":\([0-9]*\).*/\1/')
# page 1, the changed leaf, and the pages the catalog's rows moved: a
# version 1 base read as anything else would have every page written
[ "$written" -ge 1 ] && [ "$written" -le $(( n / 4 )) ] || fail "inc3 wrote $written of $n pages: $out"
[ $(( $(q "SELECT length(page_hashes) FROM dbcare_backups WHERE path LIKE '%/inc3.db'") % 16 )) = 0 ] ||
  fail "the incremental on a version 1 base left its chain's form"
q "SELECT json_extract(dbbackup_verify('$work/inc3.db'), '$.verified')" | grep -qx 1 ||
  fail "inc3 does not verify"

# a form no dbcare wrote: a clear error, no file
q "UPDATE dbcare_backups SET page_hashes = X'00112233' WHERE path LIKE '%/inc3.db'" >/dev/null
if out=$(q "SELECT dbbackup_create('$work/inc4.db', 'incremental')" 2>&1); then fail "a base with a foreign form"; fi
echo "$out" | grep -q "dbcare: the base backup's page hashes are in a form this dbcare does not read" ||
  fail "foreign form: $out"
[ ! -e "$work/inc4.db" ] || fail "inc4.db exists"
echo "ok: page hashes, versions 1 and 2"
