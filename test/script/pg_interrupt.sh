#!/usr/bin/env bash
# Interrupts in the middle of dbmigrate_apply: statement_timeout shorter than
# a sleeping migration, and pg_cancel_backend from a second session. Both
# fail with SQLSTATE 57014, leave schema, history and status as they were, and
# the interrupted session goes on working.
set -eu
db=dbcare_interrupt
. "$(dirname "$0")/lib/pg.sh"
victim=

"$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" 2>/dev/null
"$B/psql" -X -q -d postgres -c "CREATE DATABASE $db"
q -c "SET client_min_messages = warning" -c "CREATE EXTENSION dbcare" \
  -c "SELECT dbmigrate_add('1', 'one', 'CREATE TABLE one (a int)')" -c "SELECT dbmigrate_apply()" \
  -c "SELECT dbmigrate_add('2', 'slow', 'CREATE TABLE slow (a int); INSERT INTO slow SELECT generate_series(1, 1000); SELECT pg_sleep(30)')" \
  >/dev/null
state() {
  q -c "SELECT dbschema_fingerprint()
         || ' ' || (SELECT string_agg(id || ':' || coalesce(version, '') || ':' || direction, ',' ORDER BY id) FROM dbmigrate_history())
         || ' ' || (SELECT string_agg(version || ':' || state, ',' ORDER BY version) FROM dbmigrate_status())"
}
before=$(state)

# The session script: the interrupted apply, then proof that the same
# session still works (psql goes on after an error without ON_ERROR_STOP).
cat >"$work/session.sql" <<'SQL'
\set VERBOSITY verbose
SELECT dbmigrate_apply();
SELECT 'alive:' || dbmigrate_current() || ':' || (SELECT count(*) FROM dbmigrate_status() WHERE state = 'pending');
SELECT 'slow table:' || (to_regclass('public.slow') IS NULL);
SQL
check_session() { # label output-file
  grep -q '57014' "$2" || fail "$1: no 57014: $(cat "$2")"
  grep -q '^alive:1:1$' "$2" || fail "$1: the session did not go on: $(cat "$2")"
  grep -q '^slow table:true$' "$2" || fail "$1: the migration's table exists"
  [ "$(state)" = "$before" ] || fail "$1: schema, history or status changed: $(state)"
  [ "$(q -c "SELECT count(*) FROM dbmigrate_validate()")" = 0 ] || fail "$1: validate reports problems"
}

# 1. statement_timeout
PGOPTIONS="-c statement_timeout=300" "$B/psql" -X -q -At -d $db -f "$work/session.sql" >"$work/timeout.out" 2>&1 || true
check_session "statement_timeout" "$work/timeout.out"
grep -q 'statement timeout' "$work/timeout.out" || fail "statement_timeout: $(cat "$work/timeout.out")"
echo "statement_timeout: 57014, nothing changed, the session goes on"

# 2. pg_cancel_backend from a second session, once the migration sleeps
PGAPPNAME=dbcare_cancel_victim "$B/psql" -X -q -At -d $db -f "$work/session.sql" >"$work/cancel.out" 2>&1 &
victim=$!
pids+=("$victim")
pid=
for _ in $(seq 1 200); do
  pid=$(q -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'dbcare_cancel_victim'
                 AND datname = current_database() AND wait_event = 'PgSleep'")
  [ -n "$pid" ] && break
  sleep 0.05
done
[ -n "$pid" ] || fail "the apply never reached its sleep: $(cat "$work/cancel.out")"
[ "$(q -c "SELECT pg_cancel_backend($pid)")" = t ] || fail "pg_cancel_backend"
wait "$victim" || true
victim=
check_session "pg_cancel_backend" "$work/cancel.out"
grep -q 'canceling statement due to user request' "$work/cancel.out" || fail "cancel: $(cat "$work/cancel.out")"
echo "pg_cancel_backend: 57014, nothing changed, the session goes on"

# The interrupted migration applies once it is fixed.
q -c "SELECT dbmigrate_add('2', 'fast', 'CREATE TABLE slow (a int)')" >/dev/null
[ "$(q -c "SELECT dbmigrate_apply()")" = 1 ] || fail "apply after the interrupts"
echo "ok"
