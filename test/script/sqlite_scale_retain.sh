#!/usr/bin/env bash
# Scale tier (SQLite), retention and soft delete in the Pagila sample:
# one dbretain_apply of a delete policy (payment) and of an archive policy
# (rental) over 200,000 due rows each, exact rows left and archived; then
# one DELETE soft-deleting 200,000 payments, one dbsoftdelete_restore of
# 100,000 keys, and a dbsoftdelete_purge of the other 100,000.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
n=200000
half=$((n / 2))
t0=$(date +%s)
took() { echo "$1: $(($(date +%s) - t0)) s"; }
# --- retention -----------------------------------------------------------
db="$work/pagila.db"
load_sample pagila
q "WITH RECURSIVE g(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM g WHERE g < $n)
   INSERT INTO rental (rental_date, inventory_id, customer_id, return_date, staff_id)
   SELECT datetime('now', '-' || (1200 + g % 100) || ' days'), 1 + g % 30000, 1 + g % 20000,
          datetime('now', '-' || (1199 + g % 100) || ' days'), 1 + g % 8 FROM g;
   WITH RECURSIVE g(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM g WHERE g < $n)
   INSERT INTO payment (customer_id, staff_id, rental_id, amount, payment_date)
   SELECT 1 + g % 20000, 1 + g % 8, NULL, 2.99, datetime('now', '-' || (1200 + g % 100) || ' days') FROM g;
   SELECT dbretain_add('old_payments', 'payment', 'payment_date', '1100 days', 'delete');
   SELECT dbretain_add('old_rentals', 'rental', 'rental_date', '1100 days', 'archive', 'rental_archive');" >/dev/null
[ "$(q "SELECT group_concat(policy || ':' || due, ',') FROM (SELECT * FROM dbretain_plan ORDER BY policy);")" = \
  "old_payments:$n,old_rentals:$n" ] || fail "plan: $(q "SELECT * FROM dbretain_plan;")"
# payment.rental_id is ON DELETE SET NULL: the archive needs the key enforced
r=$(q -cmd "PRAGMA foreign_keys = ON" "SELECT group_concat(policy || ':' || archived || ':' || deleted || ':' || remaining, ',')
         FROM (SELECT * FROM dbretain_apply(NULL, $n) ORDER BY policy);")
[ "$r" = "old_payments:0:$n:0,old_rentals:$n:0:0" ] || fail "dbretain_apply: $r"
[ "$(q "SELECT count(*) FROM payment;")" = 100000 ] || fail "payments left: $(q "SELECT count(*) FROM payment;")"
[ "$(q "SELECT count(*) FROM rental;")" = 100000 ] || fail "rentals left: $(q "SELECT count(*) FROM rental;")"
[ "$(q "SELECT count(*) || ':' || count(DISTINCT rental_id) FROM rental_archive;")" = "$n:$n" ] ||
  fail "archived rows:distinct: $(q "SELECT count(*) || ':' || count(DISTINCT rental_id) FROM rental_archive;")"
[ "$(q "SELECT count(*) FROM rental_archive JOIN rental USING (rental_id);")" = 0 ] || fail "rows both archived and left"
[ "$(q "SELECT sum(due) FROM dbretain_plan;")" = 0 ] || fail "still due: $(q "SELECT * FROM dbretain_plan;")"
took "retention: delete and archive of $n rows"

# --- soft delete ---------------------------------------------------------
q "SELECT dbretain_drop('old_payments');
   WITH RECURSIVE g(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM g WHERE g < 100000)
   INSERT INTO payment (customer_id, staff_id, rental_id, amount, payment_date)
   SELECT 1 + g % 20000, 1 + g % 8, NULL, 4.99, datetime('now', '-' || (1 + g % 900) || ' days') FROM g;
   SELECT dbsoftdelete_enable('payment');" >/dev/null
state() { q "SELECT count(*) || ':' || count(deleted_at) || ':' || total(amount) FROM payment;"; }
sum_all=$(q "SELECT total(amount) FROM payment;")
sum_even=$(q "SELECT total(amount) FROM payment WHERE payment_id % 2 = 0;")
q "DELETE FROM payment;"
[ "$(state)" = "$n:$n:$sum_all" ] || fail "after the soft delete rows:deleted:sum = $(state)"
[ "$(q "SELECT deleted_rows FROM dbsoftdelete_tables WHERE table_name = 'payment';")" = "$n" ] ||
  fail "dbsoftdelete_tables: $(q "SELECT * FROM dbsoftdelete_tables;")"
[ "$(q "SELECT dbsoftdelete_restore('payment', (SELECT json_group_array(json_object('payment_id', payment_id))
                                                 FROM payment WHERE payment_id % 2 = 0));")" = "$half" ] ||
  fail "restore did not restore $half rows"
[ "$(state)" = "$n:$half:$sum_all" ] || fail "after the restore rows:deleted:sum = $(state)"
[ "$(q "SELECT count(*) FROM payment WHERE payment_id % 2 = 0 AND deleted_at IS NOT NULL;")" = 0 ] || fail "restored the wrong rows"
[ "$(q "SELECT dbsoftdelete_purge('payment');")" = "$half" ] || fail "purge did not purge $half rows"
[ "$(state)" = "$half:0:$sum_even" ] || fail "after the purge rows:deleted:sum = $(state)"
took "soft delete: $n deleted, $half restored, $half purged"
echo "ok ($(($(date +%s) - t0)) s)"
