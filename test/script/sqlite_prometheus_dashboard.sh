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
. "$root/test/script/lib/prometheus.sh"
export DBCARE_MODULE="$module"

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

check_dashboard
stop_serve
