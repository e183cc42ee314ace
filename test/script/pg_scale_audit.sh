#!/usr/bin/env bash
# Scale tier, audit: statements of 200,000 rows on an audited, hash-chained
# table of the Chinook sample ("InvoiceLine"), at stock settings (work_mem
# 4MB: each statement's transition table spills to disk many times over).
# An INSERT ... SELECT, an UPDATE and a DELETE of the same 200,000 rows write
# exactly 200,000 entries each, one per row and key, the chain verifies
# clean over all 600,000, and the session stays usable after each statement.
set -eu
db=dbcare_scale_audit
. "$(dirname "$0")/lib/pg.sh"
n=200000
fresh_db
load_sample chinook
[ "$(q -c "SHOW work_mem")" = 4MB ] || fail "work_mem is not the stock 4MB: $(q -c "SHOW work_mem")"
q -c "SELECT dbaudit_enable('\"InvoiceLine\"', '{\"hash_chain\": true}')" >/dev/null
base=$(q -c 'SELECT max("InvoiceLineId") FROM "InvoiceLine"')

t0=$(date +%s)
step() { # label SQL: runs one statement in a session that must stay usable
  local out
  out=$(q -c "$2" -c "SELECT 'alive'" 2>&1) || fail "$1: $out"
  [ "$(echo "$out" | tail -1)" = alive ] || fail "$1: the session did not answer after it: $out"
  echo "$1: $(($(date +%s) - t0)) s"
}
entries() { # operation: entries of the test's rows, and of distinct keys
  q -c "SELECT count(*) || ' ' || count(DISTINCT key) FROM dbcare.audit_log
         WHERE table_name = 'public.\"InvoiceLine\"' AND operation = '$1'
           AND (key->>'InvoiceLineId')::int > $base"
}
step "insert $n" "INSERT INTO \"InvoiceLine\" (\"InvoiceId\", \"TrackId\", \"UnitPrice\", \"Quantity\")
  SELECT 1 + g % 50000, 1 + (g * 37) % 30000, 0.99, 1 + g % 3 FROM generate_series(1, $n) g"
[ "$(entries insert)" = "$n $n" ] || fail "insert entries|keys: $(entries insert) (want $n $n)"
step "update $n" "UPDATE \"InvoiceLine\" SET \"Quantity\" = \"Quantity\" + 10 WHERE \"InvoiceLineId\" > $base"
[ "$(entries update)" = "$n $n" ] || fail "update entries|keys: $(entries update) (want $n $n)"
# each update entry holds the row's old and new quantity
[ "$(q -c "SELECT count(*) FROM dbcare.audit_log WHERE operation = 'update'
            AND (new_values->>'Quantity')::int <> (old_values->>'Quantity')::int + 10")" = 0 ] ||
  fail "update entries whose values do not match the statement"
step "delete $n" "DELETE FROM \"InvoiceLine\" WHERE \"InvoiceLineId\" > $base"
[ "$(entries delete)" = "$n $n" ] || fail "delete entries|keys: $(entries delete) (want $n $n)"
[ "$(q -c "SELECT count(*) FROM \"InvoiceLine\"")" = "$base" ] || fail "rows left: $(q -c 'SELECT count(*) FROM "InvoiceLine"')"
[ "$(q -c "SELECT count(*) FROM dbcare.audit_log")" = $((3 * n)) ] ||
  fail "log entries: $(q -c "SELECT count(*) FROM dbcare.audit_log") (want $((3 * n)))"
v=$(q -c "SELECT checked || '|' || coalesce(broken_id::text, '') || '|' || coalesce(problem, '') FROM dbaudit_verify()")
[ "$v" = "$((3 * n))||" ] || fail "dbaudit_verify: $v (want $((3 * n))||)"
echo "ok: 3 statements of $n rows, $((3 * n)) entries, chain verified ($(($(date +%s) - t0)) s)"
