#!/usr/bin/env bash
# Every bookkeeping table is declared once, in the catalogue
# (core/book/tables.c), and both engines have exactly what it says:
#   1. no bookkeeping DDL is written by hand: pg/sql/ names its tables by
#      "-- dbcare:book <table>" lines only (no CREATE TABLE, ADD COLUMN or
#      index of a dbcare. table), and no C file of sqlite/, pg/ or cli/
#      (its families' folders too) states a CREATE TABLE or ADD COLUMN of
#      a bookkeeping table;
#   2. the open version's upgrade script, as the build writes it, holds
#      every statement of the tables and columns the catalogue says that
#      version added (make book-stanza; the build writes them at its
#      "-- dbcare:book-stanza" line, or they are written by hand there);
#   3. a fresh CREATE EXTENSION has, per bookkeeping table, the catalogue's
#      columns in its order with their types and NOT NULL, its constraints
#      and its indexes, and nothing else;
#   4. a SQLite file with every part's tables holds, per bookkeeping table
#      and index, the very text the catalogue renders (sqlite_schema).
# Files upgraded from older versions are compared with fresh ones by
# pg_upgrade.sh and sqlite_upgrade.sh.
set -eu
db=book_catalog
. "$(dirname "$0")/lib/pg.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
gen="$root/build/gen/api_sql"
module="$root/build/sqlite/dbcare.so"
[ -x "$gen" ] && [ -f "$module" ] || fail "build first: no build/gen/api_sql or build/sqlite/dbcare.so"

# ---- 1. nothing by hand
hand=$(grep -n -E -i "^[[:space:]]*(CREATE[[:space:]]+TABLE([[:space:]]+IF[[:space:]]+NOT[[:space:]]+EXISTS)?[[:space:]]+dbcare\.|ALTER[[:space:]]+TABLE[[:space:]]+(IF[[:space:]]+EXISTS[[:space:]]+)?dbcare\.[a-z_]+[[:space:]]+ADD[[:space:]]+COLUMN|CREATE[[:space:]]+(UNIQUE[[:space:]]+)?INDEX[[:space:]].*[[:space:]]ON[[:space:]]+dbcare\.)" \
  "$root"/pg/sql/*.sql || true)
[ -z "$hand" ] || fail "bookkeeping DDL written by hand in pg/sql/ (declare it in core/book/tables.c):
$hand"
# (cli/ by family: its top and every family's folder; pg/'s C, whose
# generator pg/gen/ is the one place that writes it)
hand=$(grep -n -E "\"[^\"]*(CREATE TABLE[^\"]*dbcare[._]|ADD COLUMN)" "$root"/sqlite/*/*.c $(ls "$root"/pg/*/*.c | grep -v /pg/gen/) \
         "$root"/cli/*.c "$root"/cli/*/*.c "$root"/cli/*/*/*.c |
       grep -v -F 'sqlite/book/bookkeeping.c' || true)
[ -z "$hand" ] || fail "bookkeeping DDL written by hand in C (declare it in core/book/tables.c):
$hand"
# the one ADD COLUMN of sqlite/book/bookkeeping.c is the catalogue's columns'
[ "$(grep -c '"[^"]*ADD COLUMN' "$root/sqlite/book/bookkeeping.c")" = 1 ] ||
  fail "sqlite/book/bookkeeping.c adds a column by hand: $(grep -n '"[^"]*ADD COLUMN' "$root/sqlite/book/bookkeeping.c")"
if grep -n -E "CREATE TABLE" "$root/sqlite/book/bookkeeping.c" | grep -v -E "^[0-9]+:[[:space:]]*(/\*|\*)"; then
  fail "sqlite/book/bookkeeping.c states a CREATE TABLE (above) instead of rendering the catalogue's"
fi

# ---- 2. the open version's upgrade script has its stanza
version=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$root/META.json" | head -n 1)
script=$(ls "$root"/build/upgrade/dbcare--*--"$version".sql)
[ -f "$script" ] || fail "no upgrade script to $version in build/upgrade/ (make)"
norm() { tr -s ' \t\n' '   ' | sed 's/; */;\n/g' | sed 's/^ //; s/ $//' | grep -v '^$' || true; }
have=$(grep -v '^[[:space:]]*--' "$script" | norm)
"$gen" book-stanza "$version" > "$work/stanza.sql"
[ -s "$work/stanza.sql" ] || fail "the catalogue names nothing added in $version (book-stanza is empty)"
missing=$(norm < "$work/stanza.sql" | while IFS= read -r stmt; do
  grep -q -x -F -- "$stmt" <<<"$have" || echo "$stmt"
done)
[ -z "$missing" ] || fail "$(basename "$script") lacks statements of make book-stanza:
$missing"

# ---- 3. PostgreSQL: what a fresh CREATE EXTENSION made
fresh_db
q > "$work/pg.txt" <<'SQL'
SELECT line FROM (
  SELECT c.relname AS t, 0 AS k, a.attnum AS n,
         'column ' || c.relname || ' ' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod) ||
         CASE WHEN a.attnotnull THEN ' not null' ELSE '' END AS line
  FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
  WHERE c.relnamespace = 'dbcare'::regnamespace AND c.relkind = 'r'
  UNION ALL
  SELECT c.relname, 1, 0, 'constraint ' || c.relname || ' ' || k.conname
  FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
  WHERE c.relnamespace = 'dbcare'::regnamespace AND k.contype <> 'n'
  UNION ALL
  SELECT c.relname, 2, 0, 'index ' || c.relname || ' ' || i.relname
  FROM pg_index x JOIN pg_class c ON c.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid
  WHERE c.relnamespace = 'dbcare'::regnamespace
    AND NOT EXISTS (SELECT FROM pg_constraint k WHERE k.conindid = x.indexrelid)
) l ORDER BY t, k, n
SQL
# per table its columns in order, then its constraints and indexes sorted
ordered() {
  awk '{ k = ($1 == "column") ? 0 : ($1 == "constraint" ? 1 : 2);
         printf "%s\t%d\t%06d\t%s\n", $2, k, (k == 0 ? ++n[$2] : 0), $0 }' |
    LC_ALL=C sort -t "$(printf '\t')" -k1,1 -k2,2n -k3,3n -k4,4 | cut -f4
}
"$gen" book-expect pg | ordered > "$work/pg_expect.txt"
diff -u "$work/pg_expect.txt" <(ordered < "$work/pg.txt") ||
  fail "PostgreSQL's bookkeeping tables differ from core/book/tables.c (above: - catalogue, + database)"

# ---- 4. SQLite: a file with every part's tables
sq="$work/book.db"
. "$(dirname "$0")/lib/book_sqlite.sh"
book_sqlite_file "$sq" "$module" "$work"
sqlite3 "$sq" "SELECT sql FROM sqlite_schema WHERE type IN ('table', 'index') AND sql IS NOT NULL
                AND tbl_name LIKE 'dbcare\_%' ESCAPE '\'" | LC_ALL=C sort > "$work/sqlite.txt"
"$gen" book-expect sqlite | sed 's/ IF NOT EXISTS main\./ /' | LC_ALL=C sort > "$work/sqlite_expect.txt"
diff -u "$work/sqlite_expect.txt" "$work/sqlite.txt" ||
  fail "SQLite's bookkeeping tables differ from core/book/tables.c (above: - catalogue, + file)"
echo "ok: $(grep -c '^column' "$work/pg_expect.txt") PostgreSQL columns and $(wc -l < "$work/sqlite_expect.txt") SQLite tables and indexes as the catalogue declares; $(grep -c . <<<"$(norm < "$work/stanza.sql")") statements of $version's stanza in its upgrade script"
