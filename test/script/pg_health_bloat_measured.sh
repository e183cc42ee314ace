#!/usr/bin/env bash
# Measured table bloat (issue 67): where pgstattuple is installed,
# table_bloat measures the largest tables with pgstattuple_approx (heap and
# TOAST) within health.table_bloat.budget_ms and keeps the pg_stats estimate
# beside each measurement with its error. Three seeded tables, 3 of 4 rows
# deleted then VACUUMed: a plain one, a TOAST-heavy jsonb one and a
# narrow-column one. Without the extension the check estimates (dbcare never
# creates it); with it, each table's measured share is within 2 points of a
# full pgstattuple of the heap and its TOAST table, and the message gives
# measured and estimated; a tiny budget measures only the largest table and
# says how many it left to the estimate; 0 measures none. The B-tree index
# of the plain table is measured with pgstatindex and its REINDEX, the
# plan's row, clears it. A table another session holds exclusively is
# estimated at once, not waited for.
set -eu
db=dbcare_health_bloat_measured
. "$(dirname "$0")/lib/pg.sh"
fresh_db
t0=$(date +%s)

q -c "CREATE TABLE plain (id int PRIMARY KEY, name text, qty int, at timestamptz)" \
  -c "INSERT INTO plain SELECT g, 'item ' || g, g % 100, now() FROM generate_series(1, 200000) g" \
  -c "CREATE TABLE docs (id int PRIMARY KEY, label text, doc jsonb)" \
  -c "INSERT INTO docs SELECT g, repeat('x', 120), jsonb_build_object('id', g, 'body',
        (SELECT string_agg(md5(random()::text || g || k), '') FROM generate_series(1, 120) k))
      FROM generate_series(1, 8000) g" \
  -c "CREATE TABLE narrow (a smallint, b boolean)" \
  -c "INSERT INTO narrow SELECT g % 1000, g % 2 = 0 FROM generate_series(1, 400000) g" \
  -c "DELETE FROM plain WHERE id % 4 <> 0" -c "DELETE FROM docs WHERE id % 4 <> 0" \
  -c "DELETE FROM narrow WHERE a % 4 <> 0" \
  -c "VACUUM ANALYZE plain" -c "VACUUM ANALYZE docs" -c "VACUUM ANALYZE narrow" >/dev/null
[ "$(q -c "SELECT pg_relation_size(reltoastrelid) > 20 * 1024 * 1024 FROM pg_class WHERE relname = 'docs'")" = t ] ||
  fail "docs is not TOAST-heavy"
message() { q -c "SELECT status || '|' || message FROM dbhealth_checks('quick') WHERE name = 'table_bloat'"; }

# without the extension: the estimate alone, and nothing measured
msg=$(message)
echo "without pgstattuple: $msg"
case "$msg" in *measured*) fail "measured without pgstattuple: $msg" ;; esac
[ "$(q -c "SELECT count(*) FROM pg_extension WHERE extname = 'pgstattuple'")" = 0 ] ||
  fail "the report created pgstattuple"

q -c "CREATE EXTENSION pgstattuple" >/dev/null
msg=$(message)
echo "with pgstattuple: $msg"
case "$msg" in
  "warning|"*"; measured 3 tables with pgstattuple_approx and 1 B-tree index with pgstatindex") ;;
  *) fail "the check does not measure the three tables: $msg" ;;
esac
# each table: measured within 2 points of a full pgstattuple (free space
# and dead tuples over the bytes of the heap and its TOAST table)
for t in plain docs narrow; do
  m=$(printf '%s' "$msg" | grep -o "$t (measured [0-9.]*%" | grep -o '[0-9.]*%' | tr -d %)
  [ -n "$m" ] || fail "$t is not measured: $msg"
  est=$(printf '%s' "$msg" | grep -o "$t (measured [^;]*; [^)]*)" | sed 's/.*; //')
  case "$est" in
    "the estimate from pg_stats "*"% (off by "*" points)" | "no estimate (its columns lack statistics)") ;;
    *) fail "$t's finding has no estimate beside the measure: $est" ;;
  esac
  full=$(q -c "SELECT round(100.0 * sum(s.free_space + s.dead_tuple_len) / sum(s.table_len), 2)
               FROM pg_class c, LATERAL (VALUES (c.oid), (nullif(c.reltoastrelid, 0))) r(oid),
               LATERAL pgstattuple(r.oid) s WHERE c.relname = '$t' AND r.oid IS NOT NULL")
  echo "$t: measured $m %, full pgstattuple $full %, $est"
  python3 -c "import sys; m, f = float('$m'), float('$full'); sys.exit(0 if abs(m - f) <= 2 else 1)" ||
    fail "$t: measured $m % is not within 2 points of the full pgstattuple's $full %"
done
echo "ok: the three tables are measured within 2 points, the estimate beside each"

# the B-tree index of plain, 3 of 4 keys gone: measured with pgstatindex
# (its leaf density against its fillfactor, 90), rebuilt by the plan's
# REINDEX INDEX CONCURRENTLY, after which it is no longer listed
idx=$(printf '%s' "$msg" | grep -o "plain_pkey (B-tree index on plain: measured [0-9.]*%" | grep -o '[0-9.]*%' | tr -d %)
[ -n "$idx" ] || fail "plain_pkey is not measured: $msg"
want=$(q -c "SELECT round((100.0 * (leaf_pages * greatest(0, 1 - avg_leaf_density / 90)
                      + empty_pages + deleted_pages) * 8192 / index_size)::numeric, 1)
             FROM pgstatindex('plain_pkey')")
echo "plain_pkey: measured $idx %, from a pgstatindex of it $want %"
python3 -c "import sys; sys.exit(0 if abs(float('$idx') - float('$want')) <= 2 and float('$idx') > 50 else 1)" ||
  fail "plain_pkey: measured $idx %, pgstatindex says $want %"
plan=$(q -c "SELECT statement || ' | ' || safety FROM dbmaintain_plan('quick') WHERE action = 'reindex'")
[ "$plan" = "REINDEX INDEX CONCURRENTLY public.plain_pkey | safe" ] || fail "the index's plan row: $plan"
# outside a transaction: run by the caller, as docs/maintenance.md says
printf '%s\n' "SELECT statement FROM dbmaintain_plan('quick') WHERE action = 'reindex' AND outside_transaction \gexec" |
  q >/dev/null
case "$(message)" in
  *plain_pkey*) fail "plain_pkey still bloated after its REINDEX: $(message)" ;;
esac
echo "ok: the bloated index is measured, and its REINDEX clears it"

# a table another session holds exclusively is estimated, not waited for
# (a measurement takes an ACCESS SHARE lock), and the caller's own
# lock_timeout is as it was after the report
"$B/psql" -X -q -d "$db" -c "BEGIN" -c "LOCK TABLE narrow IN ACCESS EXCLUSIVE MODE" -c "SELECT pg_sleep(60)" \
  >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 1 300); do
  [ "$(q -c "SELECT count(*) FROM pg_locks WHERE relation = 'narrow'::regclass AND granted")" = 1 ] && break
  sleep 0.1
done
t1=$(date +%s%N)
got=$(q -c "SET lock_timeout = '7s'" -c "SELECT status || '|' || message FROM dbhealth_checks('quick') WHERE name = 'table_bloat'" \
        -c "SHOW lock_timeout")
ms=$((($(date +%s%N) - t1) / 1000000))
echo "narrow locked ($ms ms): $got"
[ "$ms" -lt 5000 ] || fail "the report waited for the locked table: $ms ms"
case "$got" in
  *"public.narrow (about "*"(estimate))"*"measured 2 tables with pgstattuple_approx"*) ;;
  *) fail "the locked table is not left to its estimate: $got" ;;
esac
[ "$(printf '%s\n' "$got" | tail -n 1)" = 7s ] || fail "the caller's lock_timeout changed: $got"
kill "${pids[-1]}" 2>/dev/null || true
q -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '$db' AND pid <> pg_backend_pid()" >/dev/null
echo "ok: a table locked by another session is estimated, the report does not wait"

# a tiny budget: the largest table (docs, with its TOAST) only, and said
q -c "SELECT dbcare_set('health.table_bloat.budget_ms', '0.001')" >/dev/null
msg=$(message)
echo "budget 0.001 ms: $msg"
case "$msg" in
  *"docs (measured "*"measured 1 of the 3 largest tables with pgstattuple_approx, 0 of 1 B-tree indexes with pgstatindex before health.table_bloat.budget_ms (0.001 ms) ran out; the other 2 tables are estimates") ;;
  *) fail "a tiny budget: $msg" ;;
esac
case "$msg" in *"plain (measured"* | *"narrow (measured"*) fail "measured past the budget: $msg" ;; esac
q -c "SELECT dbcare_set('health.table_bloat.budget_ms', '0')" >/dev/null
msg=$(message)
echo "budget 0: $msg"
case "$msg" in *measured*) fail "budget 0 measured: $msg" ;; esac
echo "ok: the budget holds and the message says what it left to the estimate"
echo "took $(($(date +%s) - t0)) s"
