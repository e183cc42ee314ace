#!/usr/bin/env bash
# dbcare serve reads the health report at most once per --report-interval
# per database, and the cheap numbers on every refresh: between reports the
# report (its checked_at) and its findings are carried over, while the size,
# table and index counts and the migrations pending of /metrics and
# /statistics follow the database, and dbcare_metric_age_seconds grows with
# the report's age; a write (POST /migrate) makes the next refresh read a
# new report; --report-interval 0 reads it on every refresh. The staleness
# limit health.alerts.stale_seconds grades the served report (a
# "report:age" warning on /health, a line on /readyz) with the same value
# `dbcare alert-rules --db` writes into DbcareMetricsStale.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"
. "$root/test/script/lib/serve.sh"
export DBCARE_MODULE="$module"

mkdir m
echo 'CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);' >m/V1__t.sql
run 0 migrate --db sqlite:app.db --dir m
db=app.db

# value NAME: the sample of app.db in the last body
value() { sed -n "s/^$1{engine=\"sqlite\",database=\"app.db\"} //p" "$work/body"; }
checked_at() { get "$base/health"; body_json "d['checked_at']"; }

head -c 32 /dev/urandom | base64 >token
chmod 600 token
start_serve serve.log --db sqlite:app.db --dir m --min-interval 0 --report-interval 1h \
  --allow-writes --token-file token
get "$base/metrics"; want_code 200 "first scrape"
[ "$(value dbcare_database_tables)" = 1 ] || fail "tables at first: $(value dbcare_database_tables)"
first=$(checked_at)

# --- the gauges follow the database between reports; the report stays
q "CREATE TABLE u (id INTEGER PRIMARY KEY); CREATE INDEX u_id ON u (id);
   INSERT INTO t (v) SELECT hex(randomblob(512)) FROM (SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3);" >/dev/null
size0=$(sqlite3 "$db" "SELECT page_count * page_size FROM pragma_page_count, pragma_page_size")
sleep 1
get "$base/metrics"; want_code 200 "scrape after a change"
[ "$(value dbcare_database_tables)" = 2 ] || fail "tables not read per scrape: $(value dbcare_database_tables)"
[ "$(value dbcare_database_indexes)" = 1 ] || fail "indexes not read per scrape: $(value dbcare_database_indexes)"
[ "$(value dbcare_database_size_bytes)" = "$size0" ] || fail "size $(value dbcare_database_size_bytes), the file's $size0"
"$py" -c "import sys; sys.exit(0 if float('$(value dbcare_metric_age_seconds)') >= 1 else 1)" ||
  fail "the report's age does not grow: $(value dbcare_metric_age_seconds)"
promtool check metrics <"$work/body" || fail "promtool refused the scrape with the gauges written in"
[ "$(checked_at)" = "$first" ] || fail "the report was read again within --report-interval"
# the drift is the report's finding: not seen before the next report
get "$base/statistics"
[ "$(body_json "d['tables'], d['indexes'], d['size_bytes'] == $size0, 'bytes_per_day' in d['growth']")" = "2 1 True True" ] ||
  fail "statistics: $(cat "$work/body")"
# a pending migration is read per scrape (the files compared), with readyz
q "SELECT dbmigrate_add('2', 'w', 'CREATE TABLE w (id INTEGER PRIMARY KEY)')" >/dev/null
get "$base/metrics"
[ "$(value dbcare_migrations_pending)" = 1 ] || fail "pending not read per scrape: $(value dbcare_migrations_pending)"
get "$base/readyz"; want_code 503 "readyz with a pending migration, between reports"

# --- a write makes the next refresh read a new report: one no older than
# the time since the write began, to the millisecond it is served in (a
# loaded machine may take a second to make it; the report before is older
# than the write)
wrote=$EPOCHREALTIME
get "$base/migrate" -X POST -H "Authorization: Bearer $(cat token)"; want_code 200 "POST /migrate"
get "$base/metrics"
since_write=$(awk "BEGIN { print $EPOCHREALTIME - $wrote }")
[ "$(value dbcare_migrations_pending)" = 0 ] || fail "pending after the migration: $(value dbcare_migrations_pending)"
"$py" -c "import sys; sys.exit(0 if float('$(value dbcare_metric_age_seconds)') <= $since_write + 0.01 else 1)" ||
  fail "no new report after a write: age $(value dbcare_metric_age_seconds), the write began $since_write s ago"
[ "$(checked_at)" != "$first" ] || fail "the report after a write is the one before"

# --- stale: the served report older than health.alerts.stale_seconds
q "SELECT dbcare_set('health.alerts.stale_seconds', '1')" >/dev/null
sleep 1.5
get "$base/health" -H 'Accept: application/health+json'; want_code 200 "health+json with a stale report"
[ "$(body_json "d['status'], d['checks']['report:age'][0]['status']")" = "warn warn" ] ||
  fail "a stale report is not a warning: $(cat "$work/body")"
body_json "d['checks']['report:age'][0]['output']" | grep -q 'above health.alerts.stale_seconds (1)' ||
  fail "stale output: $(cat "$work/body")"
get "$base/readyz"; want_code 200 "readyz with a stale report (ready, and says so)"
grep -q '^app.db: ready .*stale: the report is [0-9]*s old, above health.alerts.stale_seconds (1)' "$work/body" ||
  fail "readyz: $(cat "$work/body")"
run 0 alert-rules --db sqlite:app.db --module "$module"
has 'dbcare_metric_age_seconds > 1"' out
# the same setting raised: neither the report nor the rule is stale at 1 s
q "SELECT dbcare_set('health.alerts.stale_seconds', '3600')" >/dev/null
get "$base/health" -H 'Accept: application/health+json'
[ "$(body_json "d['status'], d['checks']['report:age'][0]['status']")" = "pass pass" ] ||
  fail "stale with a limit of an hour: $(cat "$work/body")"
run 0 alert-rules --db sqlite:app.db --module "$module"
has 'dbcare_metric_age_seconds > 3600"' out
stop_serve

# --- --report-interval 0: every refresh reads the report
start_serve serve0.log --db sqlite:app.db --dir m --min-interval 0 --report-interval 0
a=$(checked_at)
sleep 0.1
[ "$(checked_at)" != "$a" ] || fail "--report-interval 0 carried the report over"
stop_serve
echo ok
