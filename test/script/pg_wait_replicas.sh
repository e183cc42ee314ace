#!/usr/bin/env bash
# dbcare migrate --wait-replicas on a real primary, streaming standby and
# logical subscriber (issue 68, docs/topology.md): it returns once the
# standby has replayed and the subscriber confirmed the migration's commit
# and holds every column the publication publishes; with the standby's
# replay paused (pg_wal_replay_pause) it times out naming the standby and
# its lag, exit 4; a wait under way returns within one poll of the resume;
# a column added on the publisher before the subscriber has it is named,
# and is a health finding (health --subscriber) and not ready on serve
# --subscriber until the subscriber has it;
# --wait-replicas=N counts, names pick; status --replicas lists both;
# serve's /readyz?replicas=1 is 503 while the standby lags and lists both,
# /metrics has each replica's lag and visibility, at most 16 replicas a
# database; the lint names the order of a published table's changes;
# SQLite and a --subscriber URL with a password are refused; migrate
# --online's backfill waits while the paused standby lags over
# --max-replica-lag, and goes on after the resume.
set -eu
db=dbcare_wait_replicas
. "$(dirname "$0")/lib/pg.sh"
TOPO_SUBSCRIBER=1
. "$(dirname "$0")/lib/topology.sh"
. "$(dirname "$0")/lib/built_cli.sh"
. "$(dirname "$0")/lib/serve.sh"
mig=$work/migrations
mkdir -p "$mig"
dbc() { "$cli" "$@" --db "$topo_url" --dir "$mig" --subscriber "$topo_sub_url"; }
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

# 1. both caught up: returns, naming the position
echo "CREATE TABLE a (id int);" >"$mig/001_a.sql"
dbc migrate --wait-replicas --timeout 20s >"$work/1.out" 2>&1 || fail "migrate: $(cat "$work/1.out")"
grep -q "1 migration(s) applied" "$work/1.out" || fail "not applied: $(cat "$work/1.out")"
grep -q "replicas: 2 show the migrations at [0-9A-F]*/[0-9A-F]*" "$work/1.out" ||
  fail "no replicas line: $(cat "$work/1.out")"
[ "$(S -c "SELECT to_regclass('a') IS NOT NULL")" = t ] || fail "returned before the standby replayed"

dbc status --replicas >"$work/status.out" 2>&1 || fail "status --replicas: $(cat "$work/status.out")"
grep -q "^standby standby1: schema 1 visible, streaming, 0 bytes behind, slot none$" "$work/status.out" ||
  fail "status lists no standby: $(cat "$work/status.out")"
grep -q "^subscriber topo_sub: schema 1 visible, streaming, 0 bytes behind, slot topo_sub$" \
  "$work/status.out" || fail "status lists no subscriber: $(cat "$work/status.out")"

# 2. the standby paused: times out naming it and its lag, exit 4
S -c "SELECT pg_wal_replay_pause()" >/dev/null
for _ in $(seq 1 100); do
  [ "$(S -c "SELECT pg_get_wal_replay_pause_state()")" = paused ] && break
  sleep 0.05
done
echo "CREATE TABLE b (id int);" >"$mig/002_b.sql"
t0=$(date +%s%N)
rc=0
dbc migrate --wait-replicas --timeout 2s >"$work/2.out" 2>&1 || rc=$?
ms=$(ms_since "$t0")
[ "$rc" = 4 ] || fail "exit $rc, not 4: $(cat "$work/2.out")"
grep -q "dbcare: standby standby1 (streaming) has not replayed [0-9A-F]*/[0-9A-F]* after [0-9]* ms: it is at [0-9A-F]*/[0-9A-F]*, [1-9][0-9]* bytes of WAL behind" \
  "$work/2.out" || fail "the timeout does not name the standby: $(cat "$work/2.out")"
grep -q "topo_sub" "$work/2.out" && fail "the caught-up subscriber named a laggard: $(cat "$work/2.out")"
[ "$ms" -ge 2000 ] && [ "$ms" -lt 8000 ] || fail "the 2 s wait took $ms ms"
[ "$(P -c "SELECT dbmigrate_current()")" = 2 ] || fail "the migration is not committed"
# one caught up is enough for =1; the subscriber by name; the standby by name is not
dbc migrate --wait-replicas=1 --timeout 5s >"$work/n.out" 2>&1 || fail "=1: $(cat "$work/n.out")"
dbc migrate --wait-replicas=topo_sub --timeout 5s >"$work/name.out" 2>&1 || fail "=topo_sub: $(cat "$work/name.out")"
rc=0
dbc migrate --wait-replicas=standby1,nosuch --timeout 500ms >"$work/names.out" 2>&1 || rc=$?
[ "$rc" = 4 ] || fail "=standby1,nosuch exit $rc: $(cat "$work/names.out")"
grep -q "dbcare: replica nosuch is not connected to this primary" "$work/names.out" ||
  fail "an unknown name is not said: $(cat "$work/names.out")"
grep -q "standby standby1" "$work/names.out" || fail "the paused standby is not named: $(cat "$work/names.out")"
dbc status --replicas >"$work/status2.out" 2>&1
grep -q "^standby standby1: schema 2 not visible yet, streaming, [1-9][0-9]* bytes behind" \
  "$work/status2.out" || fail "status does not show the lag: $(cat "$work/status2.out")"
# serve on the primary: readiness with replicas, their metrics
start_serve "$work/serve.log" --db "$topo_url" --dir "$mig" --min-interval 0
get "$base/readyz"
want_code 200 "readyz (replicas not asked)"
get "$base/readyz?replicas=1"
want_code 503 "readyz?replicas=1 with the standby paused"
grep -q "not ready: 1 replica(s) do not show schema 2 yet;" "$work/body" || fail "readyz: $(cat "$work/body")"
grep -q "^  standby standby1: schema 2 not visible yet, streaming, [1-9][0-9]* bytes behind, slot none$" \
  "$work/body" || fail "readyz lists no lagging standby: $(cat "$work/body")"
grep -q "^  subscriber topo_sub: schema 2 visible, streaming, 0 bytes behind, slot topo_sub$" \
  "$work/body" || fail "readyz lists no subscriber: $(cat "$work/body")"
get "$base/metrics"
want_code 200 metrics
grep -q '^dbcare_replica_lag_bytes{.*,kind="standby",replica="standby1"} [1-9][0-9]*$' "$work/body" ||
  fail "no lag of the standby: $(grep replica "$work/body")"
grep -q '^dbcare_replica_schema_visible{.*,kind="standby",replica="standby1"} 0$' "$work/body" ||
  fail "the standby is visible: $(grep replica "$work/body")"
grep -q '^dbcare_replica_schema_visible{.*,kind="subscriber",replica="topo_sub"} 1$' "$work/body" ||
  fail "the subscriber is not visible: $(grep replica "$work/body")"

# 3. a wait under way returns within one poll (100 ms) of the resume
PGAPPNAME=waiter dbc migrate --wait-replicas --timeout 60s >"$work/3.out" 2>&1 &
waiter=$!
pids+=("$waiter")
# resumed once the wait polls (its session has asked the primary about
# its replicas), not after a fixed time a loaded machine may not start it in
waiter_polled() {
  running "$waiter" || fail "the wait returned while paused: $(cat "$work/3.out")"
  [ "$(P -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'waiter'
    AND query LIKE '%pg_stat_replication%'")" = 1 ]
}
poll_until 60 0.05 waiter_polled || fail "the wait did not poll in 60 s: $(cat "$work/3.out")"
sleep 0.3 # a few polls while paused
running "$waiter" || fail "the wait returned while paused: $(cat "$work/3.out")"
S -c "SELECT pg_wal_replay_resume()" >/dev/null
t0=$(date +%s%N)
wait "$waiter" || fail "the wait failed after resume: $(cat "$work/3.out")"
ms=$(ms_since "$t0")
echo "returned $ms ms after the resume"
[ "$ms" -lt 1500 ] || fail "the wait took $ms ms after the resume"
get "$base/readyz?replicas=1"
want_code 200 "readyz?replicas=1 once the standby replayed"
# a write after the migration, not replayed yet: the standby still shows
# schema 2 (serve keeps the position it first saw version 2 at)
S -c "SELECT pg_wal_replay_pause()" >/dev/null
for _ in $(seq 1 100); do
  [ "$(S -c "SELECT pg_get_wal_replay_pause_state()")" = paused ] && break
  sleep 0.05
done
P -c "CREATE TABLE noise AS SELECT g FROM generate_series(1, 1000) g" >/dev/null
[ -z "$(S -c "SELECT to_regclass('noise')")" ] || fail "the paused standby replayed the write"
get "$base/readyz?replicas=1"
want_code 200 "readyz?replicas=1 after a write the standby has not replayed"
grep -q "^  standby standby1: schema 2 visible, streaming, [1-9][0-9]* bytes behind" "$work/body" ||
  fail "the standby's lag is not shown: $(cat "$work/body")"
# migrate --online's backfill waits while the paused standby lags more than
# --max-replica-lag (the table's WAL, unreplayed, is more than 64kB), and
# goes on once it replays again
printf 'CREATE TABLE fill (id int PRIMARY KEY);\nINSERT INTO fill SELECT generate_series(1, 3000);\n' \
  >"$mig/003_fill.sql"
echo "ALTER TABLE fill ADD COLUMN token uuid NOT NULL DEFAULT gen_random_uuid();" >"$mig/004_token.sql"
"$cli" migrate --db "$topo_url" --dir "$mig" --to 3 --quiet >"$work/fill.out" 2>&1 ||
  fail "migrate 3: $(cat "$work/fill.out")"
"$cli" migrate --db "$topo_url" --dir "$mig" --online --max-replica-lag 64kB >"$work/online.out" 2>&1 &
online=$!
pids+=("$online")
for _ in $(seq 1 100); do
  grep -q "waits for replica" "$work/online.out" && break
  sleep 0.1
done
grep -q "^dbcare: migrate --online waits for replica standby1 at [1-9][0-9]* bytes of WAL behind (--max-replica-lag 65536) before its next batch$" \
  "$work/online.out" || fail "the backfill does not wait for the standby: $(cat "$work/online.out")"
kill -0 "$online" 2>/dev/null || fail "the backfill ended while the standby was paused: $(cat "$work/online.out")"
[ "$(P -c "SELECT count(*) FROM fill WHERE token IS NULL")" = 3000 ] ||
  fail "a batch ran while the standby lagged: $(cat "$work/online.out")"
S -c "SELECT pg_wal_replay_resume()" >/dev/null
wait "$online" || fail "the backfill failed after the resume: $(cat "$work/online.out")"
grep -q "^dbcare: migrate --online: replicas within 65536 bytes after [0-9]* ms: the backfill goes on$" \
  "$work/online.out" || fail "the backfill does not say it goes on: $(cat "$work/online.out")"
grep -q "migration 4: 3000 row(s) filled in batches" "$work/online.out" ||
  fail "not filled: $(cat "$work/online.out")"
[ "$(P -c "SELECT count(*) FROM fill WHERE token IS NULL")" = 0 ] || fail "rows left unfilled"

# 4. a column added on the publisher first: the subscriber lacks it
echo "ALTER TABLE items ADD COLUMN price int;" >"$mig/005_price.sql"
rc=0
dbc migrate --wait-replicas --timeout 3s >"$work/4.out" 2>&1 || rc=$?
[ "$rc" = 4 ] || fail "exit $rc with a column missing on the subscriber: $(cat "$work/4.out")"
grep -q "dbcare: subscriber topo_sub lacks 1 column(s) of the tables it subscribes to, first public.items.price integer" \
  "$work/4.out" || fail "the missing column is not named: $(cat "$work/4.out")"
grep -q standby1 "$work/4.out" && fail "the resumed standby is named: $(cat "$work/4.out")"
dbc status --replicas >"$work/status3.out" 2>&1
grep -q "^subscriber topo_sub: lacks 1 published column(s), first public.items.price integer" \
  "$work/status3.out" || fail "status does not show the schema lag: $(cat "$work/status3.out")"
# the health report on the publisher, given the subscriber: a finding
health() { "$cli" health --db "$topo_url" --mode quick --subscriber "$topo_sub_url" "$@"; }
health >"$work/health.out" 2>&1 || fail "health: $(cat "$work/health.out")"
grep -q "^subscriber_schema  *warning  *subscriber topo_sub lacks 1 column(s) of the tables it subscribes to, first public.items.price integer" \
  "$work/health.out" || fail "health has no finding for the lagging subscriber: $(cat "$work/health.out")"
health --json >"$work/health.json" 2>&1 || fail "health --json: $(cat "$work/health.json")"
python3 - "$work/health.json" <<'PY' || fail "health --json: $(cat "$work/health.json")"
import json, sys
rep = json.load(open(sys.argv[1]))
rows = [c for c in rep["checks"] if c["name"] == "subscriber_schema"]
assert len(rows) == 1 and rows[0]["status"] == "warning", rows
assert "order of changes" in rows[0]["hint"], rows
assert rep["worst_check"] in ("warning", "critical"), rep["worst_check"]
PY
rc=0
health --fail-on warning >"$work/health_fail.out" 2>&1 || rc=$?
[ "$rc" = 3 ] || fail "health --fail-on warning with a lagging subscriber: exit $rc"
# serve given the subscriber: it shows no schema there, readiness waits
base1=$base serve1=$serve_pid
start_serve "$work/serve2.log" --db "$topo_url" --dir "$mig" --min-interval 0 --subscriber "$topo_sub_url"
get "$base/readyz?replicas=1"
want_code 503 "readyz?replicas=1 with the subscriber lacking a column"
grep -q "^  subscriber topo_sub: lacks 1 published column(s), first public.items.price integer, streaming, " \
  "$work/body" || fail "readyz does not show the subscriber's lag: $(cat "$work/body")"
get "$base/metrics"
grep -q '^dbcare_replica_schema_visible{.*,kind="subscriber",replica="topo_sub"} 0$' "$work/body" ||
  fail "the lagging subscriber is visible: $(grep replica "$work/body")"
stop_serve
base=$base1 serve_pid=$serve1
# without --subscriber the schema is not compared: only positions
"$cli" migrate --db "$topo_url" --dir "$mig" --wait-replicas --timeout 5s >"$work/nosub.out" 2>&1 ||
  fail "without --subscriber: $(cat "$work/nosub.out")"
Q -c "ALTER TABLE items ADD COLUMN price int" >/dev/null
dbc migrate --wait-replicas --timeout 5s >"$work/5.out" 2>&1 || fail "after the subscriber: $(cat "$work/5.out")"
health >"$work/health2.out" 2>&1 || fail "health: $(cat "$work/health2.out")"
grep -q "subscriber_schema" "$work/health2.out" && fail "a finding once the subscriber has the column: $(cat "$work/health2.out")"
P -c "INSERT INTO items VALUES (2, 'two', 20)" >/dev/null
for _ in $(seq 1 100); do
  [ "$(Q -c "SELECT price FROM items WHERE id = 2")" = 20 ] && break
  sleep 0.1
done
[ "$(Q -c "SELECT price FROM items WHERE id = 2")" = 20 ] || fail "replication broke"

# 5. at most 16 replicas a database are listed and exported (22 here:
# 20 physical slots no standby holds, disconnected standbys), the rest counted
echo "max_replication_slots = 30" >>"$topo/primary/postgresql.auto.conf"
"${AS_PG[@]}" "$B/pg_ctl" -D "$topo/primary" -w -t 60 restart -l "$topo/primary.log" >/dev/null ||
  fail "the primary did not restart"
for _ in $(seq 1 300); do # the standby and the subscriber connect again
  [ "$(P -c "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")" = 2 ] && break
  sleep 0.1
done
[ "$(P -c "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'")" = 2 ] ||
  fail "the replicas did not come back: $(P -c "SELECT * FROM pg_stat_replication")"
P -c "SELECT count(pg_create_physical_replication_slot('cap_' || i)) FROM generate_series(1, 20) i" >/dev/null
get "$base/readyz?replicas=1"
want_code 503 "readyz?replicas=1 with disconnected slots"
[ "$(grep -c '^  \(standby\|subscriber\) ' "$work/body")" = 16 ] || fail "not 16 replicas listed: $(cat "$work/body")"
grep -q "^  and 6 more replica(s), not listed$" "$work/body" || fail "the rest not counted: $(cat "$work/body")"
get "$base/metrics"
[ "$(grep -c '^dbcare_replica_schema_visible{' "$work/body")" = 16 ] || fail "not 16 series: $(grep replica "$work/body")"
stop_serve

# 6. the lint names the order: a column added to a published table (the
# publisher's migration), one dropped from a subscribed table (the subscriber's)
echo "ALTER TABLE items ADD COLUMN weight int;" >"$mig/006_weight.sql"
rc=0
"$cli" lint --db "$topo_url" --dir "$mig" --fail-on warning >"$work/lint.out" 2>&1 || rc=$?
[ "$rc" = 3 ] || fail "lint on the publisher: exit $rc: $(cat "$work/lint.out")"
grep -q "add-column-published" "$work/lint.out" || fail "no add-column-published: $(cat "$work/lint.out")"
grep -q "ADD COLUMN weight on .*items, which publication topo_pub publishes" "$work/lint.out" ||
  fail "the publication is not named: $(cat "$work/lint.out")"
grep -q "the order is subscriber first, publisher second" "$work/lint.out" ||
  fail "the order is not named: $(cat "$work/lint.out")"
rm "$mig/006_weight.sql"
Q -c "SET client_min_messages = warning" -c "CREATE EXTENSION dbcare" >/dev/null
mkdir -p "$work/submig"
echo "ALTER TABLE items DROP COLUMN note;" >"$work/submig/001_drop_note.sql"
echo "ALTER TABLE items ADD COLUMN weight int;" >"$work/submig/002_weight.sql"
rc=0
"$cli" lint --db "$topo_sub_url" --dir "$work/submig" --fail-on warning >"$work/sublint.out" 2>&1 || rc=$?
[ "$rc" = 3 ] || fail "lint on the subscriber: exit $rc: $(cat "$work/sublint.out")"
grep -q "DROP COLUMN note of .*items, which subscription topo_sub replicates into" "$work/sublint.out" ||
  fail "the subscription is not named: $(cat "$work/sublint.out")"
grep -q "the order is publisher first, subscriber second" "$work/sublint.out" ||
  fail "the order is not named: $(cat "$work/sublint.out")"
# adding on the subscriber first is the right order: not warned
grep -q "add-column-published" "$work/sublint.out" && fail "the subscriber's ADD COLUMN is warned"

# 7. refused: a password on argv, SQLite
rc=0
"$cli" migrate --db "$topo_url" --dir "$mig" --wait-replicas \
  --subscriber "postgresql://postgres:s3cret@/app?host=$topo/sock" >"$work/pw.out" 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "a password in --subscriber: exit $rc"
grep -q "carries a password: put it in ~/.pgpass" "$work/pw.out" || fail "no remedy: $(cat "$work/pw.out")"
grep -q s3cret "$work/pw.out" && fail "the password is shown"
rc=0
"$cli" migrate --db "$work/x.db" --dir "$mig" --wait-replicas >"$work/sqlite.out" 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "SQLite: exit $rc: $(cat "$work/sqlite.out")"
grep -q "has no replicas to wait for" "$work/sqlite.out" || fail "SQLite: $(cat "$work/sqlite.out")"
sqlite3 "$work/y.db" "CREATE TABLE t (x)"
rc=0
"$cli" health --db "$work/y.db" --subscriber "$topo_sub_url" >"$work/sqlite_health.out" 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "SQLite health --subscriber: exit $rc: $(cat "$work/sqlite_health.out")"
grep -q "has no subscribers to compare: --subscriber is PostgreSQL's" "$work/sqlite_health.out" ||
  fail "SQLite health --subscriber: $(cat "$work/sqlite_health.out")"
rc=0
"$cli" migrate --db "$topo_url" --dir "$mig" --wait-replicas=0 >"$work/zero.out" 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "--wait-replicas=0: exit $rc"
echo "pg_wait_replicas: ok"
