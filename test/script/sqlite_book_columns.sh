#!/usr/bin/env bash
# Every SQLite bookkeeping column added to an existing table (a DBC_COL with
# .book_since, core/book/tables.c) reaches a file of the version before it,
# with no test written for it: from a file holding every part's tables
# (lib/book_sqlite.sh), for each bookkeeping version V that added columns,
# what V and later versions added is taken off (their tables, their
# columns with the indexes naming them) and the stored version set to
# V - 1, as a file of version V - 1 has it; the next changing call upgrades
# it, after which every table it has is exactly as in the fresh file
# (columns in order, indexes, triggers) and its version is the module's. A
# column whose upgrade is missing or differs from the catalogue (a step that
# forgets its index, a definition that differs) fails here.
# sqlite_upgrade.sh covers a whole 0.1.0 file (the shared tables only:
# 0.1.0 had no part's tables); this covers the parts' tables too.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/book_sqlite.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
gen="$root/build/gen/api_sql"
[ -x "$gen" ] || fail "build first: no build/gen/api_sql"

# the bookkeeping objects of the tables $2 (a file) has, as sqlite_schema states them
book_schema() {
  sqlite3 "$1" "ATTACH '$2' AS f;
                 SELECT type, name, tbl_name, sql FROM main.sqlite_schema
                 WHERE name LIKE 'dbcare\_%' ESCAPE '\' AND tbl_name LIKE 'dbcare\_%' ESCAPE '\'
                   AND tbl_name IN (SELECT name FROM f.sqlite_schema WHERE type = 'table')
                 ORDER BY name"
}

fresh="$work/fresh.db"
book_sqlite_file "$fresh" "$module" "$work"
current=$(sqlite3 "$fresh" "SELECT version FROM dbcare_bookkeeping")
"$gen" book-added-sqlite > "$work/added.txt"
grep -q '^column ' "$work/added.txt" || fail "the catalogue names no SQLite column added to a table"
versions=$(awk '$1 == "column" { print $2 }' "$work/added.txt" | sort -n -u)
[ "$(tail -n 1 <<<"$versions")" -le "$current" ] || fail "a column's version is above the file's ($current)"

checked=0
for v in $versions; do
  db="$work/v$v.db"
  cp "$fresh" "$db"
  # the tables of v and later; then the columns of v and later, the last
  # added first (each added at its table's end: dropped from the end, what
  # is left is version v - 1's)
  gone=$(awk -v v="$v" '$1 == "table" && $2 >= v { print $3 }' "$work/added.txt")
  drops=""
  for table in $gone; do
    # and the triggers of other tables that name it (the audited tables',
    # the chain head's)
    for trigger in $(sqlite3 "$db" "SELECT name FROM sqlite_schema WHERE type = 'trigger'
                                     AND tbl_name <> '$table' AND instr(sql, '$table') > 0"); do
      drops="$drops DROP TRIGGER IF EXISTS \"$trigger\";"
    done
    drops="$drops DROP TABLE IF EXISTS \"$table\";"
  done
  while read -r _ since table column; do
    [ "$since" -ge "$v" ] || continue
    [ "$(sqlite3 "$db" "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = '$table'")" = 1 ] ||
      continue
    grep -q -x -F "$table" <<<"$gone" && continue
    for index in $(sqlite3 "$db" "SELECT l.name FROM pragma_index_list('$table') l
                                   WHERE l.origin = 'c' AND EXISTS (SELECT 1 FROM pragma_index_info(l.name) i
                                                                    WHERE i.name = '$column')"); do
      drops="$drops DROP INDEX IF EXISTS \"$index\";"
    done
    drops="$drops ALTER TABLE \"$table\" DROP COLUMN \"$column\";"
  done < <(grep '^column ' "$work/added.txt" | tac | sort -k2,2nr -s)
  # version 1 (dbcare 0.1.0) had no version table
  [ "$v" -le 2 ] || drops="$drops UPDATE dbcare_bookkeeping SET version = $((v - 1));"
  sqlite3 -bail "$db" "$drops" ||
    fail "could not make a version $((v - 1)) file: $drops"
  [ "$(book_schema "$db" "$db")" != "$(book_schema "$fresh" "$db")" ] ||
    fail "version $((v - 1)): taking version $v's columns off changed nothing"
  q "SELECT dbcare_set('health.fragmentation.warn', '32')" > /dev/null ||
    fail "version $((v - 1)): the first changing call failed"
  diff -u <(book_schema "$fresh" "$db") <(book_schema "$db" "$db") ||
    fail "a version $((v - 1)) file upgraded differs from a fresh one (above: - fresh, + upgraded)"
  [ "$(sqlite3 "$db" "SELECT version FROM dbcare_bookkeeping")" = "$current" ] ||
    fail "version $((v - 1)): the stored version is not $current after the upgrade"
  checked=$((checked + 1))
done
[ "$checked" -gt 0 ] || fail "no version was checked"
echo "ok: $checked bookkeeping versions' added columns ($(grep -c '^column ' "$work/added.txt") columns) upgrade to a fresh file's schema"
