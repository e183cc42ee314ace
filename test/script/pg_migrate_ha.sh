#!/usr/bin/env bash
# dbcare-test-timeout: 600
# A switchover and a failover under pg_auto_failover while dbcare migrate
# runs (issue 68 item 5, docs/topology.md "Under an HA manager"): two nodes
# and a monitor (lib/ha.sh), migrate through a URL naming both nodes with
# target_session_attrs=read-write. Each migration sleeps for seconds
# inside its transaction, and while it sleeps the HA manager moves the
# primary: `pg_autoctl perform switchover`, then the primary's keeper and
# servers killed (-9) so that the monitor promotes the other node. Each
# time migrate says the connection was lost, reconnects to the node that
# takes writes, and the migration is applied exactly once, never half,
# never twice: in each node's history (the killed node rejoins as a
# standby, rewound by pg_autoctl) and in its table. 40-80 s on two busy
# cores (setup, a switchover, a failover, a rejoin: 10-25 s each).
set -eu
db=dbcare_migrate_ha
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/ha.sh"
cli="$(cd "$(dirname "$0")/../.." && pwd)/build/cli/dbcare"
mig=$work/migrations
mkdir -p "$mig"
N1 -c "SET client_min_messages = warning" -c "CREATE EXTENSION dbcare" >/dev/null
# the standby is synchronous (pg_auto_failover's default): what the
# primary committed, the standby has, which exactly-once rests on
for _ in $(seq 1 150); do
  [ -n "$(N1 -c "SHOW synchronous_standby_names")" ] && break
  sleep 0.2
done
[ -n "$(N1 -c "SHOW synchronous_standby_names")" ] || fail "node1 replicates asynchronously: $(ha_state)"

echo "CREATE TABLE a (id int);" >"$mig/001_a.sql"
"$cli" migrate --db "$ha_url" --dir "$mig" >"$work/1.out" 2>&1 || fail "migrate 1: $(cat "$work/1.out")"

# migrate_while VERSION TABLE PRIMARY MOVE: the migration VERSION (a row
# into TABLE, then 30 s of sleep, which the move cuts) runs on PRIMARY;
# MOVE moves the primary meanwhile; migrate must reconnect and finish with
# the migration applied. The sleep is PRIMARY's only (the server's port
# says which node runs it): the run again on the new primary, the same
# file, commits at once instead of sleeping 30 s more for nothing.
migrate_while() {
  local version=$1 table=$2 primary=$3 move=$4 rc=0 runner port=$ha_n1_port
  [ "$primary" = node1 ] || port=$ha_n2_port
  printf "CREATE TABLE %s (id int);\nINSERT INTO %s VALUES (%s);\nSELECT pg_sleep(CASE current_setting('port') WHEN '%s' THEN 30 ELSE 0 END);\n" \
    "$table" "$table" "$version" "$port" >"$mig/00${version}_$table.sql"
  "$cli" migrate --db "$ha_url" --dir "$mig" --timeout 120s >"$work/$version.out" 2>&1 &
  runner=$!
  pids+=("$runner")
  for _ in $(seq 1 400); do
    [ "$(ha_psql "$primary" -c "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep'")" = 1 ] && break
    sleep 0.05
  done
  [ "$(ha_psql "$primary" -c "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep'")" = 1 ] ||
    fail "migration $version is not running on $primary: $(cat "$work/$version.out")"
  $move
  wait "$runner" || rc=$?
  [ "$rc" = 0 ] || fail "migrate $version: exit $rc after the primary moved: $(cat "$work/$version.out")"
  grep -q "dbcare: the connection to .* was lost: connecting again" "$work/$version.out" ||
    fail "migration $version finished before the primary moved (no reconnect): $(cat "$work/$version.out")"
  grep -q "1 migration(s) applied" "$work/$version.out" ||
    fail "migration $version not applied after the move: $(cat "$work/$version.out")"
}
# once_on NODE VERSION TABLES...: NODE's registry has every version up to
# VERSION applied exactly once, and each table one row
once_on() {
  local node=$1 version=$2 t
  shift 2
  [ "$(ha_psql "$node" -c "SELECT dbmigrate_current()")" = "$version" ] ||
    fail "$node is at version $(ha_psql "$node" -c "SELECT dbmigrate_current()"), not $version"
  [ "$(ha_psql "$node" -c "SELECT count(*) FROM dbmigrate_history() WHERE success")" = "$version" ] ||
    fail "$node's history: $(ha_psql "$node" -c "SELECT version, success FROM dbmigrate_history()")"
  [ "$(ha_psql "$node" -c "SELECT count(DISTINCT version) FROM dbmigrate_history() WHERE success")" = "$version" ] ||
    fail "$node applied a migration twice: $(ha_psql "$node" -c "SELECT version FROM dbmigrate_history()")"
  [ "$(ha_psql "$node" -c "SELECT count(*) FROM dbmigrate_status() WHERE state <> 'applied'")" = 0 ] ||
    fail "$node: not all applied: $(ha_psql "$node" -c "SELECT version, state FROM dbmigrate_status()")"
  for t in "$@"; do
    [ "$(ha_psql "$node" -c "SELECT count(*) FROM $t")" = 1 ] ||
      fail "$node: table $t holds $(ha_psql "$node" -c "SELECT count(*) FROM $t") rows"
  done
}

# 1. a switchover: the HA manager demotes node1 and promotes node2
switchover() { ha_autoctl perform switchover --pgdata "$ha/monitor" >"$work/switchover.out" 2>&1 ||
  fail "the switchover failed: $(tail -n 20 "$work/switchover.out")"; }
migrate_while 2 b node1 switchover
ha_wait_primary node2
once_on node2 2 b
ha_wait_secondary node1
ha_caught_up node2 node1
once_on node1 2 b

# 2. a failover: node2's machine dies (keeper and servers killed -9);
# the monitor promotes node1
kill_node2() { ha_kill node2; }
migrate_while 3 c node2 kill_node2
ha_wait_primary node1
once_on node1 3 b c
# node2 comes back: its keeper rewinds it and it rejoins as a standby,
# with the history of the new primary (its own cut migration is gone)
ha_run node2
ha_wait_secondary node2
ha_caught_up node1 node2
once_on node2 3 b c

# once more, through the HA pair over loopback TCP as docs/topology.md
# writes it: nothing pending, nothing applied again; the standby
# pg_auto_failover streams to is waited for
tcp_url="postgresql:///app?host=127.0.0.1,127.0.0.1&port=$ha_n1_port,$ha_n2_port&user=postgres"
"$cli" migrate --db "$tcp_url&target_session_attrs=read-write" --dir "$mig" --wait-replicas --timeout 60s \
  >"$work/4.out" 2>&1 ||
  fail "migrate 4: $(cat "$work/4.out")"
grep -q "0 migration(s) applied" "$work/4.out" || fail "applied again: $(cat "$work/4.out")"
"$cli" status --db "$ha_url" --replicas >"$work/status.out" 2>&1 || fail "status: $(cat "$work/status.out")"
grep -q "^standby pgautofailover_standby_.*: schema 3 visible" "$work/status.out" ||
  fail "status --replicas: $(cat "$work/status.out")"
echo "pg_migrate_ha: ok"
