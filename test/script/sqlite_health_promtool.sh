#!/usr/bin/env bash
# dbhealth_metrics must be valid Prometheus text exposition (0.0.4):
# promtool check metrics, on a healthy and on a troubled database.
set -euo pipefail
if ! command -v promtool > /dev/null; then
  # bootstrap installs it (Debian package prometheus): a test that cannot run fails
  echo "FAIL: promtool is not installed (make bootstrap)"
  exit 1
fi
. "$(dirname "$0")/lib/sqlite.sh"
db="$work/metrics.db"

q "SELECT dbhealth_metrics()" > "$work/healthy.prom"
promtool check metrics < "$work/healthy.prom"
echo "ok: healthy database"

q "CREATE TABLE \"odd \"\"name\" (a INT, b INT REFERENCES \"odd \"\"name\"(a));
   CREATE INDEX i1 ON \"odd \"\"name\" (a); CREATE INDEX i2 ON \"odd \"\"name\" (a);"
q "SELECT dbhealth_metrics('full')" > "$work/troubled.prom"
promtool check metrics < "$work/troubled.prom"
grep -q '^dbcare_health_check_status{.*check="duplicate_indexes"} 1$' "$work/troubled.prom"
grep -q '^dbcare_health_score{engine="sqlite",database="metrics.db"} [0-9]*$' "$work/troubled.prom"
grep -q '^# TYPE dbcare_database_size_bytes gauge$' "$work/troubled.prom"
grep -q '^dbcare_migrations_pending{' "$work/troubled.prom"
grep -q '^dbcare_health_report_duration_seconds{' "$work/troubled.prom"
echo "ok: troubled database"
