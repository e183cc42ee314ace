#!/usr/bin/env bash
# A failover while dbcare migrate runs (issue 68 item 5, docs/topology.md
# "A failover during a migration"): migrate through a multi-host URL with
# target_session_attrs=read-write; while its migration runs on the
# primary, the primary is stopped at once (-m immediate, a crash) and the
# standby promoted. migrate connects again, finds the new primary among
# the URL's hosts and applies the migration there: exactly once in the
# history that survives (the old primary never committed it), never half.
set -eu
db=dbcare_migrate_failover
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/topology.sh"
cli="$(cd "$(dirname "$0")/../.." && pwd)/build/cli/dbcare"
mig=$work/migrations
mkdir -p "$mig"
url="postgresql:///app?host=$topo/sock,$topo/sock&port=$topo_port,$topo_sb_port&user=postgres"
url="$url&target_session_attrs=read-write"

echo "CREATE TABLE a (id int);" >"$mig/001_a.sql"
"$cli" migrate --db "$url" --dir "$mig" >"$work/1.out" 2>&1 || fail "migrate 1: $(cat "$work/1.out")"
topo_caught_up
# the second migration runs for seconds after its first statement, on
# the first primary only (the server's port says which): the run again on
# the promoted standby, the same file, commits at once
printf "CREATE TABLE b (id int);\nINSERT INTO b VALUES (2);\nSELECT pg_sleep(CASE current_setting('port') WHEN '%s' THEN 3 ELSE 0 END);\n" \
  "$topo_port" >"$mig/002_b.sql"
"$cli" migrate --db "$url" --dir "$mig" --timeout 60s >"$work/2.out" 2>&1 &
runner=$!
pids+=("$runner")
for _ in $(seq 1 200); do
  [ "$(P -c "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep'")" = 1 ] && break
  sleep 0.05
done
[ "$(P -c "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep'")" = 1 ] ||
  fail "the migration is not running: $(cat "$work/2.out")"
# the failover: the primary crashes, the standby is promoted
"${AS_PG[@]}" "$B/pg_ctl" -D "$topo/primary" -m immediate -w -t 60 stop >/dev/null
"${AS_PG[@]}" "$B/pg_ctl" -D "$topo/standby" -w -t 60 promote >/dev/null || fail "the promote failed"
rc=0
wait "$runner" || rc=$?
[ "$rc" = 0 ] || fail "migrate exit $rc after the failover: $(cat "$work/2.out")"
grep -q "dbcare: the connection to .* was lost: connecting again" "$work/2.out" ||
  fail "the reconnect is not said: $(cat "$work/2.out")"
grep -q "1 migration(s) applied" "$work/2.out" || fail "not applied after the failover: $(cat "$work/2.out")"
# on the new primary: applied once, whole
[ "$(S -c "SELECT pg_is_in_recovery()")" = f ] || fail "the standby was not promoted"
[ "$(S -c "SELECT dbmigrate_current()")" = 2 ] || fail "version $(S -c "SELECT dbmigrate_current()")"
[ "$(S -c "SELECT count(*) FROM dbmigrate_history() WHERE version = '2' AND success")" = 1 ] ||
  fail "version 2 applied $(S -c "SELECT count(*) FROM dbmigrate_history() WHERE version = '2' AND success") times"
[ "$(S -c "SELECT count(*) FROM b")" = 1 ] || fail "table b holds $(S -c "SELECT count(*) FROM b") rows"
[ "$(S -c "SELECT count(*) FROM dbmigrate_status() WHERE state <> 'applied'")" = 0 ] ||
  fail "not all applied: $(S -c "SELECT version, state FROM dbmigrate_status()")"
# once more: nothing pending, nothing applied twice
"$cli" migrate --db "$url" --dir "$mig" >"$work/3.out" 2>&1 || fail "migrate 3: $(cat "$work/3.out")"
grep -q "0 migration(s) applied" "$work/3.out" || fail "applied again: $(cat "$work/3.out")"
# a SQL error is not a lost connection: no second run
echo "SELECT no_such_function();" >"$mig/003_bad.sql"
rc=0
"$cli" migrate --db "$url" --dir "$mig" --timeout 2s >"$work/4.out" 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "a failing migration: exit $rc"
grep -q "connecting again" "$work/4.out" && fail "a SQL error reconnected: $(cat "$work/4.out")"
echo "pg_migrate_failover: ok"
