#!/usr/bin/env bash
# The check that runs before every changing call (sqlite/book/bookkeeping.c,
# layout_current) tells a file with the current bookkeeping layout from one
# that lacks a part of it: after any one bookkeeping table (or the index the
# upgrade to version 2 made) is dropped by hand, dbmigrate_repair() makes it
# again and the bookkeeping schema is exactly a fresh file's; on a current
# file a changing call changes no schema.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"

book_schema() {
  sqlite3 "$1" "SELECT type, name, tbl_name, sql FROM sqlite_schema
                 WHERE name LIKE 'dbcare\_%' ESCAPE '\' ORDER BY name"
}
schema_version() { sqlite3 "$1" "PRAGMA schema_version"; }
change() { db="$1" q "SELECT dbcare_set('health.fragmentation.warn', '$2')" > /dev/null; }

fresh="$work/fresh.db"
change "$fresh" 31
expected=$(book_schema "$fresh")
[ -n "$expected" ] || fail "a changing call made no bookkeeping tables"

# a current file: the check passes, nothing is made again
v=$(schema_version "$fresh")
change "$fresh" 32
[ "$(schema_version "$fresh")" = "$v" ] || fail "a changing call on a current file changed its schema"

tables=$(sqlite3 "$fresh" "SELECT name FROM sqlite_schema WHERE type = 'table'
                           AND name LIKE 'dbcare\_%' ESCAPE '\' ORDER BY name")
for what in "INDEX dbcare_migrations_checksums" \
            $(for t in $tables; do echo "TABLE:$t"; done); do
  what=${what/:/ }
  db="$work/damaged.db"
  cp "$fresh" "$db"
  sqlite3 "$db" "DROP $what"
  [ "$(book_schema "$db")" != "$expected" ] || fail "DROP $what changed nothing"
  db="$db" q "SELECT dbmigrate_repair()" > /dev/null
  diff -u <(echo "$expected") <(book_schema "$db") ||
    fail "after DROP $what a changing call did not restore the fresh layout (above: - fresh)"
done
echo ok
