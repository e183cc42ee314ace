#!/usr/bin/env bash
# The leftover of a REINDEX CONCURRENTLY that did not finish (issue 67): the
# rebuild is cancelled while it waits for a writer's transaction, which
# leaves its new copy "<index>_ccnew" invalid beside the valid index. The
# plan drops the leftover (DROP INDEX CONCURRENTLY, as PostgreSQL's REINDEX
# documentation recommends), never rebuilds it (that would leave a second
# copy of the index) and never proposes a restore; the plan's statement,
# run in psql, clears invalid_indexes and leaves the original index alone.
set -eu
db=dbcare_reindex_leftover
. "$(dirname "$0")/lib/pg.sh"
fresh_db

q -c "CREATE TABLE orders (id int PRIMARY KEY, total int NOT NULL)" \
  -c "CREATE INDEX orders_total ON orders (total)" \
  -c "INSERT INTO orders SELECT i, i % 100 FROM generate_series(1, 2000) i" \
  -c "ANALYZE orders" >/dev/null

# a writer's open transaction: REINDEX CONCURRENTLY waits for it after it
# has made its new copy, and is cancelled there
"$B/psql" -X -q -d "$db" -c "BEGIN" -c "INSERT INTO orders VALUES (0, 0)" \
  -c "SELECT pg_sleep(60)" -c "COMMIT" >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
  [ "$(q -c "SELECT count(*) FROM pg_locks WHERE relation = 'orders'::regclass
             AND mode = 'RowExclusiveLock' AND pid <> pg_backend_pid()")" -ge 1 ] && break
  sleep 0.1
done
if out=$(q -c "SET statement_timeout = '2s'" -c "REINDEX INDEX CONCURRENTLY orders_total" 2>&1); then
  fail "the REINDEX CONCURRENTLY was not cancelled: $out"
fi
case "$out" in *"statement timeout"*) ;; *) fail "REINDEX: $out" ;; esac
kill "${pids[0]}" 2>/dev/null || true
q -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid()" >/dev/null
left=$(q -c "SELECT c.relname || ' ' || i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
             WHERE i.indrelid = 'orders'::regclass AND c.relname LIKE 'orders_total%' ORDER BY 1")
[ "$left" = "orders_total true
orders_total_ccnew false" ] || fail "indexes after the cancelled rebuild: $left"
echo "ok: the cancelled REINDEX CONCURRENTLY left orders_total_ccnew invalid"

msg=$(q -c "SELECT status || ' ' || message FROM dbhealth_checks('standard') WHERE name = 'invalid_indexes'")
case "$msg" in "critical "*orders_total_ccnew* | "warning "*orders_total_ccnew*) ;;
  *) fail "invalid_indexes: $msg" ;; esac
echo "ok: invalid_indexes names the leftover: $msg"

plan=$(q -c "SELECT action || ' | ' || coalesce(statement, '-') || ' | ' || safety || ' | ' || outside_transaction
             FROM dbmaintain_plan('standard') WHERE object LIKE '%orders_total%' OR action = 'restore'")
echo "$plan"
[ "$plan" = "drop_index | DROP INDEX CONCURRENTLY public.orders_total_ccnew | safe | true" ] ||
  fail "the plan for the leftover: $plan"
reason=$(q -c "SELECT reason FROM dbmaintain_plan('standard') WHERE action = 'drop_index'")
case "$reason" in *"REINDEX CONCURRENTLY of orders_total"*) ;; *) fail "reason: $reason" ;; esac
echo "ok: the plan drops the leftover (safe, outside a transaction), no rebuild, no restore"

q -c "SELECT statement FROM dbmaintain_plan('standard') WHERE action = 'drop_index'" > "$work/drop.sql"
q -f "$work/drop.sql" >/dev/null
st=$(q -c "SELECT status FROM dbhealth_checks('standard') WHERE name = 'invalid_indexes'")
[ "$st" = ok ] || fail "invalid_indexes is $st after the plan's statement"
[ "$(q -c "SELECT string_agg(c.relname || ' ' || i.indisvalid, ', ' ORDER BY 1) FROM pg_index i
           JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = 'orders'::regclass")" = \
  "orders_pkey true, orders_total true" ] || fail "the original index is not left alone"
echo "ok: the plan's DROP INDEX CONCURRENTLY, run in psql, clears the finding"
