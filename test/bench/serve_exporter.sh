#!/usr/bin/env bash
# serve_exporter.sh — `dbcare serve` /metrics beside prometheus-postgres-exporter
# (postgres_exporter, the Debian package) on the same PostgreSQL database:
# SCRAPES sequential scrapes of each after three to warm up (with the report
# read at most once per --report-interval, the warm-up reads it and the
# SCRAPES read the gauges and the migrations), and per scrape
# the latency (median and 95th percentile of curl's total time), the CPU
# time of the exporter process and of the PostgreSQL server (the postmaster,
# its children and the children it reaped), and the series the answer holds.
# Prints a Markdown table. `make bench` runs it on its throwaway cluster
# (BENCH_PG_ENV, from test/bench/pg_cluster.sh); skipped without the
# package or the cluster. Nothing here is part of `make test`.
#   serve_exporter.sh [SCRAPES]    default 30
set -eu
scrapes=${1:-30}
root=$(cd "$(dirname "$0")/../.." && pwd)
cli=$root/build/cli/dbcare
exporter=$(command -v prometheus-postgres-exporter || true)
[ -n "$exporter" ] || { echo "serve_exporter: prometheus-postgres-exporter is not installed (apt-get install prometheus-postgres-exporter); skipped" >&2; exit 0; }
[ -n "${BENCH_PG_ENV:-}" ] && [ -f "$BENCH_PG_ENV" ] || { echo "serve_exporter: no PostgreSQL cluster; skipped" >&2; exit 0; }
# shellcheck disable=SC1090
. "$BENCH_PG_ENV"
[ "${DBCARE_PG:-0}" = 1 ] || { echo "serve_exporter: dbcare is not installed in the cluster; skipped" >&2; exit 0; }
export PGHOST PGPORT PGUSER
work=$(mktemp -d)
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
clk=$(getconf CLK_TCK)
db=bench_serve_exporter
psql() { "$PBIN/psql" -X -q -At -v ON_ERROR_STOP=1 "$@"; }
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# the database: 100 tables, one of 10^5 rows, two snapshots (the per-table series)
psql -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
psql -d "$db" >/dev/null <<'SQL'
CREATE EXTENSION dbcare;
CREATE TABLE orders (id bigint PRIMARY KEY, customer integer, note text);
INSERT INTO orders SELECT i, i % 1000, md5(i::text) FROM generate_series(1, 100000) i;
DO $$ BEGIN FOR i IN 1..99 LOOP
  EXECUTE format('CREATE TABLE t%s (id integer PRIMARY KEY, v text)', i);
  EXECUTE format('INSERT INTO t%s SELECT g, md5(g::text) FROM generate_series(1, 100) g', i);
END LOOP; END $$;
ANALYZE;
SELECT dbhealth_snapshot();
SELECT dbhealth_snapshot();
SQL

# the server's CPU ticks: the postmaster's own and reaped children's, and
# every live child's
pg_ticks() {
  local pm t=0 pid f
  pm=$(head -1 "$(dirname "$PGHOST")/data/postmaster.pid")
  read -r -a f < <(sed 's/^.*) //' "/proc/$pm/stat")
  t=$((f[11] + f[12] + f[13] + f[14]))
  for pid in $(pgrep -P "$pm"); do
    read -r -a f < <(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null) || continue
    t=$((t + f[11] + f[12]))
  done
  echo "$t"
}
proc_ticks() { local f; read -r -a f < <(sed 's/^.*) //' "/proc/$1/stat"); echo $((f[11] + f[12])); }

wait_port() {
  for _ in $(seq 1 100); do
    curl -s -o /dev/null "http://127.0.0.1:$1/metrics" && return 0
    sleep 0.1
  done
  echo "serve_exporter: nothing answers on port $1" >&2
  return 1
}

# measure NAME PID PORT: one Markdown row
measure() {
  local name=$1 pid=$2 port=$3 i p0 c0 p1 c1
  for i in 1 2 3; do curl -s -o /dev/null "http://127.0.0.1:$port/metrics"; done
  curl -s "http://127.0.0.1:$port/metrics" >"$work/$name.prom"
  : >"$work/$name.times"
  p0=$(pg_ticks) c0=$(proc_ticks "$pid")
  for i in $(seq 1 "$scrapes"); do
    curl -s -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$port/metrics" >>"$work/$name.times"
  done
  p1=$(pg_ticks) c1=$(proc_ticks "$pid")
  /usr/bin/python3 - "$name" "$work/$name.times" "$work/$name.prom" "$scrapes" "$clk" \
    $((c1 - c0)) $((p1 - p0)) <<'PY'
import statistics, sys
name, times, prom, n, clk, proc, pg = sys.argv[1:8]
t = sorted(float(x) * 1000 for x in open(times))
n, clk = int(n), int(clk)
series = sum(1 for l in open(prom) if l.strip() and not l.startswith("#"))
dbcare = sum(1 for l in open(prom) if l.startswith(("dbcare_", "pg_")))
p95 = t[min(len(t) - 1, int(round(0.95 * len(t))) - 1)]
print("| %s | %.1f ms | %.1f ms | %.1f ms | %.1f ms | %d (%d about the database) |" % (
    name, statistics.median(t), p95, int(proc) * 1000 / clk / n, int(pg) * 1000 / clk / n, series, dbcare))
PY
}

# dbcare serve: every scrape reads the database again (--min-interval 0);
# the health report on every scrape (--report-interval 0: the standard
# report and the quick one), or at most once per --report-interval (the
# default, 60 s: the scrapes between read the gauges and the migrations)
serve() { # PORT MODE REPORT-INTERVAL: starts one, its pid in spid
  "$cli" serve --db "postgresql:///$db?host=$PGHOST&port=$PGPORT&user=$PGUSER" \
    --listen "127.0.0.1:$1" --min-interval 0 --scrape-timeout 60s --mode "$2" \
    --report-interval "$3" 2>>"$work/serve.log" &
  spid=$!
  pids+=("$spid")
}
sport=$(free_port)
serve "$sport" standard 0
sspid=$spid
qport=$(free_port)
serve "$qport" quick 0
qpid=$spid
cport=$(free_port)
serve "$cport" standard 60s
cpid=$spid
# postgres_exporter 0.11: its default collectors, one connection
eport=$(free_port)
DATA_SOURCE_NAME="host=$PGHOST port=$PGPORT user=$PGUSER dbname=$db sslmode=disable" \
  "$exporter" --web.listen-address="127.0.0.1:$eport" >"$work/exporter.log" 2>&1 &
epid=$!
pids+=("$epid")
wait_port "$sport" && wait_port "$qport" && wait_port "$cport" && wait_port "$eport" || { tail -5 "$work/serve.log" "$work/exporter.log" >&2; exit 1; }

echo "### dbcare serve against postgres_exporter ($scrapes scrapes each)"
echo
echo "| exporter | latency median | latency p95 | exporter CPU per scrape | PostgreSQL CPU per scrape | series |"
echo "|---|---|---|---|---|---|"
measure "dbcare serve, report every scrape (--report-interval 0)" "$sspid" "$sport"
measure "dbcare serve --mode quick --report-interval 0" "$qpid" "$qport"
measure "dbcare serve, report every 60 s (the default)" "$cpid" "$cport"
measure "postgres_exporter $("$exporter" --version 2>&1 | sed -n 's/.*version \([0-9.]*\).*/\1/p')" "$epid" "$eport"
psql -d postgres -c "DROP DATABASE $db WITH (FORCE)" || true
