#!/usr/bin/env bash
# dbcare serve against a PostgreSQL database whose extension is older than
# dbhealth_samples and dbmigrate_bookmark (an un-upgraded 0.3.8 module): serve never parses the module's
# exposition text, so /metrics says what it knows without it, dbcare_up and
# dbcare_metric_age_seconds (promtool accepts it), /readyz and /health still
# judge the report; once the function is there the report's families come
# back, typed, on the next refresh.
set -eu
db=dbcare_serve_older
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/cli.sh"
. "$root/test/script/lib/serve.sh"
py=/usr/bin/python3
url="postgresql:///$db?host=$PGHOST&port=$PGPORT"
fresh_db
sig='dbhealth_samples(text, text, text)'
probin=$(q -c "SELECT probin FROM pg_proc WHERE proname = 'dbhealth_samples'")
[ -n "$probin" ] || fail "no dbhealth_samples in this build's extension (test premise)"
# the extension as 0.3.8 left it, as far as serve can tell
q -c "ALTER EXTENSION dbcare DROP FUNCTION $sig" -c "DROP FUNCTION $sig"
# nor the replica bookmark functions 0.3.9 added: serve's replica reading
# must see "no replica data", not a failed refresh (dbcare_up 0, 503)
for f in 'dbmigrate_bookmark()' 'dbmigrate_wait(text, text)' 'dbmigrate_assert(text, text, text)'; do
  q -c "ALTER EXTENSION dbcare DROP FUNCTION $f" -c "DROP FUNCTION $f"
done
[ -z "$(q -c "SELECT 1 FROM pg_proc WHERE proname = 'dbmigrate_bookmark'")" ] ||
  fail "dbmigrate_bookmark still there (test premise)"

start_serve serve.log --db "$url" --min-interval 0 --report-interval 0 --scrape-timeout 5s
get "$base/metrics"; want_code 200 "metrics without dbhealth_samples"
promtool check metrics <"$work/body" || fail "promtool refused /metrics: $(cat "$work/body")"
grep -q "^dbcare_up{engine=\"postgresql\",database=\"$db\"} 1\$" "$work/body" ||
  fail "no dbcare_up 1: $(cat "$work/body")"
grep -qE "^dbcare_metric_age_seconds\{engine=\"postgresql\",database=\"$db\"\} [0-9.]+\$" "$work/body" ||
  fail "no finite metric age: $(cat "$work/body")"
[ "$(grep -c '^# TYPE' "$work/body")" = 2 ] || fail "more than up and age: $(cat "$work/body")"
get "$base/readyz"; want_code 200 "readyz without dbhealth_samples and dbmigrate_bookmark"
get "$base/health"; want_code 200 "health without dbhealth_samples"
[ "$(body_json "d['engine'], d['status'] in ('healthy', 'warning')")" = "postgresql True" ] ||
  fail "health: $(cat "$work/body")"

# the function back (as ALTER EXTENSION dbcare UPDATE creates it)
q -c "SET client_min_messages = warning" \
  -c "CREATE FUNCTION $(sed 's/(.*//' <<<"$sig")(\"mode\" text DEFAULT 'standard', \"scope\" text DEFAULT 'connection', \"label\" text DEFAULT NULL) RETURNS jsonb LANGUAGE c VOLATILE SET search_path = pg_catalog, pg_temp AS '$probin', 'dbhealth_samples'" \
  -c "ALTER EXTENSION dbcare ADD FUNCTION $sig"
get "$base/metrics"; want_code 200 "metrics with dbhealth_samples"
promtool check metrics <"$work/body" || fail "promtool refused /metrics: $(cat "$work/body")"
grep -qE "^dbcare_health_score\{engine=\"postgresql\",database=\"$db\"\} [0-9]+\$" "$work/body" ||
  fail "the report's families did not come back: $(cat "$work/body")"
grep -q "^dbcare_up{engine=\"postgresql\",database=\"$db\"} 1\$" "$work/body" ||
  fail "no dbcare_up 1 with the report: $(cat "$work/body")"
stop_serve
echo "ok: serve without dbhealth_samples says up and age, and the report once it is there"
