# prometheus.sh — the dashboard and the alert rules against a real
# Prometheus (sourced after lib/serve.sh, with py set): check_dashboard
# starts Prometheus on a free port, its data in the work directory, scraping
# the running `dbcare serve` ($port) every second with the committed alert
# rules loaded; waits for the first scrapes; then every panel query of
# deploy/grafana/dbcare.json (the Grafana variables replaced by concrete
# values) must return series, except the expressions of the array
# allow_empty (exact text after the replacement: panels the fleet leaves
# empty by design), which must return none; and every rule group must be
# loaded, every rule evaluated with health "ok". Prometheus is stopped at
# the end (and killed with the servers on every path).
#   check_dashboard
dashboard="$root/deploy/grafana/dbcare.json"
rules="$root/deploy/prometheus/dbcare.rules.yml"

check_dashboard() {
local prometheus
prometheus=$(command -v prometheus || true)
[ -n "$prometheus" ] || fail "prometheus is not installed (package prometheus)"
# --- Prometheus on a port of the system's choice, its data in the work directory
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
# port 0: the system picks a free one as Prometheus binds it (a port found
# free beforehand may be taken before it binds), and its log names it
"$prometheus" --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:0" >prometheus.log 2>&1 &
prom_pid=$!
serve_pids+=("$prom_pid") # killed with the servers, on every path
prom_port=
for _ in $(seq 1 1200); do # bounded: 120 s
  prom_port=$(sed -n 's/.*msg="Listening on" address=127\.0\.0\.1:\([0-9]*\).*/\1/p' prometheus.log | head -n 1)
  [ -n "$prom_port" ] && break
  kill -0 "$prom_pid" 2>/dev/null || break
  sleep 0.1
done
[ -n "$prom_port" ] || { cat prometheus.log; fail "prometheus did not say where it listens"; }
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
# five scrapes in all (what 4 s more gave an idle machine) and every rule
# evaluated once (its health is "unknown" until then): bounded, 60 s
evaluated() { curl -s -m 10 "$api/rules" | "$py" -c 'import json, sys
rs = [r for g in json.load(sys.stdin)["data"]["groups"] for r in g["rules"]]
sys.exit(0 if rs and all(r.get("health") != "unknown" for r in rs) else 1)' 2>/dev/null; }
up=
for _ in $(seq 1 120); do
  query 'count_over_time(up{job="dbcare"}[1m]) >= 5'
  [ "$(result_count)" = 1 ] && evaluated && { up=yes; break; }
  sleep 0.5
done
[ -n "$up" ] || { tail -20 prometheus.log; fail "prometheus did not scrape 5 times and evaluate every rule in 60 s"; }

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
}
