#!/usr/bin/env bash
# The alert rules and the dashboard on PostgreSQL: the rules and every
# panel read only metric families the PostgreSQL exposition renders (or
# dbcare serve adds); dbcare_health_check_value carries the checks' numbers;
# alert-rules --db writes this database's thresholds; a broken hash chain
# makes the audit check critical in full mode. The page: pg_report_html.
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
SELECT dbhealth_snapshot();                     -- two: the per-table families
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

# --- a broken hash chain: the audit check (full mode) is critical; a role
# that may not read the log is told the chains were not verified
q >/dev/null <<'SQL'
SELECT dbcare_set('audit.hash_chain', 'on');
CREATE TABLE payment (id integer PRIMARY KEY, amount integer);
SELECT dbaudit_enable('payment');
INSERT INTO payment VALUES (1, 100), (2, 5);
UPDATE payment SET amount = 90 WHERE id = 1;
SQL
[ "$(q -c "SELECT status FROM dbhealth_checks('full') WHERE name = 'audit'")" = ok ] || fail "an intact chain"
id=$(q -c "SELECT min(id) + 1 FROM dbcare.audit_log")
q -c "UPDATE dbcare.audit_log SET new_values = '{\"id\": 2, \"amount\": 500}' WHERE id = $id" >/dev/null
got=$(q -c "SELECT status || ' ' || message FROM dbhealth_checks('full') WHERE name = 'audit'")
[ "$got" = "critical the hash chain is broken: 1 break, the first at entry $id: its hash does not match its content: the entry was changed" ] ||
  fail "audit check, full mode, a changed entry: $got"
[ "$(q -c "SELECT status FROM dbhealth_checks('standard') WHERE name = 'audit'")" = ok ] ||
  fail "standard mode walks the chain"
q -c "SELECT dbhealth_metrics('full')" | grep -qx "dbcare_health_check_status{engine=\"postgresql\",database=\"$db\",check=\"audit\"} 2" ||
  fail "the exposition does not show the broken chain"
q -c "CREATE ROLE regress_dbcare_alerts_mon; GRANT pg_monitor TO regress_dbcare_alerts_mon;
      GRANT SELECT ON dbcare.audit_tables TO regress_dbcare_alerts_mon;
      REVOKE SELECT ON dbcare.audit_log FROM regress_dbcare_alerts_mon;" >/dev/null 2>&1 || true
got=$(q -c "SET ROLE regress_dbcare_alerts_mon" -c "SELECT status || ' ' || message FROM dbhealth_checks('full') WHERE name = 'audit'" 2>&1)
# the audit volume: the entries written (3), one series; a role that may not
# read the log still gets the rest of the exposition
q -c "SELECT dbhealth_metrics('quick')" | grep -qx "dbcare_audit_entries_written{engine=\"postgresql\",database=\"$db\"} 3" ||
  fail "the audit volume: $(q -c "SELECT dbhealth_metrics('quick')" | grep audit_entries)"
# committed entries, not ids: a rolled-back audited transaction (which used
# up identity values) adds nothing, the next committed entry adds one, and
# entries deleted later still count
q -c "BEGIN" -c "INSERT INTO payment VALUES (3, 1), (4, 1)" -c "ROLLBACK" >/dev/null
q -c "INSERT INTO payment VALUES (5, 1)" >/dev/null
q -c "DELETE FROM dbcare.audit_log WHERE id = (SELECT max(id) FROM dbcare.audit_log)" >/dev/null
q -c "SELECT dbhealth_metrics('quick')" | grep -qx "dbcare_audit_entries_written{engine=\"postgresql\",database=\"$db\"} 4" ||
  fail "the audit volume after a rollback: $(q -c "SELECT dbhealth_metrics('quick')" | grep audit_entries)"
mon=$(q -c "SET ROLE regress_dbcare_alerts_mon" -c "SELECT dbhealth_metrics('quick')" 2>&1) ||
  fail "dbhealth_metrics failed for a role that may not read the log: $mon"
grep -q '^dbcare_health_score{' <<<"$mon" || fail "no exposition for a role that may not read the log: $mon"
q -c "DROP OWNED BY regress_dbcare_alerts_mon; DROP ROLE regress_dbcare_alerts_mon" >/dev/null 2>&1 || true
case "$got" in
*"the hash chains were not verified: this role may not read dbcare.audit_log"*) ;;
*) fail "a role that may not read the log: $got" ;;
esac
# --- the thresholds of the alerts grade the report too: one setting moves
# both the check's finding and the rule written for the database, and a
# monitoring role reads the checks
q >/dev/null <<'SQL'
SELECT dbmigrate_add('1', 'one', 'CREATE TABLE one (id integer PRIMARY KEY)');
UPDATE dbcare.migrations SET registered_at = now() - interval '60 minutes';
SELECT dbcare_set('health.alerts.pending_minutes', '90');
SQL
[ "$(q -c "SELECT status || ' ' || value FROM dbhealth_checks('quick') WHERE name = 'migrations_overdue'")" = 'ok 60' ] ||
  fail "a migration pending 60 of 90 minutes: $(q -c "SELECT message FROM dbhealth_checks('quick') WHERE name = 'migrations_overdue'")"
run 0 alert-rules --db "$url"
grep -A1 -F 'dbcare_migrations_pending > 0"' "$work/out" | grep -qF 'for: 90m' || fail "pending minutes 90 not in the rule"
q -c "SELECT dbcare_set('health.alerts.pending_minutes', '45')" >/dev/null
got=$(q -c "SELECT status || ' ' || message FROM dbhealth_checks('quick') WHERE name = 'migrations_overdue'")
[ "$got" = 'warning 1 migration pending longer than 45 min (health.alerts.pending_minutes); the oldest for 60 min' ] ||
  fail "a migration pending 60 of 45 minutes: $got"
run 0 alert-rules --db "$url"
grep -A1 -F 'dbcare_migrations_pending > 0"' "$work/out" | grep -qF 'for: 45m' || fail "pending minutes 45 not in the rule"
q -c "SELECT dbhealth_metrics('quick')" | grep -qx "dbcare_health_check_status{engine=\"postgresql\",database=\"$db\",check=\"migrations_overdue\"} 1" ||
  fail "the exposition does not show the overdue migrations"
q >/dev/null <<'SQL'
UPDATE dbcare.health_snapshots SET score = score - 20 WHERE id = (SELECT max(id) FROM dbcare.health_snapshots);
SELECT dbcare_set('health.alerts.score_drop', '25');
SQL
[ "$(q -c "SELECT status || ' ' || value FROM dbhealth_checks('quick') WHERE name = 'score_drop'")" = 'ok 20' ] ||
  fail "a drop of 20 with the limit 25: $(q -c "SELECT message FROM dbhealth_checks('quick') WHERE name = 'score_drop'")"
run 0 alert-rules --db "$url"
has 'dbcare_health_score >= 25"' out
q -c "SELECT dbcare_set('health.alerts.score_drop', '15')" >/dev/null
[ "$(q -c "SELECT status || ' ' || value FROM dbhealth_checks('quick') WHERE name = 'score_drop'")" = 'warning 20' ] ||
  fail "a drop of 20 with the limit 15: $(q -c "SELECT message FROM dbhealth_checks('quick') WHERE name = 'score_drop'")"
run 0 alert-rules --db "$url"
has 'dbcare_health_score >= 15"' out
q -c "CREATE ROLE regress_dbcare_alerts_mon2; GRANT pg_monitor TO regress_dbcare_alerts_mon2" >/dev/null 2>&1 || true
got=$(q -c "SET ROLE regress_dbcare_alerts_mon2" -c "SELECT string_agg(name || ' ' || status, ', ' ORDER BY name) FROM dbhealth_checks('quick') WHERE name IN ('migrations_overdue', 'score_drop')" 2>&1)
q -c "DROP ROLE regress_dbcare_alerts_mon2" >/dev/null 2>&1 || true
[ "$got" = 'migrations_overdue warning, score_drop warning' ] || fail "a monitoring role: $got"
echo "ok: PostgreSQL names, rules, page"
