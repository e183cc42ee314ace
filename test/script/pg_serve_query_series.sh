#!/usr/bin/env bash
# dbcare serve's query series on PostgreSQL (issue 67): the setting studied
# is shared_preload_libraries with pg_stat_statements (the suite's cluster
# preloads it; the test fails when it does not). With 150 distinct
# statements in pg_stat_statements, /metrics has exactly 100 series of
# each of dbcare_query_calls and dbcare_query_total_time_seconds for the
# database, labelled engine, database and queryid only (never the text),
# the 100 of the largest total time (the slowest statement among them),
# their numbers pg_stat_statements'; promtool accepts the exposition.
# Without the extension in the database, or with it installed but its
# statistics unreadable (not granted), there are no such series and the
# database is still up.
set -eu
db=dbcare_serve_queries
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/cli.sh"
. "$root/test/script/lib/serve.sh"
py=/usr/bin/python3
url="postgresql:///$db?host=$PGHOST&port=$PGPORT"
fresh_db
case ",$(q -c 'SHOW shared_preload_libraries' | tr -d ' ')," in
*,pg_stat_statements,*) ;;
*) fail "the cluster does not preload pg_stat_statements (shared_preload_libraries)" ;;
esac
command -v promtool >/dev/null || fail "promtool is not installed"

# series: the lines of family $1 of this database in body
series() { grep "^$1{.*database=\"$db\"" body || true; }

# --- no pg_stat_statements in the database: no query series, still up
q -c "SET client_min_messages = warning" -c "DROP EXTENSION IF EXISTS pg_stat_statements"
start_serve serve.log --db "$url" --min-interval 0 --report-interval 0
get "$base/metrics"; want_code 200 "metrics without pg_stat_statements"
grep -q "^dbcare_up{engine=\"postgresql\",database=\"$db\"} 1" body || fail "not up: $(grep dbcare_up body)"
grep -q '^# TYPE dbcare_query_' body && fail "query families without pg_stat_statements"
stop_serve

# --- 150 distinct statements (one table each), one of them slow
q -c "CREATE EXTENSION pg_stat_statements"
q -c "DO \$\$ BEGIN FOR i IN 1..150 LOOP EXECUTE format('CREATE TABLE qs_%s (id int)', i); END LOOP; END \$\$"
q -c "SELECT pg_stat_statements_reset()" >/dev/null
for i in $(seq 1 150); do echo "SELECT count(*) FROM qs_$i;"; done >load.sql
q -f load.sql >/dev/null
q -f load.sql >/dev/null
q -c "SELECT pg_sleep(0.3)" >/dev/null
distinct=$(q -c "SELECT count(DISTINCT queryid) FROM pg_stat_statements
                 WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())")
[ "$distinct" -gt 150 ] || fail "pg_stat_statements holds $distinct statements, want more than 150"

start_serve serve.log --db "$url" --min-interval 0 --report-interval 0
get "$base/metrics"; want_code 200 metrics
promtool check metrics <body || fail "promtool refused /metrics"
for f in dbcare_query_calls dbcare_query_total_time_seconds; do
  grep -qx "# TYPE $f gauge" body || fail "no family $f"
  n=$(series "$f" | wc -l)
  [ "$n" = 100 ] || fail "$f: $n series of $db, want 100 (the cap)"
done
# the labels: engine, database and queryid, never the query's text
series dbcare_query_calls | grep -vqE '^dbcare_query_calls\{engine="postgresql",database="[^"]*",queryid="-?[0-9]+"\} [0-9]+$' &&
  fail "a series with other labels: $(series dbcare_query_calls | grep -vE 'queryid="-?[0-9]+"\} [0-9]+$' | head -3)"
grep -q 'qs_1\b\|pg_sleep' body && fail "a query's text in /metrics"

# the slowest statement is among them, with pg_stat_statements' numbers
slow=$(q -c "SELECT queryid FROM pg_stat_statements WHERE query LIKE 'SELECT pg_sleep%' LIMIT 1")
[ -n "$slow" ] || fail "pg_stat_statements lacks the pg_sleep statement"
grep -qx "dbcare_query_calls{engine=\"postgresql\",database=\"$db\",queryid=\"$slow\"} 1" body ||
  fail "the slowest statement's calls: $(grep "queryid=\"$slow\"" body)"
secs=$(sed -n "s/^dbcare_query_total_time_seconds{engine=\"postgresql\",database=\"$db\",queryid=\"$slow\"} //p" body)
"$py" -c "import sys; sys.exit(not 0.29 <= float('${secs:-0}') < 5)" ||
  fail "the slowest statement's total time: '$secs' s, want about 0.3"
# a statement called twice says 2 (qs_7's: every statement of load.sql ran twice)
q7=$(q -c "SELECT queryid FROM pg_stat_statements WHERE query = 'SELECT count(*) FROM qs_7'")
[ -n "$q7" ] || fail "pg_stat_statements lacks qs_7's statement"
if grep -q "queryid=\"$q7\"" body; then
  grep -qx "dbcare_query_calls{engine=\"postgresql\",database=\"$db\",queryid=\"$q7\"} 2" body ||
    fail "qs_7's calls: $(grep "queryid=\"$q7\"" body)"
fi
# the 100 are the 100 of the largest total time: of load.sql's statements
# (their numbers no longer change; serve's own ones grow with each
# refresh), every one shown took at least as long as every one left out
"$py" - body "$db" <<EOF || fail "the series are not the top 100 by total time"
import re, subprocess, sys
text, db = open(sys.argv[1]).read(), sys.argv[2]
got = set(re.findall(r'^dbcare_query_total_time_seconds\{[^}]*database="%s",queryid="(-?\d+)"\}' % re.escape(db), text, re.M))
out = subprocess.run(["$B/psql", "-X", "-At", "-d", db, "-c",
    "SELECT queryid, sum(total_exec_time) FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database"
    " WHERE datname = current_database()) AND query LIKE 'SELECT count(*) FROM qs%' GROUP BY queryid"],
    capture_output=True, text=True, check=True).stdout
load = {q: float(t) for q, t in (l.split("|") for l in out.splitlines())}
shown = [t for q, t in load.items() if q in got]
left = [t for q, t in load.items() if q not in got]
print("load statements:", len(load), "shown:", len(shown))
if len(load) != 150 or not shown or not left or min(shown) < max(left):
    print("min shown", min(shown, default=None), "max left out", max(left, default=None))
    sys.exit(1)
EOF
stop_serve

# --- installed but not readable by the serve role: no series, still up
q -c "SET client_min_messages = warning" -c "DROP ROLE IF EXISTS dbcare_qs_reader" \
  -c "CREATE ROLE dbcare_qs_reader LOGIN" -c "GRANT CONNECT ON DATABASE $db TO dbcare_qs_reader" \
  -c "GRANT USAGE ON SCHEMA dbcare TO dbcare_qs_reader" \
  -c "GRANT SELECT ON ALL TABLES IN SCHEMA dbcare TO dbcare_qs_reader" \
  -c "REVOKE SELECT ON pg_stat_statements FROM PUBLIC"
trap '"$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "DROP ROLE IF EXISTS dbcare_qs_reader" >/dev/null 2>&1 || true; kill_serves; cleanup' EXIT
start_serve serve.log --db "postgresql://dbcare_qs_reader@/$db?host=$PGHOST&port=$PGPORT" \
  --min-interval 0 --report-interval 0
get "$base/metrics"; want_code 200 "metrics without the right to read pg_stat_statements"
grep -q '^dbcare_up{engine="postgresql",database=".*"} 1' body || { get "$base/readyz"; fail "not up: $(cat body)"; }
grep -q '^# TYPE dbcare_query_' body && fail "query families the role cannot read"
stop_serve
echo "ok: pg_serve_query_series"
