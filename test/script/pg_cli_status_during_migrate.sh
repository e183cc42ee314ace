#!/usr/bin/env bash
# dbcare status while a dbcare migrate runs in another session (PostgreSQL):
# it answers at once, saying a migration is running, instead of waiting
# for the run to end (it registers the folder's files, which the running
# migrate holds).
set -eu
db=dbcare_cli_status_running
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/cli.sh"
url="postgresql://$PGUSER@/$db?host=$PGHOST&port=$PGPORT"
fresh_db
mkdir "$work/migrations"
printf 'CREATE TABLE t (id int PRIMARY KEY);\n' >"$work/migrations/V1__t.sql"
printf 'SELECT pg_sleep(5);\n' >"$work/migrations/V2__slow.sql"
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
[ "$took" -lt 2500 ] || fail "status waited $took ms for the running migration"
[ "$running" != 0 ] || fail "the migration ended before status did: the test saw nothing"
[ "$rc" = 0 ] || fail "status exit $rc: $(cat "$work/status.out" "$work/status.err")"
grep -q "dbcare: a migration is running in another session" "$work/status.err" ||
  fail "status does not say a migration is running: $(cat "$work/status.out" "$work/status.err")"
grep -q "^version  *name" "$work/status.out" || fail "status printed no list: $(cat "$work/status.out")"
wait "$runner" || fail "migrate: $(cat "$work/migrate.out")"
# with the run over, status compares the files again, silently
"$cli" status --db "$url" >"$work/status.out" 2>"$work/status.err" || fail "status after: $(cat "$work/status.err")"
! grep -q "running" "$work/status.err" || fail "status after the run: $(cat "$work/status.err")"
cat "$work/status.out" "$work/status.err" | grep -q "^2 *slow *versioned *applied" || fail "status after the run: $(cat "$work/status.out")"
echo "ok: status answered in $took ms during a migration"
