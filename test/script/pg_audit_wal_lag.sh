#!/usr/bin/env bash
# Wal mode with its worker stopped (issue 54): while the worker is frozen
# (SIGSTOP) and writes go on, dbhealth_metrics reports the lag
# (dbcare_audit_lag_seconds) and the WAL the slot holds back
# (dbcare_audit_wal_retained_bytes), readers refuse to show the incomplete
# log, and dbaudit_tables names the problem once the slot holds half of
# dbcare.audit_wal_max_retained, as does the health check audit; `dbcare
# serve` exposes both series on /metrics. Past all of it, the worker falls back to
# trigger mode (baseline snapshot, slot dropped) as soon as it runs again,
# and later changes are recorded by the triggers.
set -eu
db=dbcare_audit_wal_lag
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/pg_logical.sh"
. "$(dirname "$0")/lib/cli.sh"
. "$root/test/script/lib/serve.sh"
py=/usr/bin/python3
start=$(date +%s)
L -c "CREATE TABLE tw (id int PRIMARY KEY, pad text)" \
  -c "SELECT dbaudit_enable('tw', mode => 'wal')" -c "INSERT INTO tw VALUES (0, 'first')" >/dev/null
[ "$(L -c "SELECT count(*) FROM dbaudit_history('tw', '{\"id\": 0}')")" = 1 ] || fail "the first entry"
w=$(lg_pid_of 'dbcare audit wal')
[ -n "$w" ] || fail "no worker"
kill -STOP "$w"
trap 'kill -CONT "$w" 2>/dev/null || true; kill_serves; lg_stop immediate; cleanup' EXIT
L -c "INSERT INTO tw SELECT g, repeat('x', 200) FROM generate_series(1, 20000) g" >/dev/null
sleep 1.5
metrics=$(L -c "SELECT dbhealth_metrics()")
lag=$(echo "$metrics" | sed -n 's/^dbcare_audit_lag_seconds{[^}]*} //p')
retained=$(echo "$metrics" | sed -n 's/^dbcare_audit_wal_retained_bytes{[^}]*} //p')
[ -n "$lag" ] && awk "BEGIN { exit !($lag >= 1) }" || fail "lag not reported: $lag"
[ -n "$retained" ] && [ "$retained" -gt 4000000 ] || fail "retained bytes not reported: $retained"
out=$(PGOPTIONS="-c dbcare.audit_wal_wait=300" L -c "SELECT count(*) FROM dbaudit_history('tw', '{\"id\": 5}')" 2>&1) &&
  fail "a reader showed an incomplete log: $out"
echo "$out" | grep -q 'dbcare: the audit log is not complete' || fail "the reader's error: $out"
[ "$(L -c "SELECT count(*) FROM dbaudit_tables() WHERE problem IS NOT NULL")" = 0 ] || fail "a problem at 1 GB"
L -c "LOAD 'dbcare'" -c "ALTER SYSTEM SET dbcare.audit_wal_max_retained = '2MB'" -c "SELECT pg_reload_conf()" >/dev/null
poll_until 60 0.05 prints 2MB L -c "LOAD 'dbcare'" -c "SHOW dbcare.audit_wal_max_retained" ||
  fail "the server did not reload dbcare.audit_wal_max_retained in 60 s"
L -c "SELECT problem FROM dbaudit_tables()" | grep -q 'recorded from the WAL, but the log is [0-9]* s behind and the slot holds [0-9]* MB of WAL (dbcare.audit_wal_max_retained: 2 MB)' ||
  fail "no problem named: $(L -c "SELECT problem FROM dbaudit_tables()")"
L -c "SELECT status || ': ' || message || ' / ' || hint FROM dbhealth_checks('quick') WHERE name = 'audit'" |
  grep -q "^warning: .*recorded from the WAL, but the log is [0-9]* s behind.* / .*see that its worker runs.*fall back to trigger mode" ||
  fail "the health check audit: $(L -c "SELECT * FROM dbhealth_checks('quick') WHERE name = 'audit'")"
# dbcare serve's /metrics carries the lag and the WAL held back
start_serve serve.log --db "postgresql:///app?host=$lg/sock&port=$lg_port&user=postgres" --min-interval 0 --report-interval 0
get "$base/metrics"
want_code 200 metrics
promtool check metrics <body || fail "promtool refused /metrics"
lag=$(sed -n 's/^dbcare_audit_lag_seconds{engine="postgresql",database="app"} //p' body)
retained=$(sed -n 's/^dbcare_audit_wal_retained_bytes{engine="postgresql",database="app"} //p' body)
[ -n "$lag" ] && awk "BEGIN { exit !($lag >= 1) }" || fail "/metrics: no lag: $(grep audit body)"
[ -n "$retained" ] && [ "$retained" -gt 4000000 ] || fail "/metrics: no retained bytes: $(grep audit body)"
stop_serve
# the worker runs again: past the bound, it falls back to trigger mode
kill -CONT "$w"
for _ in $(seq 1 100); do
  [ "$(L -c "SELECT count(*) FROM pg_replication_slots")" = 0 ] && break
  sleep 0.1
done
[ "$(L -c "SELECT count(*) FROM pg_replication_slots")" = 0 ] || fail "the slot was not dropped"
[ "$(L -c "SELECT options ? 'mode' FROM dbaudit_tables()")" = f ] || fail "not back in trigger mode"
grep -q 'dbcare: the audit slot dbcare_audit_[0-9]* held back [0-9]* MB of WAL, past dbcare.audit_wal_max_retained: 1 tables' "$lg/server.log" ||
  fail "no warning in the server log"
[ "$(L -c "SELECT count(*) FROM dbaudit_log('tw') WHERE operation = 'snapshot'")" = 20001 ] || fail "no baseline snapshot"
L -c "INSERT INTO tw VALUES (-1, 'after')" >/dev/null
[ "$(L -c "SELECT operation FROM dbaudit_history('tw', '{\"id\": -1}')")" = insert ] || fail "trigger mode does not record"
echo "pg_audit_wal_lag: $(($(date +%s) - start)) s"
