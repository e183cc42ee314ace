#!/usr/bin/env bash
# The dashboard against a real Prometheus on PostgreSQL: a fleet of two
# databases (a migration applied, rows, a verified backup recorded, two
# snapshots, an audited table, pg_stat_statements; one database with a
# table without a primary key, a warning) served by dbcare serve and scraped
# every second by Prometheus with the committed alert rules loaded. Every
# panel query of deploy/grafana/dbcare.json returns series but the one
# allow-listed below, and every rule evaluates with health "ok"
# (lib/prometheus.sh; the SQLite fleet: sqlite_prometheus_dashboard).
set -eu
db=dbcare_dash
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/cli.sh"
. "$root/test/script/lib/serve.sh"
. "$root/test/script/lib/prometheus.sh"
py=/usr/bin/python3
db2=${db}_2
fresh_db
"$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $db2" -c "CREATE DATABASE $db2"
"$B/psql" -X -q -d "$db2" -c "SET client_min_messages = warning" -c "CREATE EXTENSION dbcare"
cleanup2() { "$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $db2 WITH (FORCE)" >/dev/null 2>&1 || true; }
trap "kill_serves; cleanup2; cleanup" EXIT

# Panels this fleet leaves empty, by exact expression: a healthy fleet has
# no check at critical (the == 2 filter drops all).
allow_empty=(
  'count by (database) (dbcare_health_check_status{database=~".*"} == 2)'
)

mkdir m
echo 'CREATE TABLE t (id serial PRIMARY KEY, v text);' >m/V1__t.sql
for d in "$db" "$db2"; do
  run 0 migrate --db "postgresql:///$d?host=$PGHOST&port=$PGPORT" --dir m
  # two snapshots with rows written between: the table growth panels; the
  # audited table's entries: the audit volume panel; a verified backup
  db=$d q >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
SELECT dbaudit_enable('t');
SELECT dbhealth_snapshot();
INSERT INTO t (v) SELECT md5(g::text) FROM generate_series(1, 2000) g;
SELECT dbhealth_snapshot();
SELECT dbbackup_record('pg_dump', '/backups/app.dump', 12345, NULL, true);
SQL
done
db=$db2 q -c "CREATE TABLE nopk (v text); INSERT INTO nopk VALUES ('w')" >/dev/null
start_serve serve.log --db "postgresql:///$db?host=$PGHOST&port=$PGPORT" \
  --db "postgresql:///$db2?host=$PGHOST&port=$PGPORT" --dir m --min-interval 0

check_dashboard
stop_serve
echo ok
