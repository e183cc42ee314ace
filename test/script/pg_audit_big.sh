#!/usr/bin/env bash
# Big audited statements (issue 36, item 1): an INSERT ... SELECT, an UPDATE
# and a DELETE of 200,000 rows each on an audited table at the stock
# work_mem (4MB), whose transition tables then spill to disk, and the same
# at work_mem = 64kB with fewer rows. The trigger reads those rows back from
# the temporary files (pg/audit/audit_trigger.c, log_statement); a row it fetched
# must not be freed twice, which ended the backend with signal 11 and
# restarted the server. Afterwards the log holds exactly one entry per
# changed row, in the statement's order, the hash chain (of the small run)
# verifies, a sample row's history is its three changes, and the server
# kept running (pg_postmaster_start_time).
set -eu
db=dbcare_audit_big
. "$(dirname "$0")/lib/pg.sh"
fresh_db

started=$(q -c "SELECT pg_postmaster_start_time()")
[ "$(q -c "SHOW work_mem")" = 4MB ] || fail "the cluster's work_mem is not the stock 4MB: $(q -c "SHOW work_mem")"

# rows: how many; mem: the work_mem the statements run with ('' keeps the stock
# one); chain: the hash_chain option (the small run's, so that verifying stays quick)
run() {
  local t=$1 rows=$2 mem=$3 chain=$4 set=()
  [ -z "$mem" ] || set=(-c "SET work_mem = '$mem'")
  q -c "CREATE TABLE $t (id int PRIMARY KEY, v int NOT NULL, note text)" \
    -c "SELECT dbaudit_enable('$t', '{\"hash_chain\": $chain}')" > /dev/null
  q "${set[@]}" -c "INSERT INTO $t SELECT g, g, 'row ' || g FROM generate_series(1, $rows) g" \
    -c "UPDATE $t SET v = v + 1, note = note || '!'" \
    -c "DELETE FROM $t" > /dev/null || fail "$t: the audited statements failed ($rows rows, work_mem ${mem:-4MB})"
  got=$(q -c "SELECT operation || ' ' || count(*) FROM dbcare.audit_log WHERE table_name = 'public.$t'
              GROUP BY operation ORDER BY operation" | tr '\n' ',')
  [ "$got" = "delete $rows,insert $rows,update $rows," ] || fail "$t: entries $got (want $rows of each)"
  # a row in the middle: its three entries with its values
  local k=$((rows / 2 + 7))
  got=$(q -c "SELECT string_agg(operation || ' ' || coalesce(old_values::text, '-') || ' ' || coalesce(new_values::text, '-'), ' | ' ORDER BY id)
              FROM dbaudit_history('$t', '{\"id\": $k}')")
  want="insert - {\"v\": $k, \"id\": $k, \"note\": \"row $k\"} | update {\"v\": $k, \"note\": \"row $k\"} {\"v\": $((k + 1)), \"note\": \"row $k!\"} | delete {\"v\": $((k + 1)), \"id\": $k, \"note\": \"row $k!\"} -"
  [ "$got" = "$want" ] || fail "$t: history of row $k:
$got
want:
$want"
  # the entries follow the order of the rows in each statement
  [ "$(q -c "SELECT count(*) FROM (SELECT (key->>'id')::int - lag((key->>'id')::int) OVER (ORDER BY id) AS step
              FROM dbcare.audit_log WHERE table_name = 'public.$t' AND operation = 'insert') s WHERE step <> 1")" = 0 ] ||
    fail "$t: the inserts are not in the statement's order"
}

run big 200000 '' false
run small 30000 64kB true

[ "$(q -c "SELECT checked || ' ' || coalesce(broken_id::text, '-') FROM dbaudit_verify()")" = "$((30000 * 3)) -" ] ||
  fail "verify: $(q -c "SELECT * FROM dbaudit_verify()")"
[ "$(q -c "SELECT pg_postmaster_start_time()")" = "$started" ] || fail "the server restarted"
echo "ok: $(((200000 + 30000) * 3)) entries of big statements at work_mem 4MB and 64kB"
