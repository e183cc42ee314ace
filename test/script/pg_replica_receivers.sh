#!/usr/bin/env bash
# Walsenders that are not replaying standbys (docs/topology.md,
# "Receivers"): two pg_receivewal beside standby1, both with the same
# application_name, are listed as kind receiver under names of their own
# (pg_receivewal@PID), never waited on: migrate --wait-replicas (all)
# returns, /readyz?replicas=1 is 200, /metrics has no duplicate series
# (promtool) and no schema_visible sample for a receiver. A position the
# role cannot see (no pg_monitor: replay_lsn NULL) is an unknown lag,
# never 0: status says "unknown bytes behind", /metrics has no lag sample.
set -eu
db=dbcare_replica_receivers
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/topology.sh"
cli="$(cd "$(dirname "$0")/../.." && pwd)/build/cli/dbcare"
. "$(dirname "$0")/lib/serve.sh"
py=/usr/bin/python3
mig=$work/migrations
mkdir -p "$mig" "$topo/wal1" "$topo/wal2"
[ "$(id -u)" != 0 ] || chown postgres: "$topo/wal1" "$topo/wal2"
for d in wal1 wal2; do
  "${AS_PG[@]}" "$B/pg_receivewal" -n -D "$topo/$d" -h "$topo/sock" -p "$topo_port" -U postgres \
    >"$topo/$d.log" 2>&1 &
  pids+=($!)
done
for _ in $(seq 1 200); do
  [ "$(P -c "SELECT count(*) FROM pg_stat_replication WHERE application_name = 'pg_receivewal' AND write_lsn IS NOT NULL")" = 2 ] && break
  sleep 0.05
done
[ "$(P -c "SELECT count(*) FROM pg_stat_replication WHERE application_name = 'pg_receivewal' AND replay_lsn IS NULL AND write_lsn IS NOT NULL")" = 2 ] ||
  fail "two pg_receivewal do not stream (test premise): $(P -c "SELECT * FROM pg_stat_replication"; cat "$topo"/wal*.log)"
dbc() { "$cli" "$@" --db "$topo_url" --dir "$mig"; }

# 1. --wait-replicas (all) returns: the receivers are not waited on
echo "CREATE TABLE a (id int);" >"$mig/001_a.sql"
dbc migrate --wait-replicas --timeout 10s >"$work/1.out" 2>&1 || fail "migrate: $(cat "$work/1.out")"
grep -q "replicas: 1 show the migrations at" "$work/1.out" || fail "not the standby alone: $(cat "$work/1.out")"
dbc status --replicas >"$work/status.out" 2>&1 || fail "status --replicas: $(cat "$work/status.out")"
grep -q "^standby standby1: schema 1 visible, streaming, 0 bytes behind, slot none$" "$work/status.out" ||
  fail "no standby: $(cat "$work/status.out")"
[ "$(grep -c "^receiver pg_receivewal@[0-9]*: receives WAL, replays none (not waited on), streaming, [0-9]* bytes behind, slot none$" "$work/status.out")" = 2 ] ||
  fail "not two receivers of their own names: $(cat "$work/status.out")"
# one by its name: returns too
name=$(sed -n 's/^receiver \(pg_receivewal@[0-9]*\):.*/\1/p' "$work/status.out" | head -1)
dbc migrate --wait-replicas="$name,standby1" --timeout 5s >"$work/name.out" 2>&1 ||
  fail "=$name,standby1: $(cat "$work/name.out")"

# 2. serve: ready with replicas, unique series
start_serve "$work/serve.log" --db "$topo_url" --dir "$mig" --min-interval 0
# the standby replays what the primary wrote up to serve's first look
# (its report writes too) within moments; the receivers never replay
for _ in $(seq 1 50); do
  get "$base/readyz?replicas=1"
  [ "$code" = 200 ] && break
  sleep 0.1
done
want_code 200 "readyz?replicas=1 beside two receivers"
[ "$(grep -c '^  receiver pg_receivewal@[0-9]*: receives WAL, replays none (not waited on), streaming, ' "$work/body")" = 2 ] ||
  fail "readyz does not list the receivers: $(cat "$work/body")"
get "$base/metrics"
want_code 200 metrics
promtool check metrics <"$work/body" || fail "promtool refused /metrics: $(grep replica "$work/body")"
[ -z "$(grep '^dbcare_' "$work/body" | sed 's/ [^ ]*$//' | sort | uniq -d)" ] ||
  fail "duplicate series: $(grep '^dbcare_' "$work/body" | sed 's/ [^ ]*$//' | sort | uniq -d)"
[ "$(grep -c '^dbcare_replica_lag_bytes{.*,kind="receiver",replica="pg_receivewal@[0-9]*"} [0-9]*$' "$work/body")" = 2 ] ||
  fail "not two receivers' lags: $(grep replica "$work/body")"
grep -q '^dbcare_replica_schema_visible{.*kind="receiver"' "$work/body" &&
  fail "a receiver has a schema_visible sample: $(grep replica "$work/body")"
grep -q '^dbcare_replica_schema_visible{.*,kind="standby",replica="standby1"} 1$' "$work/body" ||
  fail "the standby is not visible: $(grep replica "$work/body")"
stop_serve

# 3. a role without pg_monitor: positions unknown, never 0 bytes behind
P -c "SET client_min_messages = warning" -c "CREATE ROLE watcher LOGIN" \
  -c "GRANT USAGE ON SCHEMA dbcare TO watcher" -c "GRANT SELECT ON ALL TABLES IN SCHEMA dbcare TO watcher" >/dev/null
[ "$(P -c "SET ROLE watcher" -c "SELECT count(*) FROM pg_stat_replication WHERE replay_lsn IS NULL AND write_lsn IS NULL")" = 3 ] ||
  fail "watcher sees positions (test premise)"
wurl="postgresql:///app?host=$topo/sock&port=$topo_port&user=watcher"
"$cli" status --replicas --db "$wurl" --dir "$mig" >"$work/w.out" 2>&1 || fail "status as watcher: $(cat "$work/w.out")"
grep -q "^standby standby1: schema 1 not visible yet, state unknown, unknown bytes behind" "$work/w.out" ||
  fail "an unknown position is not an unknown lag: $(cat "$work/w.out")"
grep -q "0 bytes behind" "$work/w.out" && fail "an unknown position said 0 bytes behind: $(cat "$work/w.out")"
start_serve "$work/serve2.log" --db "$wurl" --dir "$mig" --min-interval 0
get "$base/metrics"
want_code 200 "metrics as watcher"
grep -q '^dbcare_replica_schema_visible{.*,kind="standby",replica="standby1"} 0$' "$work/body" ||
  fail "no standby series as watcher: $(grep replica "$work/body")"
grep -q '^dbcare_replica_lag_bytes{' "$work/body" && fail "a lag sample for an unknown position: $(grep replica "$work/body")"
get "$base/readyz?replicas=1"
grep -q "^  standby standby1: .*lag unknown (grant pg_monitor)" "$work/body" ||
  fail "readyz does not say the lag is unknown: $(cat "$work/body")"
stop_serve
echo "ok: receivers listed, never waited on, unique names; an unknown position has no lag"
