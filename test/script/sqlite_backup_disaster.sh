#!/usr/bin/env bash
# The day the database is gone (issue 50.1): for every SQLite backup kind
# (full, incremental chain, sealed full, sealed chain mixing sealed and
# plain links) the database file and its -wal and -shm are deleted, and
# `dbcare restore FILE --db sqlite:NEW` rebuilds it into a new file from
# the backup files alone (plus the key): no catalog, no original database.
# The chain is found from the files themselves (each incremental names its
# base's SHA-256), beside FILE or in --from DIR; every table's row count
# and content hash is the source's at the backup's moment. A missing link,
# a swapped file, a wrong key are errors naming the backup file, never a
# descriptor, and leave nothing where nothing was: no NEW, no -journal,
# -wal or -shm of it (a file that was there before stays). dbbackup_verify(FILE, IMAGE) on
# a fresh connection builds the chain too. The newest incremental file
# carries its own record (every table's row count and content hash): a
# row changed in it is found without the catalog.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/built_cli.sh"

db="$work/app.db"
load_sample chinook
sqlite3 "$db" "PRAGMA journal_mode = wal" >/dev/null
head -c 32 /dev/urandom >"$work/key"
chmod 600 "$work/key"
export DBCARE_BACKUP_KEY_FILE="$work/key"
mkdir "$work/bk"

# every user table's name, row count and content hash, one line each (one
# shell reads them all: not a shell and a module load per table)
state() {
  local f=$1 t sql=
  for t in $(sqlite3 "$f" "SELECT name FROM sqlite_schema WHERE type = 'table'
      AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'dbcare_%' ORDER BY name"); do
    sql+="SELECT '$t', count(*), (SELECT hex(sha3_query('SELECT * FROM \"$t\" ORDER BY rowid'))) FROM \"$t\";
"
  done
  sqlite3 -cmd ".load $module" "$f" "$sql"
}
tables=$(sqlite3 "$db" "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'dbcare_%'")
[ "$tables" -ge 11 ] || fail "the sample has $tables tables"
backup() { # NAME METHOD: a backup into bk/, the state at its moment in $work/NAME.want
  local out
  out=$(q "SELECT dbbackup_create('$work/bk/$1', '$2')")
  echo "$out" | grep -q '"verified":true' || fail "$1: $out"
  state "$db" >"$work/$1.want"
}
change() { q "UPDATE InvoiceLine SET Quantity = Quantity + 1 WHERE rowid % $1 = 0;
  INSERT INTO Genre (Name) VALUES ('genre $1'); DELETE FROM PlaylistTrack WHERE rowid % ($1 * 3) = 1" >/dev/null; }

backup f0.db full
change 5; backup i1.db incremental
change 7; backup i2.db incremental
change 11; backup s0.db full+zstd+encrypt
change 13; backup si1.db incremental+encrypt
change 17; backup si2.db incremental
change 19; backup si3.db incremental+zstd
cmp -s "$work/f0.db.want" "$work/i2.db.want" && fail "the changes changed nothing"

# the disaster: the database and its -wal and -shm are gone
rm -f "$db" "$db-wal" "$db-shm"

n=0
for f in f0.db i1.db i2.db s0.db si1.db si2.db si3.db; do
  n=$((n + 1))
  new="$work/new$n.db"
  "$cli" restore "$work/bk/$f" --db "sqlite:$new" --module "$module" >"$work/out" 2>&1 ||
    fail "restore $f: $(cat "$work/out")"
  state "$new" >"$work/got"
  cmp -s "$work/got" "$work/$f.want" || fail "restore $f: the rows differ: $(diff "$work/$f.want" "$work/got" | head -5)"
  [ "$(sqlite3 "$new" 'PRAGMA integrity_check')" = ok ] || fail "restore $f: integrity_check"
done
echo "7 backups restored into new files, every table identical"

# an empty file in the database's place (what a user makes first) is restored into
: >"$db"
"$cli" restore "$work/bk/si3.db" --db "sqlite:$db" --module "$module" >"$work/out" 2>&1 ||
  fail "restore over an empty file: $(cat "$work/out")"
state "$db" | cmp -s - "$work/si3.db.want" || fail "restore over an empty file: the rows differ"

# the chain in another folder (--from), FILE elsewhere
mkdir "$work/elsewhere" "$work/moved"
cp "$work/bk/si2.db" "$work/elsewhere/"
cp "$work/bk/s0.db" "$work/bk/si1.db" "$work/moved/"
"$cli" restore "$work/elsewhere/si2.db" --from "$work/moved" --db "sqlite:$work/from.db" \
  --module "$module" >"$work/out" 2>&1 || fail "restore --from: $(cat "$work/out")"
state "$work/from.db" | cmp -s - "$work/si2.db.want" || fail "restore --from: the rows differ"

# dbbackup_verify(FILE, IMAGE) on a fresh connection builds the chain
out=$(sqlite3 -cmd ".load $module" "$work/fresh.db" \
  "SELECT dbbackup_verify('$work/bk/i2.db', '$work/image.db')") || fail "verify on a fresh connection: $out"
echo "$out" | grep -q '"links":3,"own_record":true' || fail "verify on a fresh connection: $out"
state "$work/image.db" | cmp -s - "$work/i2.db.want" || fail "the verified image differs"

# a missing link: an error naming the file whose base is missing, NEW empty
mkdir "$work/broken"
cp "$work/bk/f0.db" "$work/bk/i2.db" "$work/broken/"
"$cli" restore "$work/broken/i2.db" --db "sqlite:$work/b1.db" --module "$module" >"$work/out" 2>&1 &&
  fail "a chain without its middle link restored"
grep -q "backup $work/broken/i2.db builds on a file whose SHA-256 is" "$work/out" || fail "missing link: $(cat "$work/out")"
grep -q "/proc/self/fd" "$work/out" && fail "an error names a descriptor: $(cat "$work/out")"
# a failed restore into a path where nothing was leaves nothing there
left_nothing() {
  local f
  for f in "$1" "$1-journal" "$1-wal" "$1-shm"; do
    [ ! -e "$f" ] || fail "a failed restore into a new path left $f ($(stat -c %s "$f") bytes)"
  done
}
left_nothing "$work/b1.db"

# a sealed incremental whose sealed base is missing: named, not a descriptor
mkdir "$work/broken2"
cp "$work/bk/si1.db" "$work/broken2/"
"$cli" restore "$work/broken2/si1.db" --db "sqlite:$work/b2.db" --module "$module" >"$work/out" 2>&1 &&
  fail "a sealed chain without its base restored"
grep -q "backup $work/broken2/si1.db builds on" "$work/out" || fail "sealed missing base: $(cat "$work/out")"
grep -q "/proc/self/fd" "$work/out" && fail "an error names a descriptor: $(cat "$work/out")"
left_nothing "$work/b2.db"

# a link whose bytes changed is no link: the chain is not found
mkdir "$work/broken3"
cp "$work/bk/f0.db" "$work/bk/i1.db" "$work/bk/i2.db" "$work/broken3/"
printf 'X' | dd of="$work/broken3/i1.db" bs=1 seek=5000 conv=notrunc status=none
"$cli" restore "$work/broken3/i2.db" --db "sqlite:$work/b3.db" --module "$module" >"$work/out" 2>&1 &&
  fail "a chain with a changed link restored"
grep -q "backup $work/broken3/i2.db builds on" "$work/out" || fail "changed link: $(cat "$work/out")"
# ... and the changed file is named (the backup there nothing builds on),
# the intact base is not
grep -q "changed since (backups there that nothing builds on: $work/broken3/i1.db)" "$work/out" ||
  fail "the changed link is not named: $(cat "$work/out")"
left_nothing "$work/b3.db"

# a row's text changed in the newest file (its storage still sound): the
# image differs from the file's own record, nothing restored
mkdir "$work/broken4"
cp "$work/bk/f0.db" "$work/bk/i1.db" "$work/bk/i2.db" "$work/broken4/"
off=$(grep -abo 'genre 7' "$work/broken4/i2.db" | head -1 | cut -d: -f1)
[ -n "$off" ] || fail "no row text of change 7 in i2.db"
printf 'G' | dd of="$work/broken4/i2.db" bs=1 seek="$off" conv=notrunc status=none
"$cli" restore "$work/broken4/i2.db" --db "sqlite:$work/b5.db" --module "$module" >"$work/out" 2>&1 &&
  fail "a changed row restored: $(cat "$work/out")"
grep -q "backup $work/broken4/i2.db failed verification: table Genre" "$work/out" || fail "changed row: $(cat "$work/out")"
left_nothing "$work/b5.db"

# the wrong key: an error, nothing restored
head -c 32 /dev/urandom >"$work/other.key"
chmod 600 "$work/other.key"
DBCARE_BACKUP_KEY_FILE="$work/other.key" "$cli" restore "$work/bk/si3.db" --db "sqlite:$work/b4.db" \
  --module "$module" >"$work/out" 2>&1 && fail "restored with the wrong key"
grep -q "/proc/self/fd" "$work/out" && fail "an error names a descriptor: $(cat "$work/out")"
left_nothing "$work/b4.db"

# a failed restore over a file that was there (empty) keeps that file
: >"$work/b6.db"
"$cli" restore "$work/broken/i2.db" --db "sqlite:$work/b6.db" --module "$module" >"$work/out" 2>&1 &&
  fail "a chain without its middle link restored over an empty file"
[ -f "$work/b6.db" ] || fail "a failed restore deleted the file that was there before it"
[ "$(sqlite3 "$work/b6.db" "SELECT count(*) FROM sqlite_schema")" = 0 ] || fail "a failed restore left data"
echo "ok"
