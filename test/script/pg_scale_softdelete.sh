#!/usr/bin/env bash
# Scale tier, soft delete: 200,000 payments of the Pagila sample at stock
# settings. One DELETE soft-deletes all 200,000 (each row kept and marked),
# one dbsoftdelete_restore call with 100,000 keys restores exactly those,
# and dbsoftdelete_purge deletes exactly the other 100,000 for real. Setup
# rows are written with session_replication_role = replica (no foreign-key
# triggers: the data is consistent by construction) to keep the test short.
set -eu
db=dbcare_scale_softdelete
. "$(dirname "$0")/lib/pg.sh"
n=200000
half=$((n / 2))
fresh_db
load_sample pagila
[ "$(q -c "SHOW work_mem")" = 4MB ] || fail "work_mem is not the stock 4MB"
t0=$(date +%s)
took() { echo "$1: $(($(date +%s) - t0)) s"; }
state() { q -c "SELECT count(*) || ':' || count(deleted_at) || ':' || coalesce(sum(amount), 0) FROM payment"; }
q -c "SET session_replication_role = replica" \
  -c "INSERT INTO payment (customer_id, staff_id, rental_id, amount, payment_date)
        SELECT 1 + g % 20000, 1 + g % 8, NULL, 4.99, now() - (1 + g % 900) * interval '1 day'
          FROM generate_series(1, 100000) g" \
  -c "SET session_replication_role = origin" \
  -c "SELECT dbsoftdelete_enable('payment')" >/dev/null
[ "$(q -c "SELECT count(*) FROM payment")" = "$n" ] || fail "setup"
sum_before=$(q -c "SELECT sum(amount) FROM payment")
sum_even=$(q -c "SELECT sum(amount) FROM payment WHERE payment_id % 2 = 0")
took setup
q -c "DELETE FROM payment" >/dev/null
took "soft delete of $n rows"
[ "$(state)" = "$n:$n:$sum_before" ] || fail "after the delete rows:deleted:sum = $(state)"
[ "$(q -c "SELECT deleted_rows FROM dbsoftdelete_tables WHERE table_name = 'public.payment'")" = "$n" ] ||
  fail "dbsoftdelete_tables: $(q -c "SELECT * FROM dbsoftdelete_tables")"
[ "$(q -c "SELECT dbsoftdelete_restore('payment', (SELECT jsonb_agg(jsonb_build_object('payment_id', payment_id))
                                                    FROM payment WHERE payment_id % 2 = 0))")" = "$half" ] ||
  fail "restore did not restore $half rows"
took "restore of $half rows"
[ "$(state)" = "$n:$half:$sum_before" ] || fail "after the restore rows:deleted:sum = $(state)"
[ "$(q -c "SELECT count(*) FROM payment WHERE payment_id % 2 = 0 AND deleted_at IS NOT NULL")" = 0 ] ||
  fail "restored the wrong rows"
[ "$(q -c "SELECT dbsoftdelete_purge('payment')")" = "$half" ] || fail "purge did not purge $half rows"
took "purge of $half rows"
[ "$(state)" = "$half:0:$sum_even" ] || fail "after the purge rows:deleted:sum = $(state)"
[ "$(q -c "SELECT count(*) FROM payment WHERE payment_id % 2 = 1")" = 0 ] || fail "purged the wrong rows"
echo "ok ($(($(date +%s) - t0)) s)"
