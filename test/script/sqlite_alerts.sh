#!/usr/bin/env bash
# The alert rules and the dashboard (deploy/): the committed rules file is
# what `dbcare alert-rules` writes from the health checks' thresholds, a
# threshold changed with dbcare_set changes the rules written for that
# database, promtool accepts the rules and every rule's test file (firing
# and not firing), every dashboard panel's query parses, and the rules and
# panels read only metric families the SQLite exposition renders (or that
# dbcare serve adds).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/sqlite.sh"
. "$here/lib/cli.sh"
. "$here/lib/alerts.sh"
command -v promtool >/dev/null || fail "promtool is not installed (package prometheus)"

# --- the committed file is the generator's output, from the defaults
run 0 alert-rules
cmp -s "$work/out" "$rules" ||
  { diff "$rules" "$work/out" | head -20; fail "deploy/prometheus/dbcare.rules.yml is not what dbcare alert-rules writes (run: build/cli/dbcare alert-rules deploy/prometheus/dbcare.rules.yml)"; }
# DATABASE_URL is not read: the defaults unless --db names a database
DATABASE_URL="sqlite:$work/app.db" run 0 alert-rules
cmp -s "$work/out" "$rules" || fail "alert-rules read DATABASE_URL"
[ ! -e "$work/app.db" ] || fail "alert-rules opened DATABASE_URL's database"
run 0 alert-rules "$work/written.yml"
cmp -s "$work/written.yml" "$rules" || fail "alert-rules FILE differs from its stdout"
# thresholds come from the catalogue: the slow_queries warn line, max_age
grep -qF 'dbcare_health_check_value{check=\"slow_queries\"} > 10"' "$rules" || fail "slow_queries threshold"
grep -qF 'dbcare_health_check_value{check=\"backups\"} > 26"' "$rules" || fail "backups max_age"
grep -qF 'dbcare_health_check_value{check=\"backups\"} > 52 or' "$rules" || fail "twice max_age"
grep -qF 'dbcare_backups_waiting_oldest_seconds > 93600"' "$rules" || fail "max_ship_wait in seconds"
# the parts no check grades are settings too (health.alerts.*), defaults in the file
grep -qF 'dbcare_health_score >= 10"' "$rules" || fail "score drop default"
grep -qF 'dbcare_metric_age_seconds > 600"' "$rules" || fail "staleness default"
grep -A1 -F 'dbcare_migrations_pending > 0"' "$rules" | grep -qF 'for: 30m' || fail "pending minutes default"

# --- a database's own thresholds: dbcare_set changes the rules written for it
db="$work/app.db"
q "SELECT dbcare_set('health.slow_queries.warn', '3'); SELECT dbcare_set('health.backups.max_age', '48');
   SELECT dbcare_set('health.retention.warn', '-1'); SELECT dbcare_set('health.audit.warn', '-1');
   SELECT dbcare_set('health.alerts.score_drop', '25'); SELECT dbcare_set('health.alerts.pending_minutes', '90');
   SELECT dbcare_set('health.alerts.stale_seconds', '120'); SELECT dbcare_set('health.backups.max_ship_wait', '2');" >/dev/null
run 0 alert-rules --db "$db" --module "$module"
has 'dbcare_health_score >= 25"' out
has 'dbcare_metric_age_seconds > 120"' out
grep -A1 -F 'dbcare_migrations_pending > 0"' "$work/out" | grep -qF 'for: 90m' || fail "pending minutes not the database's"
has 'not applied for 90m.' out
has 'dbcare_health_check_value{check=\"slow_queries\"} > 3"' out
has 'dbcare_health_check_value{check=\"backups\"} > 48"' out
has 'dbcare_health_check_value{check=\"backups\"} > 96 or' out
has 'dbcare_backups_waiting_oldest_seconds > 7200"' out
! grep -q DbcareRetentionBehind "$work/out" || fail "a check with both levels disabled still has a rule"
# the audit rule keeps its status part (a broken chain) without a threshold
has 'expr: "dbcare_health_check_status{check=\"audit\"} == 2"' out
cp "$work/out" "$work/custom.yml"
promtool check rules "$work/custom.yml" >/dev/null || fail "promtool refuses the database's rules"
run 2 alert-rules --db "$db" --db "$db"
has 'takes one database' err

# --- promtool: the rules, and one test file per rule, each passing
promtool check rules "$rules" > "$work/check" 2>&1 || { cat "$work/check"; fail "promtool check rules"; }
alerts=$("$py" -c "import yaml,sys; print('\n'.join(r['alert'] for r in yaml.safe_load(open(sys.argv[1]))['groups'][0]['rules']))" "$rules")
[ "$(wc -l <<<"$alerts")" -ge 13 ] || fail "fewer rules than the alert list: $alerts"
for a in $alerts; do
  t="$root/deploy/prometheus/tests/$a.test.yml"
  [ -f "$t" ] || fail "rule $a has no test file ($t)"
  grep -q 'exp_alerts: \[\]' "$t" || fail "$a: no case where it does not fire"
  grep -q 'exp_labels:' "$t" || fail "$a: no case where it fires"
done
(cd "$root/deploy/prometheus/tests" && promtool test rules ./*.test.yml) > "$work/test" 2>&1 ||
  { cat "$work/test"; fail "promtool test rules"; }
[ "$(grep -c SUCCESS "$work/test")" -ge 13 ] || { cat "$work/test"; fail "not every test file ran"; }

# --- the dashboard: every panel's query parses (as a recording rule)
"$py" - "$dashboard" > "$work/panels.yml" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print("groups:\n  - name: dashboard\n    rules:")
n = 0
for p in d["panels"]:
    assert p["targets"], p["title"]
    for t in p["targets"]:
        n += 1
        print("      - record: dashboard:panel%d\n        expr: %s" % (n, json.dumps(t["expr"].replace("$database", "x"))))
PY
promtool check rules "$work/panels.yml" > "$work/check" 2>&1 || { cat "$work/check"; fail "a panel's query does not parse"; }
grep -q "SUCCESS: $(grep -c "record:" "$work/panels.yml") rules found" "$work/check" || { cat "$work/check"; fail "the panels' queries"; }
for want in dbcare_health_score dbcare_health_check_status dbcare_database_size_bytes \
  dbcare_migrations_pending 'check=\"backups\"' 'check=\"audit\"' dbcare_table_size_bytes \
  dbcare_table_growth_bytes_per_day dbcare_audit_entries_written; do
  grep -qF "$want" "$dashboard" || fail "the dashboard has no panel reading $want"
done

# --- names: only families the SQLite exposition renders (or dbcare serve adds)
# two snapshots of a table: the per-table families (growth needs two)
# and staging on: the staged backups' families (DbcareBackupsWaiting)
q "CREATE TABLE grown (id INTEGER PRIMARY KEY); SELECT dbhealth_snapshot(); SELECT dbhealth_snapshot();
   SELECT dbcare_set('backup.dir', 's3://shop/app'); SELECT dbcare_set('backup.stage_dir', '$work/stage');" >/dev/null
q "SELECT dbhealth_metrics('quick')" > "$work/metrics.prom"
grep -q '^dbcare_health_check_value{engine="sqlite",database="app.db",check="audit"} 0$' "$work/metrics.prom" ||
  fail "no value sample for the audit check: $(grep check_value "$work/metrics.prom" | head -3)"
check_names "$work/metrics.prom"
# the check is able to fail: a name the exposition does not have
echo '{"panels":[{"targets":[{"expr":"dbcare_no_such_metric"}]}],"templating":{"list":[]}}' > "$work/bad.json"
if (dashboard="$work/bad.json"; check_names "$work/metrics.prom") >/dev/null 2>&1; then
  fail "check_names accepted a metric the exposition does not have"
fi

# --- a broken hash chain: the audit check (full mode) is critical, which the
# exposition shows and DbcareAuditBroken reads; standard mode does not walk it
db="$work/chain.db"
q "SELECT dbcare_set('audit.hash_chain', 'on');
   CREATE TABLE payment (id INTEGER PRIMARY KEY, amount INTEGER);
   SELECT dbaudit_enable('payment');
   INSERT INTO payment VALUES (1, 100), (2, 5); UPDATE payment SET amount = 90 WHERE id = 1;" >/dev/null
[ "$(q "SELECT status FROM dbhealth_checks('full') WHERE name = 'audit'")" = ok ] || fail "an intact chain"
id=$(q "SELECT min(id) + 1 FROM dbcare_audit_log")
sqlite3 "$db" "UPDATE dbcare_audit_log SET new_values = '{\"id\":2,\"amount\":500}' WHERE id = $id"
got=$(q "SELECT status || ' ' || message FROM dbhealth_checks('full') WHERE name = 'audit'")
[ "$got" = "critical the hash chain is broken: 1 break, the first at entry $id: its hash does not match its content: the entry was changed" ] ||
  fail "audit check, full mode, a changed entry: $got"
[ "$(q "SELECT status FROM dbhealth_checks('standard') WHERE name = 'audit'")" = ok ] ||
  fail "standard mode walks the chain"
q "SELECT dbhealth_metrics('full')" | grep -qx 'dbcare_health_check_status{engine="sqlite",database="chain.db",check="audit"} 2' ||
  fail "the exposition does not show the broken chain"
# the audit volume: the entries written (3), one series per database
q "SELECT dbhealth_metrics('quick')" | grep -qx 'dbcare_audit_entries_written{engine="sqlite",database="chain.db"} 3' ||
  fail "the audit volume: $(q "SELECT dbhealth_metrics('quick')" | grep audit_entries)"
# committed entries: a rolled-back audited transaction adds nothing, entries
# deleted from the end still count (their ids are never reused)
q "BEGIN; INSERT INTO payment VALUES (3, 1), (4, 1); ROLLBACK;
   INSERT INTO payment VALUES (5, 1);
   DELETE FROM dbcare_audit_log WHERE id = (SELECT max(id) FROM dbcare_audit_log);" >/dev/null
q "SELECT dbhealth_metrics('quick')" | grep -qx 'dbcare_audit_entries_written{engine="sqlite",database="chain.db"} 4' ||
  fail "the audit volume after a rollback and a deletion: $(q "SELECT dbhealth_metrics('quick')" | grep audit_entries)"
grep -qF 'dbcare_health_check_status{check=\"audit\"} == 2' "$rules" || fail "DbcareAuditBroken does not read the status"
# --- the thresholds of the alerts grade the report too: one setting moves
# both the check's finding and the rule written for the database
db="$work/thresholds.db"
q "SELECT dbmigrate_add('1', 'one', 'CREATE TABLE one (id INTEGER PRIMARY KEY)');
   UPDATE dbcare_migrations SET registered_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-60 minutes');
   SELECT dbcare_set('health.alerts.pending_minutes', '90');" >/dev/null
[ "$(q "SELECT status || ' ' || value FROM dbhealth_checks('quick') WHERE name = 'migrations_overdue'")" = 'ok 60' ] ||
  fail "a migration pending 60 of 90 minutes: $(q "SELECT message FROM dbhealth_checks('quick') WHERE name = 'migrations_overdue'")"
run 0 alert-rules --db "$db" --module "$module"
grep -A1 -F 'dbcare_migrations_pending > 0"' "$work/out" | grep -qF 'for: 90m' || fail "pending minutes 90 not in the rule"
q "SELECT dbcare_set('health.alerts.pending_minutes', '45')" >/dev/null
got=$(q "SELECT status || ' ' || message FROM dbhealth_checks('quick') WHERE name = 'migrations_overdue'")
[ "$got" = 'warning 1 migration pending longer than 45 min (health.alerts.pending_minutes); the oldest for 60 min' ] ||
  fail "a migration pending 60 of 45 minutes: $got"
run 0 alert-rules --db "$db" --module "$module"
grep -A1 -F 'dbcare_migrations_pending > 0"' "$work/out" | grep -qF 'for: 45m' || fail "pending minutes 45 not in the rule"
# the finding is in the exposition the rules read
q "SELECT dbhealth_metrics('quick')" | grep -qx 'dbcare_health_check_status{engine="sqlite",database="thresholds.db",check="migrations_overdue"} 1' ||
  fail "the exposition does not show the overdue migrations"
# the score drop: the newest snapshot 20 points below the best of the hour
q "SELECT dbhealth_snapshot(); SELECT dbhealth_snapshot();
   UPDATE dbcare_health_snapshots SET score = score - 20 WHERE id = (SELECT max(id) FROM dbcare_health_snapshots);
   SELECT dbcare_set('health.alerts.score_drop', '25');" >/dev/null
[ "$(q "SELECT status || ' ' || value FROM dbhealth_checks('quick') WHERE name = 'score_drop'")" = 'ok 20' ] ||
  fail "a drop of 20 with the limit 25: $(q "SELECT message FROM dbhealth_checks('quick') WHERE name = 'score_drop'")"
run 0 alert-rules --db "$db" --module "$module"
has 'dbcare_health_score >= 25"' out
q "SELECT dbcare_set('health.alerts.score_drop', '15')" >/dev/null
[ "$(q "SELECT status || ' ' || value FROM dbhealth_checks('quick') WHERE name = 'score_drop'")" = 'warning 20' ] ||
  fail "a drop of 20 with the limit 15: $(q "SELECT message FROM dbhealth_checks('quick') WHERE name = 'score_drop'")"
run 0 alert-rules --db "$db" --module "$module"
has 'dbcare_health_score >= 15"' out
# snapshots older than an hour are no drop
q "UPDATE dbcare_health_snapshots SET taken_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-2 hours')" >/dev/null
[ "$(q "SELECT status FROM dbhealth_checks('quick') WHERE name = 'score_drop'")" = ok ] || fail "a drop older than an hour"
echo "ok: rules, promtool tests, dashboard"
