#!/usr/bin/env bash
# Wal mode records the role that made each change, whatever an
# unprivileged writer puts into the WAL (issue 54, docs/audit.md "What the
# actor message proves"). pg_logical_emit_message is PUBLIC, so a role that
# may only UPDATE an audited table plants, between two of its changes:
# - a forged dbcare.actor message naming another role: ignored (its MAC is
#   not the trigger's), the change after it is the writer's, the message is
#   counted and named by dbaudit_tables and the health check;
# - malformed ones: a body without NUL, a 100,000-byte body of invalid
#   UTF-8: ignored too, the worker keeps writing, nothing invalid reaches
#   the log, so pg_dump | psql of the database restores it whole.
# A SET ROLE between two statements of one transaction: each change carries
# the role that made it. The owner disables the table's trigger: its
# changes are still recorded, as made by an unknown role (the documented
# marker, no role's name), and dbaudit_tables says so.
set -eu
db=dbcare_audit_wal_actor
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/pg_logical.sh"
start=$(date +%s)
as() { # as ROLE psql-args...: psql on the logical cluster's app as ROLE
  local role=$1
  shift
  "$B/psql" -X -q -At -v ON_ERROR_STOP=1 -h "$lg/sock" -p "$lg_port" -U "$role" -d app "$@"
}
unknown='(unknown: no signed context message of the audit trigger named the role)'
L -c "CREATE ROLE bob LOGIN" -c "CREATE ROLE alice LOGIN" -c "CREATE ROLE clerk" -c "GRANT clerk TO bob" \
  -c "CREATE TABLE payroll (id int PRIMARY KEY, salary int)" \
  -c "INSERT INTO payroll VALUES (1, 100), (2, 200)" \
  -c "GRANT SELECT, UPDATE ON payroll TO bob, clerk" \
  -c "SELECT dbcare_set('audit.hash_chain', 'on')" \
  -c "SELECT dbaudit_enable('payroll', mode => 'wal')" >/dev/null
who() { # who ID SALARY: db_user of the update of row ID to SALARY
  L -c "SELECT string_agg(db_user, ',' ORDER BY id) FROM dbaudit_log('payroll')
          WHERE operation = 'update' AND key->>'id' = '$1' AND new_values->>'salary' = '$2'"
}
state() { L -c "SELECT recording || ' ' || coalesce(problem, '-') FROM dbaudit_tables() WHERE \"table\" = '$1'"; }
health() { L -c "SELECT status || ' ' || coalesce(message, '') FROM dbhealth_checks('quick') WHERE name = 'audit'"; }

# 1. a forged message naming alice between bob's two updates
as bob -c "BEGIN" -c "UPDATE payroll SET salary = 102 WHERE id = 1" \
  -c "SELECT pg_logical_emit_message(true, 'dbcare.actor', convert_to('alice', 'UTF8') || '\x00'::bytea || convert_to('hr-admin', 'UTF8') || '\x00'::bytea || '\x00'::bytea)" \
  -c "UPDATE payroll SET salary = 5000000 WHERE id = 2" -c "COMMIT" >/dev/null
[ "$(who 1 102)" = bob ] || fail "row 1: $(who 1 102)"
[ "$(who 2 5000000)" = bob ] || fail "the forged message named the change's role: $(who 2 5000000)"
[ "$(L -c "SELECT count(*) FROM dbcare.audit_log WHERE db_user = 'alice' OR actor = 'hr-admin'")" = 0 ] ||
  fail "the forged message reached the log"
# even one signed like the trigger's but by a key guessed (32 zero bytes)
as bob -c "BEGIN" -c "SELECT pg_logical_emit_message(true, 'dbcare.actor', convert_to('alice', 'UTF8') || '\x000000'::bytea || decode(repeat('00', 32), 'hex'))" \
  -c "UPDATE payroll SET salary = 103 WHERE id = 1" -c "COMMIT" >/dev/null
[ "$(who 1 103)" = bob ] || fail "a message with a made-up MAC named the role: $(who 1 103)"

# the key the trigger signs with: a file of the data directory, the server's alone
[ "$(stat -c %a "$lg/data/dbcare_audit_actor.key")" = 600 ] ||
  fail "the key file: $(ls -l "$lg/data/dbcare_audit_actor.key")"
out=$(as bob -c "SELECT pg_read_binary_file('dbcare_audit_actor.key')" 2>&1) && fail "bob read the key: $out"

# 2. malformed messages: no NUL at all; 100,000 bytes of invalid UTF-8
as bob -c "BEGIN" -c "SELECT pg_logical_emit_message(true, 'dbcare.actor', 'alice'::bytea)" \
  -c "UPDATE payroll SET salary = 104 WHERE id = 1" \
  -c "SELECT pg_logical_emit_message(true, 'dbcare.actor', convert_to('alice', 'UTF8') || decode(repeat('ff', 100000), 'hex'))" \
  -c "UPDATE payroll SET salary = 204 WHERE id = 2" \
  -c "SELECT pg_logical_emit_message(true, 'dbcare.actor', '\xff00ff00ff00'::bytea)" \
  -c "UPDATE payroll SET salary = 205 WHERE id = 2" -c "COMMIT" >/dev/null
[ "$(who 1 104)" = bob ] && [ "$(who 2 204)" = bob ] && [ "$(who 2 205)" = bob ] ||
  fail "a malformed message changed the role: $(who 1 104) $(who 2 204) $(who 2 205)"
[ "$(L -c "SELECT max(length(db_user)) <= 63 AND bool_and(db_user !~ 'cal_slot') FROM dbcare.audit_log")" = t ] ||
  fail "the worker's memory reached db_user: $(L -c "SELECT DISTINCT left(db_user, 40) FROM dbcare.audit_log")"
# the worker lives on: a later change is recorded
as bob -c "UPDATE payroll SET salary = 106 WHERE id = 1" >/dev/null
[ "$(who 1 106)" = bob ] || fail "the worker stopped after the malformed messages"
# every rejected message is counted once and named
[ "$(L -c "SELECT rejected_messages FROM dbcare.audit_wal_state")" = 5 ] ||
  fail "rejected messages: $(L -c "SELECT * FROM dbcare.audit_wal_state")"
state public.payroll | grep -q '5 dbcare.actor messages not signed by the audit trigger were rejected' ||
  fail "dbaudit_tables: $(state public.payroll)"
health | grep -q '^warning .*public.payroll (.*5 dbcare.actor messages not signed' || fail "health: $(health)"
grep -q 'dbcare: a dbcare.actor message of transaction [0-9]* was rejected: its MAC is not the audit trigger' "$lg/server.log" ||
  fail "no warning in the server log"

# 3. SET ROLE between the statements of one transaction, and back
as bob -c "BEGIN" -c "UPDATE payroll SET salary = 110 WHERE id = 1" -c "SET ROLE clerk" \
  -c "UPDATE payroll SET salary = 210 WHERE id = 2" -c "RESET ROLE" \
  -c "UPDATE payroll SET salary = 111 WHERE id = 1" -c "COMMIT" >/dev/null
[ "$(who 1 110),$(who 2 210),$(who 1 111)" = bob,clerk,bob ] ||
  fail "SET ROLE: $(who 1 110),$(who 2 210),$(who 1 111)"

# an actor past the bound the decoder reads: a clear error, nothing written
out=$(as bob -c "SET dbcare.actor = '$(printf 'x%.0s' $(seq 1 8193))'" -c "UPDATE payroll SET salary = 120 WHERE id = 1" 2>&1) &&
  fail "an actor of 8193 bytes was taken: $out"
echo "$out" | grep -q 'dbcare: dbcare.actor is 8193 bytes; a table audited in wal mode records at most 8192' || fail "$out"

# 4. the owner disables the trigger: recorded as made by no known role, and said
L -c "CREATE TABLE ledger (id int PRIMARY KEY, amount int)" -c "ALTER TABLE ledger OWNER TO bob" \
  -c "SELECT dbaudit_enable('ledger', mode => 'wal')" >/dev/null
as bob -c "INSERT INTO ledger VALUES (1, 10)" -c "ALTER TABLE ledger DISABLE TRIGGER dbcare_audit_wal" \
  -c "INSERT INTO ledger VALUES (2, 20)" >/dev/null
[ "$(L -c "SELECT string_agg(db_user, ',' ORDER BY id) FROM dbaudit_log('ledger')")" = "bob,$unknown" ] ||
  fail "ledger: $(L -c "SELECT string_agg(db_user, ',' ORDER BY id) FROM dbaudit_log('ledger')")"
state public.ledger | grep -q "its trigger dbcare_audit_wal is disabled: its changes are recorded without their role" ||
  fail "the disabled trigger is not named: $(state public.ledger)"
state public.ledger | grep -q "1 entries were recorded without their role" || fail "unknown entries: $(state public.ledger)"
as bob -c "ALTER TABLE ledger ENABLE REPLICA TRIGGER dbcare_audit_wal" >/dev/null
state public.ledger | grep -q "its trigger dbcare_audit_wal fires only under session_replication_role = replica" ||
  fail "the replica trigger is not named: $(state public.ledger)"

# the chain verifies, and a dump of the database restores whole
[ "$(L -c "SELECT count(*) FROM dbaudit_verify() WHERE broken_id IS NOT NULL")" = 0 ] ||
  fail "verify: $(L -c "SELECT * FROM dbaudit_verify()")"
n=$(L -c "SELECT count(*) FROM dbcare.audit_log")
"$B/psql" -X -q -h "$lg/sock" -p "$lg_port" -U postgres -d postgres -c "CREATE DATABASE restored" >/dev/null
"$B/pg_dump" -h "$lg/sock" -p "$lg_port" -U postgres app >"$work/app.sql" || fail "pg_dump"
"$B/psql" -X -q -v ON_ERROR_STOP=1 -h "$lg/sock" -p "$lg_port" -U postgres -d restored -f "$work/app.sql" \
  >"$work/restore.log" 2>&1 || fail "the dump does not restore: $(grep -m3 ERROR "$work/restore.log")"
[ "$(L -d restored -c "SELECT count(*) FROM dbcare.audit_log")" = "$n" ] || fail "the restored log lost entries"
echo "pg_audit_wal_actor: $(($(date +%s) - start)) s"
