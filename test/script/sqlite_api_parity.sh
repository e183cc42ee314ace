#!/usr/bin/env bash
# The module registers exactly the API table's SQLite functions
# (core/api/functions.h): every scalar function read back from
# pragma_function_list (name, argument count, DETERMINISTIC / INNOCUOUS /
# DIRECTONLY) and every virtual table from pragma_module_list with its
# columns and HIDDEN argument columns (pragma_table_xinfo), against the
# generator's description of the table (api_sql sqlite-expect), both ways.
# What the module adds is what a connection lists after loading it and not
# before; dbcare_internal_state (the holder of the connection's state,
# sqlite/api/entry.c) and the module's override of the built-in
# sqlite_compileoption_used (the audit's shared triggers ask it whether this
# connection writes their entries itself: sqlite/audit/audit_direct.c; other
# arguments go to SQLite's own) are the registrations outside the table.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
gen="$root/build/gen/api_sql"
[ -x "$gen" ] || fail "$gen is not built (make)"

cat > "$work/list.sql" <<'SQL'
SELECT 'function ' || name || ' ' || narg || ' ' ||
       trim(iif(flags & 2048, 'deterministic,', '') ||      -- SQLITE_DETERMINISTIC
            iif(flags & 2097152, 'innocuous,', '') ||       -- SQLITE_INNOCUOUS
            iif(flags & 524288, 'directonly,', ''), ',')    -- SQLITE_DIRECTONLY
  FROM pragma_function_list
 WHERE name NOT IN ('dbcare_internal_state', 'sqlite_compileoption_used');
SELECT 'module ' || name FROM pragma_module_list;
SQL
sqlite3 -batch :memory: < "$work/list.sql" | LC_ALL=C sort > "$work/before"
sqlite3 -batch -cmd ".load $module" :memory: < "$work/list.sql" | LC_ALL=C sort > "$work/after"
LC_ALL=C comm -13 "$work/before" "$work/after" > "$work/added"
grep '^function ' "$work/added" > "$work/registered" || true
# each virtual table: its columns, then its HIDDEN (argument) columns, in order
sed -n 's/^module //p' "$work/added" | while read -r name; do
  sqlite3 -batch -cmd ".load $module" :memory: \
    "SELECT 'table $name ' ||
            coalesce((SELECT group_concat(name, ',') FROM
                        (SELECT name FROM pragma_table_xinfo('$name') WHERE hidden = 0 ORDER BY cid)), '')
            || ' ' ||
            coalesce((SELECT group_concat(name, ',') FROM
                        (SELECT name FROM pragma_table_xinfo('$name') WHERE hidden <> 0 ORDER BY cid)), '')"
done >> "$work/registered"
LC_ALL=C sort "$work/registered" -o "$work/registered"
"$gen" sqlite-expect | LC_ALL=C sort > "$work/table"
[ "$(wc -l < "$work/table")" -gt 30 ] || fail "too few SQLite registrations in the table"
diff -u "$work/table" "$work/registered" ||
  fail "the module's functions differ from core/api/functions.h (above: - table, + SQLite)"
echo "ok: $(wc -l < "$work/registered") registrations as the table declares them"
