#!/usr/bin/env bash
# Declared foreign keys protect their rows whatever PRAGMA foreign_keys says
# (off is SQLite's default, and the default of every connection an
# application opens). On the Northwind sample, orders and order_details:
#  1. Northwind as it ships (order_details -> orders, no ON DELETE action):
#     archive and delete policies move only the due orders nothing references,
#     with foreign_keys off and on; dbretain_plan names the key, the
#     referencing table and how many due orders it keeps; a soft-delete
#     purge of a referenced order is refused as the engine would with the
#     key enforced. PRAGMA foreign_key_check is empty after every step.
#  2. The sample's own ON DELETE CASCADE key: with foreign_keys off a delete
#     policy and a purge are refused (SQLite would not cascade); with it on
#     the lines go with their orders; `dbcare retain` turns it on itself.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"
export DBCARE_MODULE="$module"

on() { q -cmd "PRAGMA foreign_keys = ON" "$@"; }
orphans() { [ -z "$(q "PRAGMA foreign_key_check;")" ] || fail "$1: orphans: $(q "PRAGMA foreign_key_check;" | head -3)"; }
# Northwind with every order's lines, but those of orders 10, 20, 30, ...
northwind() {
  db="$work/$2.template.db"
  if [ ! -f "$db" ]; then
    load_sample northwind
    if [ "$2" = as-shipped ]; then
      # the real Northwind's key: no ON DELETE action
      q "PRAGMA writable_schema = ON;
         UPDATE sqlite_schema SET sql = replace(sql, 'REFERENCES orders ON DELETE CASCADE', 'REFERENCES orders')
          WHERE name = 'order_details';" >/dev/null
    fi
  fi
  cp "$db" "$work/$1.db"
  db="$work/$1.db"
  q "DELETE FROM order_details WHERE order_id % 10 = 0;
     SELECT dbcare_set('retain.batch_size', '5000');" >/dev/null
}

# ---- 1. no ON DELETE action
for fk in off on; do
  run_q=q; [ $fk = on ] && run_q=on
  northwind "arch_$fk" as-shipped
  $run_q "SELECT dbretain_add('old_orders', 'orders', 'order_date', '900 days', 'archive', 'orders_archive');" >/dev/null
  plan=$($run_q "SELECT json_object('due', due, 'blockers', json(blockers)) FROM dbretain_plan('old_orders');")
  # every due order but the free ones (order_id % 10 = 0) is kept by the key
  kept=$(echo "$plan" | $py -c "
import json, sys
p = json.load(sys.stdin)
b = [x for x in p['blockers'] if x['kind'] == 'foreign key']
assert len(b) == 1 and b[0]['table'] == 'order_details' and b[0]['columns'] == 'order_id', b
assert b[0]['enforced'] == ('$fk' == 'on'), b
assert 0 < b[0]['blocked'] < p['due'], p
print(p['due'], b[0]['blocked'])") || fail "foreign_keys $fk: the plan does not name the blocker: $plan"
  set -- $kept
  got=$($run_q "SELECT archived || ' ' || blocked FROM dbretain_apply('old_orders', 100000);")
  [ "$got" = "$(($1 - $2)) $2" ] || fail "foreign_keys $fk: archive moved/blocked $got, plan said $kept"
  [ "$(q "SELECT count(*) FROM orders_archive WHERE order_id % 10 <> 0;")" = 0 ] ||
    fail "foreign_keys $fk: archived orders that still have lines"
  [ "$($run_q "SELECT due FROM dbretain_plan('old_orders');")" = "$2" ] || fail "foreign_keys $fk: due after"
  orphans "archive, foreign_keys $fk"

  northwind "del_$fk" as-shipped
  q "SELECT dbretain_add('old_orders', 'orders', 'order_date', '900 days', 'delete');" >/dev/null
  got=$($run_q "SELECT deleted || ' ' || blocked FROM dbretain_apply('old_orders', 100000);")
  [ "$got" = "$(($1 - $2)) $2" ] || fail "foreign_keys $fk: delete moved/blocked $got"
  orphans "delete, foreign_keys $fk"

  # soft delete: a referenced order is never purged; a free one is
  out=$($run_q "SELECT dbsoftdelete_enable('orders') IS NOT NULL;
    DELETE FROM orders WHERE order_id IN (1, 2);
    SELECT dbsoftdelete_purge('orders');" 2>&1) && fail "foreign_keys $fk: purged referenced orders: $out"
  case "$out" in *"dbcare: dbsoftdelete_purge: 2 soft-deleted row(s) of table orders are still referenced by table order_details (order_id)"*|*"FOREIGN KEY constraint failed"*) ;;
    *) fail "foreign_keys $fk: purge: $out" ;; esac
  [ "$(q "SELECT count(*) FROM orders WHERE order_id IN (1, 2);")" = 2 ] || fail "foreign_keys $fk: the refused purge deleted"
  got=$($run_q "UPDATE orders SET deleted_at = NULL; DELETE FROM orders WHERE order_id = 40000;
    SELECT dbsoftdelete_purge('orders');")
  [ "$got" = 1 ] || fail "foreign_keys $fk: purge of a free order: $got"
  # a purge policy keeps the referenced ones, counted as blocked
  q "DELETE FROM orders WHERE order_id IN (3, 4, 50000);
    UPDATE orders SET deleted_at = datetime('now', '-30 days') WHERE deleted_at IS NOT NULL;
    SELECT dbretain_add('purged', 'orders', 'deleted_at', '7 days', 'purge');" >/dev/null
  got=$($run_q "SELECT deleted || ' ' || blocked FROM dbretain_apply('purged');")
  [ "$got" = "1 2" ] || fail "foreign_keys $fk: purge policy deleted/blocked $got"
  orphans "purge, foreign_keys $fk"
done

# ---- 2. ON DELETE CASCADE (the sample's key)
northwind cascade_off cascade
msg='dbcare: retention policy "old_orders": foreign key'
out=$(q "SELECT dbretain_add('old_orders', 'orders', 'order_date', '900 days', 'delete');
  SELECT * FROM dbretain_apply('old_orders', 100000);" 2>&1) && fail "applied an unenforced cascade: $out"
case "$out" in *"$msg"*"of table order_details is ON DELETE CASCADE but is not enforced on this connection"*"PRAGMA foreign_keys = ON"*) ;;
  *) fail "unenforced cascade: $out" ;; esac
[ "$(q "SELECT count(*) FROM orders")" = 50000 ] || fail "the refused policy deleted"
q "SELECT blockers FROM dbretain_plan('old_orders');" | grep -q '"enforced": \?false' ||
  fail "the plan does not say the cascade is not enforced"
# the command enforces the keys on its connection: the lines go with their orders
due=$(q "SELECT due FROM dbretain_plan('old_orders');")
lines=$(q "SELECT count(*) FROM order_details WHERE order_id IN (SELECT order_id FROM orders WHERE order_date < date('now', '-900 days'));")
[ "$lines" -gt 0 ] || fail "fixture: no lines of due orders"
run 0 retain --db "sqlite:$db" --json
[ "$(json "[(p['policy'], p['deleted'], p['blocked']) for p in d['policies']]")" = "[('old_orders', $due, 0)]" ] ||
  fail "dbcare retain: $(cat "$work/out")"
[ "$(q "SELECT count(*) FROM order_details WHERE order_id NOT IN (SELECT order_id FROM orders);")" = 0 ] ||
  fail "dbcare retain left lines of deleted orders"
orphans "dbcare retain"
out=$(q "SELECT dbsoftdelete_enable('orders') IS NOT NULL; DELETE FROM orders WHERE order_id = 1;
  SELECT dbsoftdelete_purge('orders');" 2>&1) && fail "purged with an unenforced cascade: $out"
case "$out" in *"dbcare: dbsoftdelete_purge: foreign key"*"is ON DELETE CASCADE but is not enforced"*) ;;
  *) fail "unenforced purge: $out" ;; esac
orphans "cascade refused"
# and a purge on a connection that enforces them cascades
got=$(on "SELECT dbsoftdelete_purge('orders');") || fail "purge with foreign_keys on: $got"
orphans "cascading purge"
echo "ok: declared keys protect their rows with foreign_keys off and on; the plan names the blockers"
