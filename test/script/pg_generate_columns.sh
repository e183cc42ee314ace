#!/usr/bin/env bash
# dbmigrate_generate on PostgreSQL (docs/schema-as-code.md): dropping columns
# that are not a table's last ones. ALTER TABLE ... ADD COLUMN appends, so
# the down brings them back after the columns that stay, in the table's
# order; the proof's down target is the starting schema with those columns
# last, and the hazard says so. The up reaches the desired schema with every
# kept value in place; the down the live schema with the columns moved.
set -eu
db=dbcare_generate_columns
. "$(dirname "$0")/lib/pg.sh"
fresh_db

# a fresh database holding only the given SQL: its fingerprint
fp_of() {
  "$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS ${db}_want" -c "CREATE DATABASE ${db}_want" >/dev/null
  "$B/psql" -X -q -v ON_ERROR_STOP=1 -d "${db}_want" -c "CREATE EXTENSION dbcare" -c "$1" >/dev/null
  "$B/psql" -X -q -At -d "${db}_want" -c "SELECT dbschema_fingerprint()"
  "$B/psql" -X -q -d postgres -c "DROP DATABASE ${db}_want" >/dev/null
}
columns() { q -c "SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'item'::regclass AND attnum > 0 AND NOT attisdropped"; }

q <<'SQL' > /dev/null
CREATE TABLE item (id int PRIMARY KEY, sku text, note text, qty int CHECK (qty >= 0), price int,
  CONSTRAINT price_over_qty CHECK (price > qty));
CREATE VIEW cheap AS SELECT id, price FROM item WHERE price < 10;
INSERT INTO item SELECT g, 's' || g, CASE WHEN g % 2 = 0 THEN 'n' END, g % 7, g % 7 + 1 + g % 20
FROM generate_series(1, 1000) g;
SQL
start_fp=$(q -c "SELECT dbschema_fingerprint()")
kept_sum() { q -c "SELECT count(*) || ':' || sum(id) || ':' || sum(qty) || ':' || sum(price) FROM item"; }
before=$(kept_sum)
desired='CREATE TABLE item (id int PRIMARY KEY, qty int CHECK (qty >= 0), price int,
  CONSTRAINT price_over_qty CHECK (price > qty));
CREATE VIEW cheap AS SELECT id, price FROM item WHERE price < 10;'

# without allow_drop: refused, with its counts
err=$(q -v "desired=$desired" 2>&1 <<'SQL' || true
SELECT count(*) FROM dbmigrate_generate(:'desired')
SQL
)
echo "$err" | grep -q 'dbcare: the desired schema drops column item\.\(note (1000 rows, 500\|sku (1000 rows, 1000\) non-NULL values)' \
  || fail "drop not refused with counts: $err"

# with it: the plan is proved (it failed its proof before: "columns: order
# changed"), applied and undone at top level, as the migration files run
q -v "desired=$desired" > "$work/run.txt" 2> "$work/run.err" <<'SQL'
CREATE TEMP TABLE plan AS SELECT * FROM dbmigrate_generate(:'desired', '{"allow_drop": true}');
SELECT 'hazard: ' || hazard FROM plan WHERE hazard IS NOT NULL ORDER BY step;
SELECT statement FROM plan ORDER BY step \gexec
SELECT 'up: ' || dbschema_fingerprint();
SELECT reverse FROM plan WHERE reverse IS NOT NULL ORDER BY step DESC \gexec
SELECT 'down: ' || dbschema_fingerprint();
SQL
grep -q 'hazard: drops column item.note (1000 rows, 500 non-NULL values); the down brings the column back empty, after the table.s other columns' "$work/run.txt" \
  || { cat "$work/run.txt" "$work/run.err"; fail "no hazard for the middle column"; }
grep -q 'hazard: drops column item.sku (1000 rows, 1000 non-NULL values)' "$work/run.txt" || { cat "$work/run.txt"; fail "no hazard for sku"; }
[ "$(grep '^up: ' "$work/run.txt")" = "up: $(fp_of "$desired")" ] || { cat "$work/run.txt" "$work/run.err"; fail "the up does not reach the desired schema"; }
# the down: every column back, the dropped ones last in the table's order, empty
[ "$(columns)" = "id,qty,price,sku,note" ] || fail "columns after the down: $(columns)"
[ "$(kept_sum)" = "$before" ] || fail "kept values changed: $(kept_sum) vs $before"
[ "$(q -c "SELECT count(*) FROM item WHERE sku IS NULL AND note IS NULL")" = 1000 ] || fail "dropped columns not back empty"
[ "$(q -c "SELECT count(*) FROM cheap")" = "$(q -c "SELECT count(*) FROM item WHERE price < 10")" ] || fail "view not back"
moved='CREATE TABLE item (id int PRIMARY KEY, qty int CHECK (qty >= 0), price int, sku text, note text,
  CONSTRAINT price_over_qty CHECK (price > qty));
CREATE VIEW cheap AS SELECT id, price FROM item WHERE price < 10;'
[ "$(grep '^down: ' "$work/run.txt")" = "down: $(fp_of "$moved")" ] || { cat "$work/run.txt"; fail "the down is not the live schema with the columns last"; }
[ "$start_fp" != "$(fp_of "$moved")" ] || fail "column order is not in the fingerprint: the test proves nothing"

# a NOT NULL column without a default: its drop says the down cannot
# bring it back while the table has rows
q -c "CREATE TABLE tag (id int PRIMARY KEY, label text NOT NULL, n int)" -c "INSERT INTO tag VALUES (1, 'a', 1)" >/dev/null
q -v "desired=$moved
CREATE TABLE tag (id int PRIMARY KEY, n int);" > "$work/tag.txt" 2>&1 <<'SQL' || { cat "$work/tag.txt"; fail "the tag drop does not generate"; }
SELECT hazard FROM dbmigrate_generate(:'desired', '{"allow_drop": true}') WHERE hazard IS NOT NULL;
SQL
grep -q 'drops column tag.label (1 rows, 1 non-NULL values); the down brings the column back empty, after the table.s other columns (NOT NULL without a default: that down fails while the table has rows)' "$work/tag.txt" \
  || { cat "$work/tag.txt"; fail "the NOT NULL drop's hazard does not say its down fails"; }

# columns the desired file writes among the others, with reorder_columns
# off (by default the table is made again in the file's order:
# pg_generate_column_order.sh): added after them (it failed its proof
# before: "columns: order changed"), the hazard says so; a second
# generate has nothing to do
q -c "CREATE TABLE gadget (id int PRIMARY KEY, name text, price int)" -c "INSERT INTO gadget SELECT g, 'g' || g, g FROM generate_series(1, 100) g" >/dev/null
rest="$moved
CREATE TABLE tag (id int PRIMARY KEY, label text NOT NULL, n int);"
desired3="$rest
CREATE TABLE gadget (id int PRIMARY KEY, sku text, name text, descr text DEFAULT 'x', price int, added int);"
q -v "desired=$desired3" > "$work/add.txt" 2> "$work/add.err" <<'SQL' || { cat "$work/add.err"; fail "columns added in the middle do not generate"; }
SELECT 'hazard: ' || hazard FROM dbmigrate_generate(:'desired', '{"reorder_columns": false}') WHERE hazard IS NOT NULL ORDER BY step;
SELECT statement FROM dbmigrate_generate(:'desired', '{"reorder_columns": false}') ORDER BY step \gexec
SQL
grep -q "hazard: adds column gadget.sku after the table's other columns (ADD COLUMN appends; the desired file has it before name; reorder_columns is off)" "$work/add.txt" \
  || { cat "$work/add.txt"; fail "no hazard for the column added before name"; }
grep -q "hazard: adds column gadget.descr" "$work/add.txt" || { cat "$work/add.txt"; fail "no hazard for descr"; }
grep -q "hazard: adds column gadget.added" "$work/add.txt" && fail "a hazard for the column added last"
[ "$(q -c "SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'gadget'::regclass AND attnum > 0 AND NOT attisdropped")" = "id,name,price,sku,descr,added" ] \
  || fail "gadget's columns after the up"
[ "$(q -c "SELECT count(*) FILTER (WHERE name = 'g' || id AND price = id AND descr = 'x') FROM gadget")" = 100 ] || fail "gadget's values"
[ "$(q -c "SELECT dbschema_fingerprint()")" = "$(fp_of "$rest
CREATE TABLE gadget (id int PRIMARY KEY, name text, price int, sku text, descr text DEFAULT 'x', added int);")" ] || fail "the up is not the desired schema with the new columns last"
[ "$(q -v "desired=$desired3" <<'SQL'
SELECT count(*) FROM dbmigrate_generate(:'desired', '{"reorder_columns": false}')
SQL
)" = 0 ] || fail "a second generate is not empty"
echo ok
