#!/usr/bin/env bash
# The xmin horizon held by a session idle in its transaction and by an
# inactive logical replication slot (issue 67): xmin_horizon names each
# with the xid age it pins, and the plan's end_holder rows are the repairs
# that work, destructive: pg_terminate_backend(pid) for the session,
# pg_drop_replication_slot('name') for the slot. A run asked for the
# destructive rows ends both, and the check clears. Runs on the throwaway
# cluster of lib/pg_logical.sh (the setting it studies: wal_level =
# logical, which a logical slot needs).
set -eu
db=dbcare_health_xmin_session_slot
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/pg_logical.sh"
t0=$(date +%s)

L -c "CREATE TABLE t (id int PRIMARY KEY)" -c "INSERT INTO t SELECT generate_series(1, 100)" \
  -c "SELECT dbcare_set('health.xmin_horizon.warn', '0')" \
  -c "SELECT 1 FROM pg_create_logical_replication_slot('stale_slot', 'test_decoding')" >/dev/null
# a session that took a snapshot and an xid, then went idle in its transaction
mkfifo "$work/in"
"$B/psql" -X -q -At -h "$lg/sock" -p "$lg_port" -U postgres -d app < "$work/in" > "$work/out" 2>&1 &
pids+=($!)
exec 3> "$work/in"
printf '%s\n' "BEGIN;" "SELECT txid_current();" "SELECT pg_backend_pid();" >&3
for _ in $(seq 1 100); do [ "$(wc -l < "$work/out")" -ge 2 ] && break; sleep 0.1; done
pid=$(sed -n 2p "$work/out")
[ -n "$pid" ] || fail "the idle session did not start: $(cat "$work/out")"
L -c "INSERT INTO t VALUES (101)" -c "SELECT txid_current()" >/dev/null

msg=$(L -c "SELECT status || '|' || message FROM dbhealth_checks('quick') WHERE name = 'xmin_horizon'")
echo "$msg"
case "$msg" in
  "warning|"*"session $pid"*) ;;
  *) fail "xmin_horizon does not name session $pid: $msg" ;;
esac
case "$msg" in
  *"replication slot stale_slot (logical, inactive)"*) ;;
  *) fail "xmin_horizon does not name the inactive slot: $msg" ;;
esac
echo "ok: the session and the slot are named"

plan=$(L -c "SELECT coalesce(statement, '-') || ' | ' || safety FROM dbmaintain_plan('quick') WHERE action = 'end_holder' ORDER BY statement")
echo "$plan"
want="SELECT pg_catalog.pg_drop_replication_slot('stale_slot') | destructive
SELECT pg_catalog.pg_terminate_backend($pid) | destructive"
[ "$plan" = "$want" ] || fail "the plan's end_holder rows: $plan"
[ "$(L -c "SELECT count(*) FROM dbmaintain_run('quick') WHERE action = 'end_holder' AND status = 'done'")" = 0 ] ||
  fail "an unasked run ended a holder"
ran=$(L -c "SELECT string_agg(status, ',') FROM dbmaintain_run('quick', 'destructive') WHERE action = 'end_holder'")
[ "$ran" = "done,done" ] || fail "the destructive run: $ran"
for _ in $(seq 1 50); do
  [ "$(L -c "SELECT count(*) FROM pg_stat_activity WHERE pid = $pid")" = 0 ] && break
  sleep 0.1
done
[ "$(L -c "SELECT count(*) FROM pg_replication_slots")" = 0 ] || fail "the slot is still there"
st=$(L -c "SELECT status || '|' || message FROM dbhealth_checks('quick') WHERE name = 'xmin_horizon'")
[ "$st" = "ok|nothing holds the xmin horizon back" ] || fail "xmin_horizon after the run: $st"
echo "ok: the run ended the session and dropped the slot; the check is ok"
echo "took $(( $(date +%s) - t0 )) s"
