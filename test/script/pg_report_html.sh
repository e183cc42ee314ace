#!/usr/bin/env bash
# dbcare report --html on PostgreSQL: a page headless Chromium loads, with
# the score, a finding with its fix from dbmaintain_plan, the largest tables
# (one named like markup, shown as text and never run), the snapshots and
# the fastest-growing tables with their charts (the growth history).
set -eu
db=dbcare_report_html
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
INSERT INTO orders SELECT i, NULL, md5(i::text) FROM generate_series(1, 50000) i;
INSERT INTO customers SELECT i, 'c' || i FROM generate_series(1, 50000) i;
SELECT dbhealth_snapshot();
INSERT INTO orders SELECT i, NULL, md5(i::text) FROM generate_series(50001, 100000) i;
SELECT dbhealth_snapshot();
UPDATE dbcare.health_snapshots SET taken_at = taken_at - interval '2 days'
 WHERE id = (SELECT min(id) FROM dbcare.health_snapshots);
SQL

# the tables vacuumed and analyzed: autovacuum, at its own time, would
# otherwise change the statistics (and so the score) under the report
q -c "VACUUM ANALYZE" >/dev/null

# --- the page: the score it shows is the report's, taken between two reads
before=$(q -c "SELECT dbhealth_score('standard')")
run 0 report --html "$work/page.html" --db "$url"
after=$(q -c "SELECT dbhealth_score('standard')")
grep -qF "data-score=\"$before\"" "$work/page.html" || grep -qF "data-score=\"$after\"" "$work/page.html" ||
  fail "the score ($before before the report, $after after) is not on the page: $(grep -o 'data-score="[^"]*"' "$work/page.html")"
grep -qF '&lt;script&gt;alert(1)&lt;/script&gt;' "$work/page.html" || fail "the table name is not escaped"
grep -qF 'create_index' "$work/page.html" || fail "the fix from dbmaintain_plan is missing"
grep -q '2 snapshot(s)' "$work/page.html" || fail "the snapshots are missing"
# orders doubled between the snapshots, customers stayed: orders grows fastest
growing=public.orders check_page "$work/page.html" public.orders 'public."<script>alert(1)</script>"'

echo "ok: report --html on PostgreSQL"
