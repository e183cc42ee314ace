#!/usr/bin/env bash
# A backup is never written at a database's own files (issue 36, item 9):
# the database file, its -journal, -wal and -shm, for main and for an
# attached database, also when named through a symlinked directory. A copy at
# "-journal" was recorded as verified, then taken by SQLite for a hot journal
# of the database (or deleted): lost. Each is refused with a dbcare: error,
# nothing is recorded and no file is left; a name of its own still works.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
mkdir "$work/data"
ln -s "$work/data" "$work/alias"
db="$work/data/app.db"
other="$work/data/other.db"
sqlite3 "$other" "CREATE TABLE o (x); INSERT INTO o VALUES (1);" > /dev/null
sqlite3 "$db" "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);
  INSERT INTO t (v) SELECT hex(randomblob(20)) FROM generate_series(1, 200);" > /dev/null

refused() { # refused PATH PATTERN [journal mode]
  local out
  if out=$(q "PRAGMA journal_mode = ${3:-delete}; ATTACH '$other' AS other; SELECT dbbackup_create('$1');" 2>&1); then
    fail "backed up to $1: $out"
  fi
  printf '%s\n' "$out" | grep -q "dbcare: backup path $1 is $2" || fail "message for $1: $out"
  [ ! -e "$1" ] || [ "$1" = "$db" ] || [ "$1" = "$other" ] || [ "${3:-}" = wal ] || fail "a file was left at $1"
}
refused "$db-journal" "the journal file of database main"
refused "$work/alias/app.db-journal" "the journal file of database main"
refused "$db-wal" "the wal file of database main"
refused "$db-shm" "the shm file of database main"
refused "$db" "the file of database main"
refused "$other-journal" "the journal file of database other"
refused "$work/alias/other.db-wal" "the wal file of database other"
refused "$db-wal" "the wal file of database main" wal
[ "$(q "SELECT count(*) FROM dbbackup_list()")" = 0 ] || fail "a refused backup was recorded"
ls "$work/data" | grep -q '\.tmp-' && fail "a temporary copy was left: $(ls "$work/data")"
q "SELECT dbbackup_create('$work/data/app-copy.db');" | grep -q '"verified":true' || fail "a plain name failed"
[ "$(sqlite3 "$db" "PRAGMA integrity_check; SELECT count(*) FROM t")" = "$(printf 'ok\n200')" ] || fail "the database"
echo ok
