#!/usr/bin/env bash
# Every SQLite bookkeeping column added to an existing table (a DBC_COL with
# .book_since, core/book/tables.c) reaches a file of the version before it,
# with no test written for it: from a file holding every part's tables
# (lib/book_sqlite.sh), for each bookkeeping version V that added columns,
# the columns of V and later are dropped (with the indexes naming them) and
# the stored version set to V - 1, as a file of version V - 1 has them;
# the next changing call upgrades it, after which its bookkeeping schema is
# exactly the fresh file's (columns in order, indexes) and its version the
# module's. A column whose upgrade is missing or differs from the catalogue
# (a step that forgets its index, a definition that differs) fails here.
# sqlite_upgrade.sh covers a whole 0.1.0 file (the shared tables only:
# 0.1.0 had no part's tables); this covers the parts' tables too.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/book_sqlite.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
gen="$root/build/gen/api_sql"
[ -x "$gen" ] || fail "build first: no build/gen/api_sql"

book_schema() {
  sqlite3 "$1" "SELECT type, name, tbl_name, sql FROM sqlite_schema
                 WHERE name LIKE 'dbcare\_%' ESCAPE '\' ORDER BY name"
}

fresh="$work/fresh.db"
book_sqlite_file "$fresh" "$module" "$work"
expected=$(book_schema "$fresh")
current=$(sqlite3 "$fresh" "SELECT version FROM dbcare_bookkeeping")
"$gen" book-added-sqlite > "$work/added.txt"
[ -s "$work/added.txt" ] || fail "the catalogue names no SQLite column added to a table"
versions=$(cut -d' ' -f1 "$work/added.txt" | sort -n -u)
[ "$(tail -n 1 <<<"$versions")" -le "$current" ] || fail "a column's version is above the file's ($current)"

checked=0
for v in $versions; do
  db="$work/v$v.db"
  cp "$fresh" "$db"
  # the columns of v and later, the last added first (each added at its
  # table's end: dropped from the end, what is left is version v - 1's)
  drops=""
  while read -r since table column; do
    [ "$since" -ge "$v" ] || continue
    [ "$(sqlite3 "$db" "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = '$table'")" = 1 ] ||
      continue
    for index in $(sqlite3 "$db" "SELECT l.name FROM pragma_index_list('$table') l
                                   WHERE l.origin = 'c' AND EXISTS (SELECT 1 FROM pragma_index_info(l.name) i
                                                                    WHERE i.name = '$column')"); do
      drops="$drops DROP INDEX IF EXISTS \"$index\";"
    done
    drops="$drops ALTER TABLE \"$table\" DROP COLUMN \"$column\";"
  done < <(tac "$work/added.txt" | sort -k1,1nr -s)
  [ -n "$drops" ] || continue
  sqlite3 -bail "$db" "$drops UPDATE dbcare_bookkeeping SET version = $((v - 1));" ||
    fail "could not make a version $((v - 1)) file: $drops"
  [ "$(book_schema "$db")" != "$expected" ] || fail "version $((v - 1)): dropping changed nothing"
  q "SELECT dbcare_set('health.fragmentation.warn', '32')" > /dev/null ||
    fail "version $((v - 1)): the first changing call failed"
  diff -u <(echo "$expected") <(book_schema "$db") ||
    fail "a version $((v - 1)) file upgraded differs from a fresh one (above: - fresh, + upgraded)"
  [ "$(sqlite3 "$db" "SELECT version FROM dbcare_bookkeeping")" = "$current" ] ||
    fail "version $((v - 1)): the stored version is not $current after the upgrade"
  checked=$((checked + 1))
done
[ "$checked" -gt 0 ] || fail "no version was checked"
echo "ok: $checked bookkeeping versions' added columns ($(wc -l < "$work/added.txt") columns) upgrade to a fresh file's schema"
