#!/usr/bin/env bash
# Scale tier (SQLite), maintenance and migrations in the Northwind sample:
# 200,000 order lines written and deleted leave a third of the file free:
# dbmaintain_plan lists the VACUUM, dbmaintain_run hands it back, run by the
# caller it frees every page, rows unchanged; then a migration rebuilding
# the 200,000-row order_details (a new column filled from each row) applied
# by dbmigrate_apply, exact rows and sums after, and a failing migration
# that rewrote every row first changes nothing.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
n=200000
half=$((n / 2))
t0=$(date +%s)
took() { echo "$1: $(($(date +%s) - t0)) s"; }
# --- maintenance: 50,000 more orders of 4 lines each, then deleted again ---
db="$work/northwind.db"
load_sample northwind
q "WITH RECURSIVE g(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM g WHERE g < 50000)
   INSERT INTO orders (order_id, customer_id, employee_id, order_date, ship_via)
   SELECT 50000 + g, 'C00001', 1, date('now'), 1 FROM g;
   WITH RECURSIVE g(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM g WHERE g < $n)
   INSERT INTO order_details SELECT 50001 + (g - 1) / 4, 1 + (g - 1) % 4, 7.5, 2, 0 FROM g;
   ANALYZE;"
[ "$(q "SELECT count(*) FROM order_details;")" = $((100000 + n)) ] || fail "setup: order_details"
q "DELETE FROM order_details WHERE order_id > 50000;"
rows=$(q "SELECT count(*) || ':' || total(quantity) FROM order_details;")
plan() { q "SELECT group_concat(action || ':' || safety || ':' || outside_transaction, ',')
              FROM (SELECT * FROM dbmaintain_plan('quick') ORDER BY action);"; }
[ "$(plan)" = "vacuum:locking:1" ] || fail "plan: $(plan)"
run=$(q "SELECT group_concat(action || ':' || status, ',') FROM (SELECT * FROM dbmaintain_run('quick') ORDER BY action);")
[ "$run" = "vacuum:outside_transaction" ] || fail "run: $run"
q "SELECT statement || ';' FROM dbmaintain_plan('quick') WHERE outside_transaction;" | q
[ -z "$(plan)" ] || fail "still planned after the run: $(plan)"
[ "$(q "SELECT count(*) || ':' || total(quantity) FROM order_details;")" = "$rows" ] || fail "maintenance changed rows"
[ "$(q "PRAGMA freelist_count;")" = 0 ] || fail "the VACUUM left free pages"
took "maintenance of a table that lost $n rows"

# --- migrations: order_details back to 200,000 rows, rebuilt ---------------
q "WITH RECURSIVE g(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM g WHERE g < 100000)
   INSERT INTO order_details SELECT 50001 + (g - 1) / 4, 1 + (g - 1) % 4, 7.5, 2, 0 FROM g;"
[ "$(q "SELECT count(*) FROM order_details;")" = "$n" ] || fail "setup: order_details again"
# sums of whole cents: exact whatever order the rows are added in
total=$(q "SELECT sum(CAST(round(round(unit_price * quantity * (1 - discount), 2) * 100) AS INTEGER)) FROM order_details;")
q "SELECT dbmigrate_add('1', 'line totals', 'CREATE TABLE order_details_new (order_id INTEGER NOT NULL REFERENCES orders ON DELETE CASCADE,
  product_id INTEGER NOT NULL REFERENCES products, unit_price REAL NOT NULL, quantity INTEGER NOT NULL,
  discount REAL NOT NULL, line_total REAL NOT NULL, PRIMARY KEY (order_id, product_id));
INSERT INTO order_details_new SELECT order_id, product_id, unit_price, quantity, discount,
  round(unit_price * quantity * (1 - discount), 2) FROM order_details;
DROP TABLE order_details;
ALTER TABLE order_details_new RENAME TO order_details;
CREATE INDEX order_details_product_id ON order_details (product_id);
CREATE INDEX order_details_line_total ON order_details (line_total);');" >/dev/null
[ "$(q "SELECT dbmigrate_apply();" 2>"$work/apply1.err")" = 1 ] || fail "apply: $(cat "$work/apply1.err")"
[ "$(q "SELECT count(*) || ':' || sum(CAST(round(line_total * 100) AS INTEGER)) FROM order_details;")" = "$n:$total" ] ||
  fail "after the migration rows:total = $(q "SELECT count(*) || ':' || sum(CAST(round(line_total * 100) AS INTEGER)) FROM order_details;") (want $n:$total)"
[ "$(q "SELECT count(*) FROM order_details WHERE line_total = 0;")" = 0 ] || fail "rows the rebuild missed"
fp=$(q "SELECT dbschema_fingerprint();")
q "SELECT dbmigrate_add('2', 'fails late', 'UPDATE order_details SET line_total = line_total + 1;
ALTER TABLE order_details ADD COLUMN note TEXT NOT NULL DEFAULT ''x'';
SELECT no_such_function();');" >/dev/null
q "SELECT dbmigrate_apply();" >"$work/apply2.out" 2>&1 && fail "the failing migration applied"
grep -q "no_such_function" "$work/apply2.out" || fail "apply 2: $(cat "$work/apply2.out")"
[ "$(q "SELECT count(*) || ':' || sum(CAST(round(line_total * 100) AS INTEGER)) FROM order_details;")" = "$n:$total" ] || fail "the failed migration left rows changed"
[ "$(q "SELECT dbschema_fingerprint();")" = "$fp" ] || fail "the failed migration left the schema changed"
[ "$(q "SELECT state FROM dbmigrate_status WHERE version = '2';")" = pending ] || fail "2 is not pending"
[ "$(q "PRAGMA integrity_check;")" = ok ] || fail "integrity_check"
took "migrations rewriting $n rows"
echo "ok ($(($(date +%s) - t0)) s)"
