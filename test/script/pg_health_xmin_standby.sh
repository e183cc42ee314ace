#!/usr/bin/env bash
# A standby's hot_standby_feedback as the holder of the primary's xmin
# horizon (issue 67): a long snapshot on a streaming standby with the
# feedback on keeps the dead tuples of the primary's tables from VACUUM.
# On the primary, xmin_horizon names the standby (its application_name and
# walsender, the backend_xmin it sends), the xid age it pins and the dead
# tuples that wait; the plan's end_holder row says the repair that works,
# on the standby (end its query, or the feedback off), destructive, with no
# statement to run on the primary. On the standby, xmin_horizon names the
# session itself and its end_holder row is pg_terminate_backend(pid): run
# there, both checks clear and VACUUM removes the dead tuples. Seeded a
# second time, the other repair (ALTER SYSTEM SET hot_standby_feedback =
# off) clears the primary's finding too. Runs on lib/topology.sh.
set -eu
db=dbcare_health_xmin_standby
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/topology.sh"
. "$(dirname "$0")/lib/wait.sh"
t0=$(date +%s)

# the feedback on, sent every second (the default: 10 s)
S -c "ALTER SYSTEM SET hot_standby_feedback = on" -c "ALTER SYSTEM SET wal_receiver_status_interval = 1" \
  -c "SELECT pg_reload_conf()" >/dev/null
P -c "CREATE TABLE t (id int PRIMARY KEY, v int)" -c "INSERT INTO t SELECT g, 0 FROM generate_series(1, 2000) g" \
  -c "SELECT dbcare_set('health.xmin_horizon.warn', '20')" >/dev/null
topo_caught_up

# xmin_fed_back XMIN: the primary holds a standby's xmin at or before XMIN
# (a feedback message brought it)
xmin_fed_back() {
  [ "$(P -c "SELECT count(*) FROM pg_stat_replication
      WHERE backend_xmin::text::bigint <= $1 % 4294967296")" = 1 ]
}

# seed: a repeatable-read snapshot on the standby, idle in its transaction
seed() {
  rm -f "$work/in" "$work/out"
  mkfifo "$work/in"
  "$B/psql" -X -q -At -h "$topo/sock" -p "$topo_sb_port" -U postgres -d app <"$work/in" >"$work/out" 2>&1 &
  pids+=($!)
  exec 3>"$work/in"
  printf '%s\n' "BEGIN ISOLATION LEVEL REPEATABLE READ;" "SELECT count(*) FROM t;" "SELECT pg_backend_pid();" \
    "SELECT pg_snapshot_xmin(pg_current_snapshot());" >&3
  for _ in $(seq 1 600); do [ "$(wc -l <"$work/out")" -ge 3 ] && break; sleep 0.1; done
  sb_pid=$(sed -n 2p "$work/out")
  sb_xmin=$(sed -n 3p "$work/out")
  [ -n "$sb_pid" ] && [ -n "$sb_xmin" ] || fail "the standby's session did not start: $(cat "$work/out")"
  # the primary ages past the warn line (50 xids) and leaves 2,000 dead
  # tuples that VACUUM must keep for the standby's snapshot: once a
  # feedback message has brought the primary an xmin at or before it
  poll_until 60 0.1 xmin_fed_back "$sb_xmin" || fail "no feedback of the standby's xmin $sb_xmin in 60 s"
  for _ in $(seq 1 50); do P -c "SELECT txid_current()" >/dev/null; done
  P -c "UPDATE t SET v = v + 1" -c "VACUUM t" >/dev/null
}
# check SERVER: xmin_horizon's status|message on P or S
check() { "$1" -c "SELECT status || '|' || message FROM dbhealth_checks('quick') WHERE name = 'xmin_horizon'"; }

seed
dead=$(P -c "SELECT pg_stat_force_next_flush()" -c "SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 't'" | tail -n 1)
[ "$dead" -ge 2000 ] || fail "VACUUM on the primary removed the dead tuples: the standby does not hold them ($dead)"
echo "ok: VACUUM leaves $dead dead tuples behind the standby's snapshot"

msg=$(check P)
echo "primary: $msg"
case "$msg" in
  "warning|"*"standby standby1 (walsender "*"hot_standby_feedback on, backend_xmin "*" dead tuples wait in this database"*) ;;
  *) fail "the primary's xmin_horizon does not name the standby, its xmin and the dead tuples: $msg" ;;
esac
age=$(printf '%s' "$msg" | grep -o '[0-9]* xids' | head -n 1)
[ -n "$age" ] || fail "no xid age in: $msg"
plan=$(P -c "SELECT coalesce(statement, '-') || ' | ' || safety || ' | ' || reason FROM dbmaintain_plan('quick') WHERE action = 'end_holder'")
echo "primary plan: $plan"
case "$plan" in
  "- | destructive | xmin_horizon: standby standby1 (walsender "*") pins the xmin "*" transactions back (hot_standby_feedback on"*"dead tuples wait"*"end the long query there"*"ALTER SYSTEM SET hot_standby_feedback = off"*) ;;
  *) fail "the primary's end_holder row: $plan" ;;
esac
[ "$(P -c "SELECT count(*) FROM dbmaintain_plan('quick') WHERE action = 'vacuum' AND statement IS NOT NULL")" = 0 ] ||
  fail "the plan proposes a VACUUM of t that cannot work while the standby holds the horizon"
echo "ok: the primary names the standby ($age), and its repair on the standby"

sb=$(check S)
echo "standby: $sb"
case "$sb" in
  "warning|"*"session $sb_pid"*"idle in transaction"*"hot_standby_feedback"*) ;;
  *) fail "the standby's xmin_horizon does not name its session $sb_pid: $sb" ;;
esac
stmt=$(S -c "SELECT statement || ' | ' || safety FROM dbmaintain_plan('quick') WHERE action = 'end_holder'")
[ "$stmt" = "SELECT pg_catalog.pg_terminate_backend($sb_pid) | destructive" ] ||
  fail "the standby's end_holder row: $stmt"
echo "ok: the standby names its own session and the statement that ends it"

# the repair, run where the plan says: on the standby
S -c "${stmt% | destructive}" >/dev/null
exec 3>&-
cleared() { # SERVER: until xmin_horizon is ok there (feedback every second;
  # a standby's feedback with no snapshot open is listed below the warn line)
  local st=""
  for _ in $(seq 1 100); do
    st=$(check "$1")
    case "$st" in "ok|"*) return 0 ;; esac
    sleep 0.2
  done
  fail "xmin_horizon after the repair: $st"
}
cleared S
cleared P
P -c "VACUUM t" >/dev/null
dead=$(P -c "SELECT pg_stat_force_next_flush()" -c "SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 't'" | tail -n 1)
[ "$dead" = 0 ] || fail "VACUUM after the repair left $dead dead tuples"
echo "ok: the standby's session ended; both checks clear and VACUUM removes the dead tuples"

# the other repair: the feedback off on the standby
seed
case "$(check P)" in "warning|"*"standby standby1"*) ;; *) fail "not seeded again: $(check P)" ;; esac
S -c "ALTER SYSTEM SET hot_standby_feedback = off" -c "SELECT pg_reload_conf()" >/dev/null
cleared P
case "$(check S)" in
  "ok|"*) ;;
  *) fail "the standby still names a holder with the feedback off: $(check S)" ;;
esac
echo "ok: hot_standby_feedback off clears the primary's finding (the standby's session is no holder then)"
echo "took $(($(date +%s) - t0)) s"
