#!/usr/bin/env bash
# Scale tier, retention: 200,000 due rows in the Pagila sample at stock
# settings. A delete policy (payment) and an archive policy (rental, into
# schema archive) each move exactly their 200,000 due rows in one CALL
# dbretain_run and leave the 100,000 younger rows. Setup rows are written with
# session_replication_role = replica (no foreign-key triggers: the data is
# consistent by construction) to keep the test short.
set -eu
db=dbcare_scale_retain
. "$(dirname "$0")/lib/pg.sh"
n=200000
fresh_db
load_sample pagila
[ "$(q -c "SHOW work_mem")" = 4MB ] || fail "work_mem is not the stock 4MB"
t0=$(date +%s)
took() { echo "$1: $(($(date +%s) - t0)) s"; }
count() { q -c "SELECT count(*) FROM $1"; }
# 200,000 rentals and payments 1,200 to 1,299 days old (the sample's are 1 to 1,000)
q -c "SET session_replication_role = replica" \
  -c "INSERT INTO rental (rental_date, inventory_id, customer_id, return_date, staff_id)
        SELECT now() - (1200 + g % 100) * interval '1 day', 1 + g % 30000, 1 + g % 20000,
               now() - (1199 + g % 100) * interval '1 day', 1 + g % 8 FROM generate_series(1, $n) g" \
  -c "INSERT INTO payment (customer_id, staff_id, rental_id, amount, payment_date)
        SELECT 1 + g % 20000, 1 + g % 8, NULL, 2.99, now() - (1200 + g % 100) * interval '1 day'
          FROM generate_series(1, $n) g" \
  -c "CREATE SCHEMA archive" -c "ANALYZE rental" -c "ANALYZE payment" >/dev/null
took setup

q -c "SELECT dbretain_add('old_payments', 'payment', 'payment_date', '1100 days', 'delete')" \
  -c "SELECT dbretain_add('old_rentals', 'rental', 'rental_date', '1100 days', 'archive', 'archive.rental')" >/dev/null
[ "$(q -c "SELECT string_agg(policy || ':' || due, ',' ORDER BY policy) FROM dbretain_plan()")" = \
  "old_payments:$n,old_rentals:$n" ] || fail "plan: $(q -c "SELECT * FROM dbretain_plan()")"
q -c "CALL dbretain_run()" >/dev/null || fail "dbretain_run failed"
took "dbretain_run (delete + archive of $n rows each)"
[ "$(count payment)" = 100000 ] || fail "payments left: $(count payment) (want 100000)"
[ "$(count rental)" = 100000 ] || fail "rentals left: $(count rental) (want 100000)"
[ "$(count archive.rental)" = "$n" ] || fail "rentals archived: $(count archive.rental) (want $n)"
[ "$(q -c "SELECT count(*) FROM archive.rental a JOIN rental r USING (rental_id)")" = 0 ] ||
  fail "rows both archived and left"
[ "$(q -c "SELECT count(DISTINCT rental_id) FROM archive.rental")" = "$n" ] || fail "a row archived twice"
[ "$(q -c "SELECT count(*) FROM rental WHERE rental_date < now() - interval '1100 days'")" = 0 ] ||
  fail "due rentals left"
[ "$(q -c "SELECT string_agg(name || ':' || archived_rows || ':' || deleted_rows, ',' ORDER BY name)
             FROM dbretain_policies")" = "old_payments:0:$n,old_rentals:$n:0" ] ||
  fail "policies: $(q -c "SELECT * FROM dbretain_policies")"
[ "$(q -c "SELECT sum(due) FROM dbretain_plan()")" = 0 ] || fail "still due: $(q -c "SELECT * FROM dbretain_plan()")"
echo "ok ($(($(date +%s) - t0)) s)"
