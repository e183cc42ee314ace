#!/usr/bin/env bash
# Query statistics with deltas on SQLite (issue 67): a connection where
# dbmonitor does not record says so, with how to enable it, and reading
# makes nothing; where it records, each dbhealth_snapshot keeps its
# statements of most total time in dbcare_health_query_stats (bounded by
# health.queries.top and health.queries.points) and dbhealth_queries gives
# each one's calls and time since the newest snapshot; another connection
# (serve's) reads the newest snapshot against the one before.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
db="$work/app.db"
q "CREATE TABLE t (x)" >/dev/null
# json SQL EXPR: a Python expression over the JSON SQL returns (d)
json() { "$py" -c "import json,sys; d=json.loads(sys.argv[1]); print($2)" "$(q "$1")"; }
stmt='SELECT count(*) FROM t;'
delta() { echo "[s['$1'] for s in d['statements'] if s['query'] == '$stmt'][0]"; }

[ "$(json "SELECT dbhealth_queries()" "d['source'], d['available'], d['read'], d['reason']")" = \
  "dbmonitor False none dbmonitor is not recording on this connection" ] ||
  fail "without dbmonitor: $(q "SELECT dbhealth_queries()")"
json "SELECT dbhealth_queries()" "d['hint']" | grep -q 'dbmonitor_start' || fail "no hint to enable it"
[ "$(q "SELECT count(*) FROM sqlite_schema WHERE name = 'dbcare_health_query_stats'")" = 0 ] ||
  fail "a read made the history table"

# one connection: 2 calls, a snapshot, 3 more calls; the delta is 3
out=$(q "SELECT dbmonitor_start(0, 1); $stmt $stmt SELECT dbhealth_snapshot() IS NOT NULL;
         $stmt $stmt $stmt SELECT dbhealth_queries(100);" | tail -1)
"$py" - "$out" "$stmt" <<'PY' || fail "the live deltas: $out"
import json, sys
d, stmt = json.loads(sys.argv[1]), sys.argv[2]
assert d["available"] and d["read"] == "live" and d["since"] and d["snapshots"] == 1, d
s = [s for s in d["statements"] if s["query"] == stmt][0]
assert (s["calls"], s["calls_delta"], s["rows"], s["rows_delta"]) == (5, 3, None, None), s
assert len(s["query_id"]) == 16, s
PY

# bounded: 2 statements a snapshot, 2 snapshots kept; another connection
# reads the newest snapshot against the one before
q "SELECT dbcare_set('health.queries.top', '2'); SELECT dbcare_set('health.queries.points', '2');" >/dev/null
q "SELECT dbmonitor_start(0, 1); SELECT dbhealth_snapshot(); SELECT dbhealth_snapshot(); SELECT dbhealth_snapshot();" >/dev/null
[ "$(q "SELECT count(DISTINCT snapshot_id), max(n) FROM dbcare_health_query_stats,
        (SELECT max(c) AS n FROM (SELECT count(*) AS c FROM dbcare_health_query_stats GROUP BY snapshot_id))")" = "2|2" ] ||
  fail "not bounded to 2 statements x 2 snapshots: $(q "SELECT snapshot_id, query FROM dbcare_health_query_stats")"
[ "$(json "SELECT dbhealth_queries()" "d['available'], d['read'], d['snapshots'], d['since'] is not None, d['since'] < d['at'], len(d['statements'])")" = \
  "False snapshot 2 True True 2" ] || fail "read from the history: $(q "SELECT dbhealth_queries()")"
q "SELECT dbhealth_queries(101)" >/dev/null 2>&1 && fail "101 statements accepted"
echo ok
