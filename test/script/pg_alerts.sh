#!/usr/bin/env bash
# The alert rules, the dashboard and the HTML page on PostgreSQL: the rules
# and every panel read only metric families the PostgreSQL exposition
# renders (or dbcare serve adds); dbcare_health_check_value carries the
# checks' numbers; alert-rules --db writes this database's thresholds; and
# report --html gives a page headless Chromium loads, with the score, a
# finding, the largest tables (a table named like markup shown as text).
set -eu
db=dbcare_alerts
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/pg.sh"
. "$here/lib/cli.sh"
. "$here/lib/alerts.sh"
py=/usr/bin/python3
url="postgresql:///$db?host=$PGHOST&port=$PGPORT"
fresh_db
q >/dev/null <<'SQL'
CREATE TABLE customers (id integer PRIMARY KEY, name text);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id integer REFERENCES customers, note text);
CREATE TABLE audit_import (line text);          -- no primary key: a finding
CREATE TABLE "<script>alert(1)</script>" (x integer PRIMARY KEY);
INSERT INTO orders SELECT i, NULL, md5(i::text) FROM generate_series(1, 100000) i;
SELECT dbhealth_snapshot();
SQL

# --- names: only families the PostgreSQL exposition renders
q -c "SELECT dbhealth_metrics('quick')" > "$work/metrics.prom"
grep -q "^dbcare_health_check_value{engine=\"postgresql\",database=\"$db\",check=\"tables_without_primary_key\"} 1$" "$work/metrics.prom" ||
  fail "no value sample: $(grep check_value "$work/metrics.prom" | head -3)"
grep -q "^dbcare_health_check_value{engine=\"postgresql\",database=\"$db\",check=\"unindexed_foreign_keys\"} 1$" "$work/metrics.prom" ||
  fail "no value for unindexed_foreign_keys"
check_names "$work/metrics.prom"

# --- this database's thresholds
q -c "SELECT dbcare_set('health.retention.warn', '25')" >/dev/null
run 0 alert-rules --db "$url"
has 'dbcare_health_check_value{check=\"retention\"} > 25"' out
has 'dbcare_health_check_value{check=\"slow_queries\"} > 10"' out
promtool check rules "$work/out" >/dev/null 2>&1 || { cp "$work/out" "$work/r.yml"; promtool check rules "$work/r.yml"; fail "promtool"; }

# --- the page
run 0 report --html "$work/page.html" --db "$url"
score=$(q -c "SELECT dbhealth_score('standard')")
grep -qF "data-score=\"$score\"" "$work/page.html" || fail "score $score is not on the page"
grep -qF '&lt;script&gt;alert(1)&lt;/script&gt;' "$work/page.html" || fail "the table name is not escaped"
grep -qF 'create_index' "$work/page.html" || fail "the fix from dbmaintain_plan is missing"
grep -q '1 snapshot(s)' "$work/page.html" || fail "the snapshot is missing"
check_page "$work/page.html" public.orders 'public."<script>alert(1)</script>"'
echo "ok: PostgreSQL names, rules, page"
