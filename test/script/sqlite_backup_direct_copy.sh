#!/usr/bin/env bash
# The direct copy (docs/backups.md, "Rows are read once"): a database in
# rollback-journal mode is copied straight from its file, in chunks of 256
# pages, inside the backup's read transaction. At page sizes 512, 4096 and
# 65536, with a last chunk that is not full, the copy holds the source's
# rows and verifies; a writer that commits while the copy is read waits
# for it (the copy is one moment); an incremental's image holds the
# source's rows; on unix-none the backup API copies; a file size limit
# reached in the middle fails with "database or disk is full" and leaves
# no file.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"

rows() { sqlite3 "$1" "SELECT hex(sha3_query('SELECT * FROM t ORDER BY id'))"; }
for ps in 512 4096 65536; do
  db="$work/p$ps.db"
  sqlite3 "$db" "PRAGMA page_size = $ps; CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB);
    INSERT INTO t (b) SELECT randomblob(200 + value % 700) FROM generate_series(1, 3000);" >/dev/null
  pages=$(q "PRAGMA page_count")
  [ $(( pages % 256 )) != 0 ] || fail "page size $ps: $pages pages, a whole number of chunks"
  q "SELECT dbbackup_create('$work/p$ps-copy.db')" >/dev/null
  [ "$(q "PRAGMA journal_mode")" = delete ] || fail "the source is not in rollback-journal mode"
  [ "$(rows "$work/p$ps-copy.db")" = "$(rows "$db")" ] || fail "page size $ps: the copy holds other rows"
  [ "$(sqlite3 "$work/p$ps-copy.db" "PRAGMA page_size; PRAGMA integrity_check")" = "$(printf '%s\nok' "$ps")" ] ||
    fail "page size $ps: the copy's page size or integrity"
  q "SELECT json_extract(dbbackup_verify('$work/p$ps-copy.db'), '$.verified')" | grep -qx 1 ||
    fail "page size $ps: the copy does not verify"
done

# a database opened on unix-none (no locks: its file is not known to be
# the snapshot) is copied through the backup API and compared page for
# page instead; the copy verifies all the same
db="$work/p4096.db"
out=$(sqlite3 -batch -cmd ".load $module" "file:$db?vfs=unix-none" \
  "SELECT json_extract(dbbackup_create('$work/unlocked.db'), '$.verified')")
[ "$out" = 1 ] || fail "unix-none: $out"
[ "$(rows "$work/unlocked.db")" = "$(rows "$db")" ] || fail "unix-none: the copy holds other rows"

# a writer waits for the copy's read transaction: the copy is of one
# moment, before or after the writer's commit, never between
db="$work/p4096.db"
sqlite3 "$db" "INSERT INTO t (b) SELECT randomblob(3000) FROM generate_series(1, 20000)" >/dev/null
before=$(rows "$db")
(sleep 0.05; sqlite3 -cmd ".timeout 20000" "$db" "DELETE FROM t WHERE id % 2 = 0") &
writer=$!
# (the catalog row, written after the copy, waits for the writer's commit)
sqlite3 -batch -cmd ".load $module" -cmd ".timeout 20000" "$db" \
  "SELECT dbbackup_create('$work/moment.db')" >/dev/null
wait $writer
got=$(rows "$work/moment.db")
[ "$got" = "$before" ] || [ "$got" = "$(rows "$db")" ] || fail "the copy is of no single moment"

# an incremental reads the file the same way: its chain's image holds
# the source's rows
sqlite3 "$db" "UPDATE t SET b = randomblob(3000) WHERE id BETWEEN 5000 AND 5100" >/dev/null
q "SELECT dbbackup_create('$work/incr.db', 'incremental')" >/dev/null
q "SELECT json_extract(dbbackup_verify('$work/incr.db', '$work/image.db'), '$.verified')" | grep -qx 1 ||
  fail "the incremental does not verify"
[ "$(rows "$work/image.db")" = "$(rows "$db")" ] || fail "the incremental's image holds other rows"

# a file size limit in the middle of the copy (SIGXFSZ ignored, so write()
# fails): the error, no file, nothing recorded
n_before=$(q "SELECT count(*) FROM dbcare_backups")
out=$( (trap '' XFSZ; ulimit -f 2048; q "SELECT dbbackup_create('$work/limited.db')") 2>&1 || true)
printf '%s' "$out" | grep -q "dbcare: could not write the backup copy: database or disk is full" ||
  fail "file size limit: $out"
[ ! -e "$work/limited.db" ] || fail "a partial copy under the final name"
ls "$work" | grep -q 'limited.db.tmp-' && fail "the temporary copy was left"
[ "$(q "SELECT count(*) FROM dbcare_backups")" = "$n_before" ] || fail "the failed copy was recorded"
echo "ok: the direct copy at three page sizes, under a writer, at a size limit"
