#!/usr/bin/env bash
# Query statistics with deltas on PostgreSQL (issue 67): without
# pg_stat_statements in the database, dbhealth_queries says so (a catalog
# lookup, no error) and a snapshot records no statement; with it, each
# dbhealth_snapshot records the statements of most total time, bounded by
# health.queries.top and health.queries.points, and dbhealth_queries gives
# each statement's calls, time and rows since the newest snapshot (a reset
# of the statistics reads as counts since the reset); a pg_monitor role
# reads it; a role that may not read the history gets the figures without
# deltas, told why, and one that may not read pg_stat_statements is told so; serve's live page shows the panel with the deltas.
set -eu
db=dbcare_query_history
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/cli.sh"
. "$root/test/script/lib/serve.sh"
py=/usr/bin/python3
fresh_db
case ",$(q -c 'SHOW shared_preload_libraries' | tr -d ' ')," in
*,pg_stat_statements,*) ;;
*) fail "the cluster does not preload pg_stat_statements (shared_preload_libraries)" ;;
esac
# json EXPR: a Python expression over dbhealth_queries(100) (d), printed
json() { "$py" -c "import json,sys; d=json.loads(sys.argv[1]); print($1)" "$(q -c "SELECT dbhealth_queries(100)")"; }
# the delta of statement text $1 in column $2
delta() { json "[s['$2'] for s in d['statements'] if s['query'] == '$1'][0]"; }

# --- not installed: said, with the way to enable it; nothing recorded
q -c "SET client_min_messages = warning" -c "DROP EXTENSION IF EXISTS pg_stat_statements"
[ "$(json "d['available'], d['read'], d['reason'], d['statements']")" = \
  "False none pg_stat_statements is not installed in this database []" ] ||
  fail "without the extension: $(q -c 'SELECT dbhealth_queries()')"
json "d['hint']" | grep -q 'CREATE EXTENSION pg_stat_statements' || fail "no hint to enable it"
q -c "SELECT dbhealth_snapshot()" >/dev/null
[ "$(q -c "SELECT count(*) FROM dbcare.health_query_stats")" = 0 ] || fail "recorded without a source"

# --- installed: a snapshot, then 5 more calls of a statement of 3 rows
q -c "CREATE EXTENSION pg_stat_statements" -c "CREATE TABLE t AS SELECT g AS x FROM generate_series(1, 3) g"
q -c "SELECT pg_stat_statements_reset()" >/dev/null
stmt='SELECT x FROM t WHERE x > $1'
for i in 1 2; do q -c "SELECT x FROM t WHERE x > 0" >/dev/null; done
q -c "SELECT dbhealth_snapshot()" >/dev/null
for i in 1 2 3 4 5; do q -c "SELECT x FROM t WHERE x > 0" >/dev/null; done
[ "$(json "d['available'], d['read'], d['source'], d['since'] is not None, d['seconds'] >= 0")" = \
  "True live pg_stat_statements True True" ] || fail "live read: $(q -c 'SELECT dbhealth_queries()')"
[ "$(delta "$stmt" calls),$(delta "$stmt" calls_delta),$(delta "$stmt" rows_delta),$(delta "$stmt" reset)" = "7,5,15,False" ] ||
  fail "the statement's deltas: $(json "[s for s in d['statements'] if s['query'] == '$stmt']")"

# --- a reset of pg_stat_statements: the counts since the reset
q -c "SELECT dbhealth_snapshot()" -c "SELECT pg_stat_statements_reset()" >/dev/null
q -c "SELECT x FROM t WHERE x > 0" >/dev/null
[ "$(delta "$stmt" calls_delta),$(delta "$stmt" reset)" = "1,True" ] ||
  fail "after a reset: $(json "[s for s in d['statements'] if s['query'] == '$stmt']")"

# --- bounded: 3 statements a snapshot, 2 snapshots kept
q -c "SELECT dbcare_set('health.queries.top', '3')" -c "SELECT dbcare_set('health.queries.points', '2')" >/dev/null
for i in 1 2 3; do q -c "SELECT dbhealth_snapshot()" >/dev/null; done
[ "$(q -c "SELECT count(DISTINCT snapshot_id), max(n) FROM dbcare.health_query_stats,
            (SELECT max(c) AS n FROM (SELECT count(*) AS c FROM dbcare.health_query_stats GROUP BY snapshot_id) k) m")" = "2|3" ] ||
  fail "not bounded to 3 statements x 2 snapshots: $(q -c 'SELECT snapshot_id, query_id FROM dbcare.health_query_stats')"
[ "$(json "d['snapshots']")" = 2 ] || fail "the history's snapshots"

# --- a monitoring role reads it; PUBLIC cannot record a snapshot
q -c "SET client_min_messages = warning" -c "DROP ROLE IF EXISTS dbcare_qh_monitor" \
  -c "DROP ROLE IF EXISTS dbcare_qh_plain" -c "CREATE ROLE dbcare_qh_plain LOGIN" \
  -c "CREATE ROLE dbcare_qh_monitor LOGIN IN ROLE pg_monitor" -c "GRANT USAGE ON SCHEMA dbcare TO dbcare_qh_monitor"
trap '"$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "DROP ROLE IF EXISTS dbcare_qh_monitor" -c "DROP ROLE IF EXISTS dbcare_qh_plain" >/dev/null 2>&1 || true; kill_serves; cleanup' EXIT
mon() { "$B/psql" -X -q -At -U dbcare_qh_monitor -d "$db" "$@"; }
mon -c "SELECT dbhealth_queries(5)->>'available'" | grep -qx true || fail "pg_monitor cannot read it"
mon -c "SELECT dbhealth_snapshot()" >/dev/null 2>&1 && fail "a monitoring role recorded a snapshot"
out=$("$B/psql" -X -q -At -U dbcare_qh_plain -d "$db" -c "SELECT 1" -c "SELECT dbhealth_queries(5)" | tail -1)
"$py" -c "import json,sys; d=json.loads(sys.argv[1]); assert d['available'] and d['read'] == 'live' and d['history_error'] and d['since'] is None, d" "$out" ||
  fail "a role without the history: $out"
q -c "REVOKE SELECT ON pg_stat_statements FROM PUBLIC"
out=$("$B/psql" -X -q -At -U dbcare_qh_plain -d "$db" -c "SELECT dbhealth_queries(5)")
"$py" -c "import json,sys; d=json.loads(sys.argv[1]); assert not d['available'] and d['reason'].startswith('pg_stat_statements cannot be read: permission denied') and 'GRANT pg_monitor' in d['hint'], d" "$out" ||
  fail "a role that may not read pg_stat_statements: $out"

# --- serve's live page: the panel, with the statement and its deltas
start_serve serve.log --db "postgresql:///$db?host=$PGHOST&port=$PGPORT" --min-interval 0 --report-interval 0
get "$base/live"; want_code 200 live
grep -q 'id="query-deltas-0"' "$work/body" || fail "no query statistics panel: $(head -c 600 "$work/body")"
grep -q '<th>calls_delta</th>' "$work/body" || fail "no delta column"
grep -q 'Deltas over [0-9]* s, since the snapshot of' "$work/body" || fail "the panel does not say since when"
stop_serve
q -c "DROP EXTENSION pg_stat_statements"
start_serve serve.log --db "postgresql:///$db?host=$PGHOST&port=$PGPORT" --min-interval 0 --report-interval 0
get "$base/live"; want_code 200 "live without pg_stat_statements"
grep -q 'Not available here: pg_stat_statements is not installed in this database' "$work/body" ||
  fail "the panel does not say the extension is absent"
stop_serve
echo "ok: pg_query_history"
