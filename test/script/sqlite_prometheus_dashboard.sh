#!/usr/bin/env bash
# The dashboard against a real Prometheus: a SQLite fleet of two files (a
# migration applied, rows, a backup, two snapshots, an audited table, one warning) served by dbcare serve and
# scraped every second by Prometheus, which loads the committed alert rules.
# Every panel query of deploy/grafana/dbcare.json (the Grafana variables
# replaced by concrete values) must succeed and return series, except the few
# allow-listed below that a healthy fleet leaves empty by design; every rule
# group is loaded and every rule evaluates with health "ok".
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"
. "$root/test/script/lib/serve.sh"
export DBCARE_MODULE="$module"
prometheus=$(command -v prometheus || true)
[ -n "$prometheus" ] || fail "prometheus is not installed (package prometheus)"
dashboard="$root/deploy/grafana/dbcare.json"
rules="$root/deploy/prometheus/dbcare.rules.yml"

# Panels a healthy fleet leaves empty, by exact expression (after the
# variables are replaced). Keep this list short: each entry says why.
allow_empty=(
  # checks at critical: a healthy fleet has none (the == 2 filter drops all)
  'count by (database) (dbcare_health_check_status{database=~".*"} == 2)'
  # SQLite keeps no statement statistics: the slow_queries check is skipped
  # there and renders no value (PostgreSQL with pg_stat_statements does)
  'dbcare_health_check_value{database=~".*",check="slow_queries"}'
)

# --- the fleet: two files, a migration, rows, a backup, a snapshot; b has
# a table without a primary key, a warning, so the warning and
# points-lost panels have a series
mkdir m fleet
echo 'CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);' >m/V1__t.sql
for f in a b; do
  run 0 migrate --db "sqlite:fleet/$f.db" --dir m
  sqlite3 "fleet/$f.db" "INSERT INTO t (v) VALUES ('x'), ('y'), ('z')"
  run 0 backup "$work/$f.bak.db" --db "sqlite:fleet/$f.db"
  # two snapshots with rows written between: the table growth panels; the
  # audited table's entries: the audit volume panel
  db="fleet/$f.db" q "SELECT dbaudit_enable('t'); SELECT dbhealth_snapshot();
    INSERT INTO t (v) SELECT hex(randomblob(500)) FROM generate_series(1, 200);
    SELECT dbhealth_snapshot();" >/dev/null
done
sqlite3 fleet/b.db "CREATE TABLE nopk (v TEXT); INSERT INTO nopk VALUES ('w')"
start_serve serve.log --db 'sqlite:fleet/*.db' --dir m --min-interval 0

# --- Prometheus on a free port, its data in the work directory
prom_port=$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >prometheus.yml <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $rules
scrape_configs:
  - job_name: dbcare
    scrape_interval: 1s
    scrape_timeout: 1s
    static_configs:
      - targets: ['127.0.0.1:$port']
EOF
"$prometheus" --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$prom_port" >prometheus.log 2>&1 &
prom_pid=$!
serve_pids+=("$prom_pid") # killed with the servers, on every path
api=http://127.0.0.1:$prom_port/api/v1

# query EXPR: the JSON answer of an instant query in $work/body
query() { curl -s -m 10 -o "$work/body" -G --data-urlencode "query=$1" "$api/query" || true; }
result_count() { "$py" -c "import json; d=json.load(open('$work/body')); print(len(d['data']['result']) if d.get('status') == 'success' else 'error: ' + str(d))" 2>/dev/null || echo "no answer"; }

# --- bounded wait for the first scrape, then a few more (deriv needs two)
up=
for _ in $(seq 1 60); do
  kill -0 "$prom_pid" 2>/dev/null || { cat prometheus.log; fail "prometheus ended at start"; }
  query 'up{job="dbcare"} == 1'
  [ "$(result_count)" = 1 ] && { up=yes; break; }
  sleep 0.5
done
[ -n "$up" ] || { tail -20 prometheus.log; fail "prometheus never scraped dbcare serve (up{job=\"dbcare\"} == 1)"; }
sleep 4

# --- every panel query, with the Grafana variables replaced
"$py" - "$dashboard" >panels <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
def walk(ps):
    for p in ps:
        for t in p.get("targets", []):
            e = t["expr"]
            for var, val in (("$__rate_interval", "1m"), ("$__interval", "1m"),
                             ("${database}", ".*"), ("$database", ".*")):
                e = e.replace(var, val)
            assert "$" not in e, "a Grafana variable left in: " + e
            print("%s\t%s" % (p["title"], e))
        walk(p.get("panels", []))
walk(d["panels"])
PY
[ "$(wc -l <panels)" -ge 15 ] || fail "fewer panel queries than the dashboard has: $(cat panels)"
bad=
while IFS=$'\t' read -r title expr; do
  query "$expr"
  n=$(result_count)
  allowed=
  for a in "${allow_empty[@]}"; do [ "$a" = "$expr" ] && allowed=yes; done
  case $n in
    [1-9]*) [ -z "$allowed" ] || { echo "allow-listed but has data now: $title: $expr"; bad=yes; } ;;
    0) [ -n "$allowed" ] || { echo "no data: $title: $expr"; bad=yes; } ;;
    *) echo "$title: $expr: $n"; bad=yes ;;
  esac
done <panels
[ -z "$bad" ] || fail "dashboard panels without data (above)"

# --- the rule groups are loaded and every rule evaluated without error
curl -s -m 10 -o "$work/body" "$api/rules" || fail "GET /api/v1/rules"
"$py" - "$work/body" "$rules" <<'PY' || fail "the rules as Prometheus loaded them (above)"
import json, sys, yaml
d = json.load(open(sys.argv[1]))
want = yaml.safe_load(open(sys.argv[2]))["groups"]
have = {g["name"]: g for g in d["data"]["groups"]}
err = []
for g in want:
    if g["name"] not in have:
        err.append("group %s not loaded" % g["name"]); continue
    rs = have[g["name"]]["rules"]
    if len(rs) != len(g["rules"]):
        err.append("group %s: %d rules loaded, %d written" % (g["name"], len(rs), len(g["rules"])))
    for r in rs:
        if r.get("health") != "ok" or r.get("lastError"):
            err.append("%s: health %r %s" % (r["name"], r.get("health"), r.get("lastError", "")))
for e in err: print("FAIL: " + e)
sys.exit(1 if err else 0)
PY
kill "$prom_pid"
wait "$prom_pid" || true
stop_serve
