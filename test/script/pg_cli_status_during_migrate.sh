#!/usr/bin/env bash
# dbcare status while a dbcare migrate runs in another session (PostgreSQL):
# it answers at once, saying a migration is running, instead of waiting
# for the run to end (it registers the folder's files, which the running
# migrate holds). The migration is held at a gate (a table another
# session keeps locked) until status has answered, so "still running when
# status answered" is an event, not a race with a sleep: a status that
# waited for the run would wait until the gate opened, and then see it over.
set -eu
db=dbcare_cli_status_running
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/cli.sh"
url="postgresql://$PGUSER@/$db?host=$PGHOST&port=$PGPORT"
fresh_db
mkdir "$work/migrations"
printf 'CREATE TABLE t (id int PRIMARY KEY);\n' >"$work/migrations/V1__t.sql"
printf 'SELECT count(*) FROM gate;\n' >"$work/migrations/V2__slow.sql"
q -c "CREATE TABLE gate ()"
PGAPPNAME=gate "$B/psql" -X -q -d "$db" -c "BEGIN" -c "LOCK TABLE gate" -c "SELECT pg_sleep(60)" >/dev/null 2>&1 &
pids+=($!)
gate_locked() { [ "$(q -c "SELECT count(*) FROM pg_locks WHERE relation = 'gate'::regclass AND granted")" = 1 ]; }
for _ in $(seq 1 600); do gate_locked && break; sleep 0.05; done
gate_locked || fail "the gate was not locked in 30 s"
cd "$work"
"$cli" migrate --db "$url" >"$work/migrate.out" 2>&1 &
runner=$!; pids+=("$runner")
for _ in $(seq 1 200); do
  [ "$(q -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")" != 0 ] && break
  sleep 0.05
done
start=$(date +%s%3N)
set +e
"$cli" status --db "$url" >"$work/status.out" 2>"$work/status.err"; rc=$?
set -e
took=$(($(date +%s%3N) - start))
running=$(q -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")
[ "$running" != 0 ] || fail "status waited $took ms, until the migration ended"
[ "$rc" = 0 ] || fail "status exit $rc: $(cat "$work/status.out" "$work/status.err")"
grep -q "dbcare: a migration is running in another session" "$work/status.err" ||
  fail "status does not say a migration is running: $(cat "$work/status.out" "$work/status.err")"
grep -q "^version  *name" "$work/status.out" || fail "status printed no list: $(cat "$work/status.out")"
q -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'gate'" >/dev/null
wait "$runner" || fail "migrate: $(cat "$work/migrate.out")"
# with the run over, status compares the files again, silently
"$cli" status --db "$url" >"$work/status.out" 2>"$work/status.err" || fail "status after: $(cat "$work/status.err")"
! grep -q "running" "$work/status.err" || fail "status after the run: $(cat "$work/status.err")"
cat "$work/status.out" "$work/status.err" | grep -q "^2 *slow *versioned *applied" || fail "status after the run: $(cat "$work/status.out")"
echo "ok: status answered in $took ms during a migration"
