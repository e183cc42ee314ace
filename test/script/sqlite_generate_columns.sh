#!/usr/bin/env bash
# dbmigrate_generate on SQLite (docs/schema-as-code.md): a table rebuild
# keeps its CHECK constraints as written (a column's CHECK on its column,
# the table's after the columns), so the down's rebuild reads back as the
# live table did; a column dropped from the middle of a table is named in
# the rebuild's hazard with its counts. The up reaches the desired schema,
# the down the starting one, every row and value kept.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
db="$work/c.db"
sqlite3 "$db" <<'SQL'
CREATE TABLE item (id INTEGER PRIMARY KEY, sku TEXT, note TEXT,
  qty INTEGER CONSTRAINT qty_positive CHECK (qty >= 0), price INTEGER CHECK (price < 1000),
  CHECK (price > qty));
CREATE INDEX item_price ON item (price);
CREATE VIEW cheap AS SELECT id, price FROM item WHERE price < 10;
WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 1000)
INSERT INTO item SELECT n, 's' || n, CASE WHEN n % 2 = 0 THEN 'n' END, n % 7, n % 7 + 1 + n % 20 FROM g;
SQL
# run DESIRED: the plan applied and undone, as the migration files run;
# prints the hazards, the fingerprints after the up and after the down
run() {
  "$py" - "$db" "$module" "$1" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None); db.enable_load_extension(True); db.load_extension(sys.argv[2])
db.execute("PRAGMA foreign_keys = ON")
rows = db.execute("SELECT statement, reverse, hazard FROM dbmigrate_generate(?, '{\"allow_drop\": true}') ORDER BY step",
                  (sys.argv[3],)).fetchall()
for st, _, hz in rows:
    if hz: print("hazard:", hz)
for st, _, _ in rows: db.executescript(st)
print("up:", db.execute("SELECT dbschema_fingerprint()").fetchone()[0])
for _, rev, _ in reversed(rows):
    if rev: db.executescript(rev)
print("down:", db.execute("SELECT dbschema_fingerprint()").fetchone()[0])
PY
}
fp_of() { rm -f "$work/want.db"; sqlite3 "$work/want.db" "$1"; db="$work/want.db" q "SELECT dbschema_fingerprint()"; }
rows_sum() { sqlite3 "$db" "SELECT count(*) || ':' || sum(id) || ':' || sum(qty) || ':' || sum(price) || ':' || count(note) || ':' || count(sku) FROM item"; }
start_fp=$(q "SELECT dbschema_fingerprint()")
before=$(rows_sum)

# a CHECK changed and a type changed: the table is rebuilt both ways (its
# down failed the proof before: "constraints.item_check_0.columns")
d1='CREATE TABLE item (id INTEGER PRIMARY KEY, sku TEXT, note TEXT,
  qty INTEGER CONSTRAINT qty_positive CHECK (qty >= 0), price BIGINT CHECK (price < 5000),
  CHECK (price > qty));
CREATE INDEX item_price ON item (price);
CREATE VIEW cheap AS SELECT id, price FROM item WHERE price < 10;'
run "$d1" > "$work/run1.txt" 2>&1 || { cat "$work/run1.txt"; fail "the CHECK change does not generate"; }
grep -q '^hazard: rebuilds table item' "$work/run1.txt" || { cat "$work/run1.txt"; fail "no rebuild"; }
[ "$(grep '^up: ' "$work/run1.txt")" = "up: $(fp_of "$d1")" ] || { cat "$work/run1.txt"; fail "the up does not reach the desired schema"; }
[ "$(grep '^down: ' "$work/run1.txt")" = "down: $start_fp" ] || { cat "$work/run1.txt"; fail "the down does not return"; }
[ "$(rows_sum)" = "$before" ] || fail "rows changed: $(rows_sum) vs $before"
# the CHECKs still hold after the round trip
if sqlite3 "$db" "INSERT INTO item (id, qty, price) VALUES (5000, -1, 3)" 2>/dev/null; then fail "column CHECK lost"; fi
if sqlite3 "$db" "INSERT INTO item (id, qty, price) VALUES (5000, 5, 3)" 2>/dev/null; then fail "table CHECK lost"; fi

# columns dropped from the middle (note holds values), the rest kept
d2='CREATE TABLE item (id INTEGER PRIMARY KEY,
  qty INTEGER CONSTRAINT qty_positive CHECK (qty >= 0), price INTEGER CHECK (price < 1000),
  CHECK (price > qty));
CREATE INDEX item_price ON item (price);
CREATE VIEW cheap AS SELECT id, price FROM item WHERE price < 10;'
err=$(q -cmd ".parameter set :d \"$d2\"" "SELECT count(*) FROM dbmigrate_generate(:d)" 2>&1 || true)
echo "$err" | grep -q 'dbcare: the desired schema drops column item.sku (1000 rows, 1000 non-NULL values)' || fail "drop not refused: $err"
run "$d2" > "$work/run2.txt" 2>&1 || { cat "$work/run2.txt"; fail "the middle drop does not generate"; }
grep -q "^hazard: rebuilds table item .*; drops column item.sku (1000 rows, 1000 non-NULL values), column item.note (1000 rows, 500 non-NULL values), which the down brings back empty" "$work/run2.txt" \
  || { cat "$work/run2.txt"; fail "the rebuild's hazard does not name the dropped columns"; }
[ "$(grep '^up: ' "$work/run2.txt")" = "up: $(fp_of "$d2")" ] || { cat "$work/run2.txt"; fail "the up does not reach the desired schema"; }
[ "$(grep '^down: ' "$work/run2.txt")" = "down: $start_fp" ] || { cat "$work/run2.txt"; fail "the down does not return"; }
[ "$(sqlite3 "$db" "SELECT count(*) || ':' || sum(id) || ':' || sum(qty) || ':' || sum(price) || ':' || count(note) || ':' || count(sku) FROM item")" = "${before%:*:*}:0:0" ] \
  || fail "kept values changed or dropped ones not back empty: $(rows_sum)"

# a NOT NULL column without a default: its drop says the down cannot
# bring it back while the table has rows
sqlite3 "$db" "CREATE TABLE tag (id INTEGER PRIMARY KEY, label TEXT NOT NULL, n INTEGER); INSERT INTO tag VALUES (1, 'a', 1);"
d3="$d2
CREATE TABLE tag (id INTEGER PRIMARY KEY, n INTEGER);"
out=$(q -cmd ".parameter set :d \"$d3\"" "SELECT hazard FROM dbmigrate_generate(:d, '{\"allow_drop\": true}') WHERE hazard IS NOT NULL" 2>&1 || true)
echo "$out" | grep -q 'drops column tag.label (1 rows, 1 non-NULL values) (NOT NULL without a default: that down fails while the table has rows), which the down brings back empty' \
  || fail "the NOT NULL drop's hazard does not say its down fails: $out"
echo ok
