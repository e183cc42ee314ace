#!/usr/bin/env bash
# dbbackup_create / dbbackup_verify / dbbackup_list / dbbackup_prune and the
# backups health check on SQLite (docs/backups.md): a verified copy of a WAL
# and of a rollback-journal database; a damaged copy refused by verify and
# marked failed; bad targets (a directory, an existing file, a missing or
# unwritable directory, a full disk) refused with a "dbcare: " error,
# nothing recorded and no file left under the name, nor when the catalog
# write fails; retention that deletes
# catalogued files only and keeps the newest verified backup; the check's
# skip, warning and critical.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"

bk="$work/backups"
mkdir -p "$bk"
expect_error() { # expect_error PATTERN SQL...: the call fails with a dbcare: message matching PATTERN
  local pattern=$1; shift
  local out
  if out=$(q "$@" 2>&1); then fail "expected an error for: $*; got: $out"; fi
  printf '%s\n' "$out" | grep -q "dbcare: " || fail "no dbcare: prefix: $out"
  printf '%s\n' "$out" | grep -Eq "$pattern" || fail "error does not match /$pattern/: $out"
}
no_temp_left() { ! ls "$bk" | grep -q '\.tmp-' || fail "a temporary copy was left: $(ls "$bk")"; }

for mode in wal delete; do
  db="$work/src-$mode.db"
  sqlite3 "$db" "PRAGMA journal_mode = $mode;
    CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);
    CREATE TABLE u (a, b); CREATE INDEX u_a ON u (a);
    INSERT INTO t (v) SELECT hex(randomblob(50)) FROM generate_series(1, 3000);
    INSERT INTO u SELECT value, value FROM generate_series(1, 500);" > /dev/null
  out=$(q "SELECT dbbackup_create('$bk/$mode.db')")
  for key in path bytes pages duration_ms fingerprint rows_digest; do
    printf '%s' "$out" | grep -q "\"$key\":" || fail "$mode: no $key in $out"
  done
  printf '%s' "$out" | grep -q '"verified":true' || fail "$mode: not verified: $out"
  # 3,500 rows and dbcare's bookkeeping row (the database's identity,
  # made before the copy so the copy carries it)
  printf '%s' "$out" | grep -q '"rows":3501' || fail "$mode: row count: $out"
  [ -f "$bk/$mode.db" ] || fail "$mode: no backup file"
  [ ! -e "$bk/$mode.db-wal" ] || fail "$mode: the copy wants a -wal file"
  [ "$(sqlite3 "$bk/$mode.db" 'PRAGMA journal_mode; SELECT count(*) FROM t')" = "$(printf 'delete\n3000')" ] ||
    fail "$mode: the copy is not a standalone file with the rows"
  no_temp_left
  [ "$(q "SELECT status, \"exists\" FROM dbbackup_list WHERE path = '$bk/$mode.db'")" = "verified|1" ] ||
    fail "$mode: catalog row: $(q 'SELECT * FROM dbbackup_list')"
  q "SELECT dbbackup_verify('$bk/$mode.db')" | grep -q '"verified":true' || fail "$mode: re-verify"
done
echo "ok: WAL and rollback-journal databases backed up, verified, listed"

db="$work/src-wal.db"
# the transaction is the caller's: refused inside it, and it stays usable
out=$(q "BEGIN; INSERT INTO t (v) VALUES ('x');" "SELECT dbbackup_create('$bk/in-txn.db');" \
        "SELECT count(*) FROM t WHERE v = 'x'; COMMIT;" 2>&1 || true)
printf '%s' "$out" | grep -q "dbcare: a backup cannot be taken inside a transaction" ||
  fail "inside a transaction: $out"
[ ! -e "$bk/in-txn.db" ] || fail "a file was written inside a transaction"

# bad targets
expect_error "is a directory" "SELECT dbbackup_create('$bk')"
expect_error "already exists" "SELECT dbbackup_create('$bk/wal.db')"
expect_error "does not exist" "SELECT dbbackup_create('$work/nowhere/x.db')"
expect_error "backup.dir is not set" "SELECT dbbackup_create()"
# the catalog write refused (nothing committed): the published file goes
# with it, so a retry to the name works; the same for a sealed one
q "CREATE TRIGGER refuse_record BEFORE INSERT ON dbcare_backups
   BEGIN SELECT RAISE(ABORT, 'no room for records'); END"
expect_error "no room for records" "SELECT dbbackup_create('$bk/unrecorded.db')"
[ ! -e "$bk/unrecorded.db" ] || fail "an unrecorded backup stayed under its name"
no_temp_left
q "DROP TRIGGER refuse_record"
q "SELECT dbbackup_create('$bk/unrecorded.db')" | grep -q '"verified":true' ||
  fail "the retry to an unrecorded backup's name failed"
if command -v setpriv > /dev/null && [ "$(id -u)" = 0 ]; then
  ro="$work/ro"; mkdir -p "$ro"; chmod 755 "$work" "$ro"
  cp "$db" "$work/nobody.db"; chmod 666 "$work/nobody.db"; chmod 777 "$work"
  out=$(setpriv --reuid=65534 --regid=65534 --clear-groups \
          sqlite3 -batch -cmd ".load $module" "$work/nobody.db" \
          "SELECT dbbackup_create('$ro/x.db')" 2>&1 || true)
  printf '%s' "$out" | grep -q "dbcare: backup directory .* is not writable" ||
    fail "unwritable directory: $out"
fi
# a full disk: the file size limit (SIGXFSZ ignored, so write() fails)
n_before=$(q "SELECT count(*) FROM dbbackup_list")
out=$( (trap '' XFSZ; ulimit -f 64; q "SELECT dbbackup_create('$bk/full.db')") 2>&1 || true)
printf '%s' "$out" | grep -q "dbcare: could not write the backup copy" || fail "disk full: $out"
[ ! -e "$bk/full.db" ] || fail "a partial file was left under the final name"
no_temp_left
[ "$(q "SELECT count(*) FROM dbbackup_list")" = "$n_before" ] || fail "a failed backup was recorded"
# a really full disk: a 64 KB tmpfs, where one can be mounted (root)
mnt="$work/tiny"; mkdir -p "$mnt"
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=64k tmpfs "$mnt" 2>/dev/null; then
  trap 'umount "$mnt" 2>/dev/null || true; rm -rf "$work"' EXIT
  out=$(q "SELECT dbbackup_create('$mnt/full.db')" 2>&1 || true)
  printf '%s' "$out" | grep -q "dbcare: could not write the backup copy: database or disk is full" ||
    fail "ENOSPC: $out"
  [ -z "$(ls -A "$mnt")" ] || fail "ENOSPC: files left behind: $(ls -A "$mnt")"
  [ "$(q "SELECT count(*) FROM dbbackup_list")" = "$n_before" ] || fail "ENOSPC: recorded"
  umount "$mnt"
fi
echo "ok: bad targets and a full disk refused, nothing recorded, no file left"

# a damaged copy: verify fails, its row says failed; an uncatalogued damaged file too
cp "$bk/wal.db" "$bk/damaged.db"
q "SELECT dbbackup_create('$bk/d.db')" > /dev/null
printf 'garbage%.0s' $(seq 1 800) | dd of="$bk/d.db" bs=1 seek=4096 conv=notrunc status=none
expect_error "failed verification|not a readable database|malformed" "SELECT dbbackup_verify('$bk/d.db')"
[ "$(q "SELECT status FROM dbbackup_list WHERE path = '$bk/d.db'")" = failed ] ||
  fail "a damaged backup is not marked failed: $(q 'SELECT * FROM dbbackup_list')"
head -c 5000 /dev/urandom > "$bk/noise.db"
expect_error "not a readable database|cannot open" "SELECT dbbackup_verify('$bk/noise.db')"
echo "ok: damaged backups fail verification and are marked failed"

# retention: catalogued files only; the newest verified one always stays
q "SELECT dbcare_set('backup.dir', '$bk')" > /dev/null
q "SELECT dbbackup_create()" > /dev/null
newest=$(q "SELECT path FROM dbbackup_list WHERE status = 'verified' ORDER BY id DESC LIMIT 1")
case "$newest" in "$bk"/src-wal-*Z.db) ;; *) fail "default name: $newest" ;; esac
total=$(q "SELECT count(*) FROM dbbackup_list")
q "SELECT dbbackup_prune(0)" | grep -q '"dry_run":true' || fail "prune is not a dry run by default"
[ "$(q "SELECT count(*) FROM dbbackup_list WHERE \"exists\"")" = "$total" ] || fail "a dry run deleted"
q "SELECT dbbackup_prune(0, NULL, 0)" > /dev/null
[ "$(q "SELECT path FROM dbbackup_list")" = "$newest" ] ||
  fail "prune(0) should keep only the newest verified: $(q 'SELECT * FROM dbbackup_list')"
[ -f "$newest" ] && [ -f "$bk/damaged.db" ] && [ -f "$bk/noise.db" ] ||
  fail "prune deleted a file it did not catalogue, or the newest verified one"
[ ! -e "$bk/wal.db" ] && [ ! -e "$bk/d.db" ] || fail "prune left a catalogued file"
# a row naming a file dbcare did not make (a hand edit, a hostile file's
# catalog): a text file, another database, a link to the newest backup --
# none of them is deleted, and the answer names them
echo "precious" > "$work/precious.txt"
sqlite3 "$work/other.db" "CREATE TABLE other (x)"
ln -s "$newest" "$work/link.db"
q "INSERT INTO dbcare_backups (kind, path, created_at, fingerprint, status)
   SELECT 'file', p, '2000-01-01T00:00:00.000Z', f, 'verified'
     FROM (SELECT '$work/precious.txt' AS p UNION ALL SELECT '$work/other.db' UNION ALL SELECT '$work/link.db'),
          (SELECT fingerprint AS f FROM dbbackup_list WHERE path = '$newest')"
out=$(q "SELECT dbbackup_prune(0, NULL, 0)")
[ -f "$work/precious.txt" ] && [ -f "$work/other.db" ] && [ -L "$work/link.db" ] && [ -f "$newest" ] ||
  fail "prune deleted a file that is not its backup: $out"
printf '%s' "$out" | grep -q '"not_backups":\[' || fail "prune does not name what it refused: $out"
[ "$(q "SELECT count(*) FROM dbbackup_list")" = 4 ] || fail "refused rows were dropped: $(q 'SELECT * FROM dbbackup_list')"
q "DELETE FROM dbcare_backups WHERE path <> '$newest'"
expect_error "keep_count, keep_days" "SELECT dbbackup_prune()"
echo "ok: prune deletes catalogued files only and keeps the newest verified backup"

# the health check
db="$work/fresh.db"
sqlite3 "$db" "CREATE TABLE a (x INTEGER PRIMARY KEY)"
check() { q "SELECT status FROM dbhealth_checks('quick') WHERE name = 'backups'"; }
[ "$(check)" = skipped ] || fail "no backup yet: $(check)"
q "SELECT dbcare_set('health.backups.required', 'on')" > /dev/null
[ "$(check)" = critical ] || fail "required, none: $(check)"
q "SELECT dbbackup_create('$bk/fresh.db')" > /dev/null
[ "$(check)" = ok ] || fail "fresh backup: $(check)"
q "UPDATE dbcare_backups SET created_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-30 hours')"
[ "$(check)" = warning ] || fail "30 h old: $(check)"
q "UPDATE dbcare_backups SET created_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-60 hours')"
[ "$(check)" = critical ] || fail "60 h old: $(check)"
q "SELECT dbcare_set('health.backups.max_age', '100')" > /dev/null
[ "$(check)" = ok ] || fail "max_age 100: $(check)"
echo "ok: the backups check: skipped, critical, ok, warning, critical, by max_age"

# migrate.backup_before: a verified backup first, named in the history rows
db="$work/migrated.db"
mb="$work/migrate-backups"; mkdir -p "$mb"
q "SELECT dbcare_set('migrate.backup_before', 'on');
   SELECT dbmigrate_add('1', 'one', 'CREATE TABLE one (a)', 'DROP TABLE one');" > /dev/null
expect_error "backup.dir is not set" "SELECT dbmigrate_apply()"
[ "$(q "SELECT count(*) FROM dbcare_migrations_applied")" = 0 ] || fail "applied without its backup"
q "SELECT dbcare_set('backup.dir', '$mb')" > /dev/null
q "SELECT dbmigrate_apply()" > /dev/null
q "SELECT dbmigrate_apply()" > /dev/null   # nothing pending: no backup
q "SELECT dbmigrate_rollback('0')" > /dev/null
got=$(q "SELECT h.direction, b.status, b.path = h.backup FROM dbcare_migrations_history h
         JOIN dbbackup_list b ON b.path = h.backup ORDER BY h.id")
[ "$got" = "$(printf 'up|verified|1\ndown|verified|1')" ] || fail "history names its backups: $got"
[ "$(q "SELECT count(*) FROM dbbackup_list")" = 2 ] || fail "a no-op apply took a backup"
[ "$(ls "$mb" | wc -l)" = 2 ] || fail "backup files: $(ls "$mb")"
# the backup before the apply holds the schema before it
[ "$(sqlite3 "$(q "SELECT backup FROM dbcare_migrations_history WHERE direction = 'up'")" \
      "SELECT count(*) FROM sqlite_schema WHERE name = 'one'")" = 0 ] || fail "the backup is not from before"
out=$(q "BEGIN;" "SELECT dbmigrate_apply();" "ROLLBACK;" 2>&1 || true)
printf '%s' "$out" | grep -q "dbcare: a backup cannot be taken inside a transaction" ||
  fail "apply inside a transaction with backup_before: $out"
echo "ok: migrate.backup_before backs up first and names the backup in the history"

# table names with a newline, a tab, quotes: counted like any other table
db="$work/odd-names.db"
sqlite3 "$db" "CREATE TABLE \"line
break\" (x); INSERT INTO \"line
break\" VALUES (1), (2);
CREATE TABLE \"tab	'quote\"\"\" (y); INSERT INTO \"tab	'quote\"\"\" VALUES (3);"
out=$(q "SELECT dbbackup_create('$bk/odd-names.db')" 2>&1) || fail "odd table names: $out"
# (beside dbcare's tables and its bookkeeping row, made before the copy)
tables=$(sqlite3 "$bk/odd-names.db" "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name <> 'dbcare_backup_stamp'")
[ "$tables" -gt 2 ] || fail "odd-names: the copy has no bookkeeping"
printf '%s' "$out" | grep -q "\"tables\":$tables,\"rows\":4" || fail "odd table names counted: $out"
q "SELECT dbbackup_verify('$bk/odd-names.db')" | grep -q '"verified":true' || fail "odd names: re-verify"
echo "ok: table names with a newline, a tab and quotes"
