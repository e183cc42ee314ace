#!/usr/bin/env bash
# Scale tier, maintenance and migrations on 200,000-row tables of the
# Northwind sample at stock settings.
# - Maintenance: order_details grown to 200,000 rows, every row updated once
#   (half the table dead, autovacuum off on it): dbmaintain_plan lists its
#   analyze and vacuum; dbmaintain_run runs the analyze and hands the vacuum
#   back; run by the caller, the table plans nothing more, rows unchanged.
# - Migrations: a migration rewriting the 200,000-row table (a column type
#   change, a new NOT NULL column with a default filled from the row, an
#   UPDATE of every row) applied by dbmigrate_apply: exact rows and sums
#   after; then a migration failing at its end changes nothing.
set -eu
db=dbcare_scale_schema
. "$(dirname "$0")/lib/pg.sh"
n=200000
fresh_db
load_sample northwind
[ "$(q -c "SHOW work_mem")" = 4MB ] || fail "work_mem is not the stock 4MB"
t0=$(date +%s)
took() { echo "$1: $(($(date +%s) - t0)) s"; }
# 100,000 more order lines (orders 1..50,000 get a second page of products)
q -c "ALTER TABLE order_details SET (autovacuum_enabled = false)" \
  -c "INSERT INTO order_details SELECT 1 + (g - 1) / 2, 1 + (g * 37 + 1000) % 2000, 7.5, 2, 0
        FROM generate_series(1, 100000) g" -c "ANALYZE order_details" >/dev/null
[ "$(q -c "SELECT count(*) FROM order_details")" = "$n" ] || fail "setup: $(q -c "SELECT count(*) FROM order_details")"
q -c "UPDATE order_details SET quantity = quantity + 1" >/dev/null
sum=$(q -c "SELECT sum(quantity) || ':' || count(*) FROM order_details")
took setup
# the statistics of the update reach the cumulative statistics system
for _ in $(seq 1 50); do
  [ "$(q -c "SELECT n_dead_tup >= $n FROM pg_stat_user_tables WHERE relname = 'order_details'")" = t ] && break
  sleep 0.2
done
plan() { q -c "SELECT string_agg(action || ':' || safety || ':' || outside_transaction, ',' ORDER BY action)
                 FROM dbmaintain_plan('quick') WHERE object = 'public.order_details'"; }
[ "$(plan)" = "analyze:safe:false,vacuum:safe:true" ] || fail "plan for order_details: $(plan)"
run=$(q -c "SELECT string_agg(action || ':' || status, ',' ORDER BY action) FROM dbmaintain_run('quick')
             WHERE object = 'public.order_details'")
[ "$run" = "analyze:done,vacuum:outside_transaction" ] || fail "run: $run"
echo "SELECT statement FROM dbmaintain_plan('quick') WHERE object = 'public.order_details' AND outside_transaction \gexec" |
  "$B/psql" -X -q -v ON_ERROR_STOP=1 -d "$db" >/dev/null
took "maintenance of $n rows"
for _ in $(seq 1 50); do
  [ "$(q -c "SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'order_details'")" = 0 ] && break
  sleep 0.2
done
[ -z "$(plan)" ] || fail "still planned after the run: $(plan)"
[ "$(q -c "SELECT sum(quantity) || ':' || count(*) FROM order_details")" = "$sum" ] || fail "maintenance changed rows"
[ "$(q -c "SELECT count(*) FROM dbmaintain_history() WHERE object = 'public.order_details' AND status = 'done'")" = 1 ] ||
  fail "history: $(q -c "SELECT * FROM dbmaintain_history()")"

# a migration that rewrites the table and every row
total=$(q -c "SELECT sum(round((unit_price * quantity * (1 - discount))::numeric, 2)) FROM order_details")
q -c "SELECT dbmigrate_add('1', 'line totals', \$m\$
ALTER TABLE order_details ALTER COLUMN quantity TYPE integer;
ALTER TABLE order_details ADD COLUMN line_total numeric(12,2) NOT NULL DEFAULT 0;
UPDATE order_details SET line_total = round((unit_price * quantity * (1 - discount))::numeric, 2);
CREATE INDEX order_details_line_total ON order_details (line_total);
\$m\$)" >/dev/null
[ "$(q -c "SELECT dbmigrate_apply()")" = 1 ] || fail "apply"
took "migration rewriting $n rows"
[ "$(q -c "SELECT count(*) || ':' || sum(line_total) FROM order_details")" = "$n:$total" ] ||
  fail "after the migration rows:total = $(q -c "SELECT count(*) || ':' || sum(line_total) FROM order_details") (want $n:$total)"
[ "$(q -c "SELECT count(*) FROM order_details WHERE line_total = 0")" = 0 ] || fail "rows the UPDATE missed"
[ "$(q -c "SELECT state FROM dbmigrate_status() WHERE version = '1'")" = applied ] || fail "1 is not applied"
# one that rewrites every row again and fails at its end: nothing of it stays
fp=$(q -c "SELECT dbschema_fingerprint()")
q -c "SELECT dbmigrate_add('2', 'fails late', \$m\$
UPDATE order_details SET line_total = line_total + 1;
ALTER TABLE order_details ADD COLUMN note text NOT NULL DEFAULT 'x';
SELECT 1 / 0;
\$m\$)" >/dev/null
q -c "SELECT dbmigrate_apply()" >"$work/apply2.out" 2>&1 && fail "the failing migration applied"
grep -q "division by zero" "$work/apply2.out" || fail "apply 2: $(cat "$work/apply2.out")"
took "a failed migration over $n rows"
[ "$(q -c "SELECT count(*) || ':' || sum(line_total) FROM order_details")" = "$n:$total" ] || fail "the failed migration left rows changed"
[ "$(q -c "SELECT dbschema_fingerprint()")" = "$fp" ] || fail "the failed migration left the schema changed"
[ "$(q -c "SELECT state FROM dbmigrate_status() WHERE version = '2'")" = pending ] || fail "2 is not pending"
echo "ok ($(($(date +%s) - t0)) s)"
