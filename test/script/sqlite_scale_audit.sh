#!/usr/bin/env bash
# Scale tier (SQLite), audit: in the Chinook sample, an INSERT ... SELECT,
# an UPDATE and a DELETE of 200,000 rows of the hash-chained, audited
# "InvoiceLine" write 200,000 entries each, one per key, with the values
# the statement wrote, and the chain of all 600,000 verifies clean.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
n=200000
half=$((n / 2))
t0=$(date +%s)
took() { echo "$1: $(($(date +%s) - t0)) s"; }
# --- audit ---------------------------------------------------------------
db="$work/chinook.db"
load_sample chinook
base=$(q 'SELECT max("InvoiceLineId") FROM "InvoiceLine";')
q "SELECT dbaudit_enable('InvoiceLine', '{\"hash_chain\": true}');" >/dev/null
entries() {
  q "SELECT count(*) || ' ' || count(DISTINCT key) FROM dbcare_audit_log
      WHERE table_name = 'InvoiceLine' AND operation = '$1'
        AND json_extract(key, '$.InvoiceLineId') > $base;"
}
q "WITH RECURSIVE g(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM g WHERE g < $n)
   INSERT INTO \"InvoiceLine\" (\"InvoiceId\", \"TrackId\", \"UnitPrice\", \"Quantity\")
   SELECT 1 + g % 50000, 1 + (g * 37) % 30000, 0.99, 1 + g % 3 FROM g;"
took "insert"
[ "$(entries insert)" = "$n $n" ] || fail "audit insert entries|keys: $(entries insert)"
q "UPDATE \"InvoiceLine\" SET \"Quantity\" = \"Quantity\" + 10 WHERE \"InvoiceLineId\" > $base;"
took "update"
[ "$(entries update)" = "$n $n" ] || fail "audit update entries|keys: $(entries update)"
[ "$(q "SELECT count(*) FROM dbcare_audit_log WHERE operation = 'update'
         AND json_extract(new_values, '$.Quantity') <> json_extract(old_values, '$.Quantity') + 10;")" = 0 ] ||
  fail "update entries whose values do not match the statement"
q "DELETE FROM \"InvoiceLine\" WHERE \"InvoiceLineId\" > $base;"
took "delete"
[ "$(entries delete)" = "$n $n" ] || fail "audit delete entries|keys: $(entries delete)"
[ "$(q "SELECT count(*) FROM dbcare_audit_log;")" = $((3 * n)) ] || fail "log entries: $(q "SELECT count(*) FROM dbcare_audit_log;")"
v=$(q "SELECT checked || '|' || ifnull(broken_id, '') || '|' || ifnull(problem, '') FROM dbaudit_verify;")
[ "$v" = "$((3 * n))||" ] || fail "dbaudit_verify: $v (want $((3 * n))||)"
took "audit: 3 statements of $n rows"
echo "ok ($(($(date +%s) - t0)) s)"
