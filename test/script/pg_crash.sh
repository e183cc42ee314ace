#!/usr/bin/env bash
# Crash consistency: the backend running dbmigrate_apply is killed with
# SIGKILL after the migration's DDL and while it sleeps. The postmaster
# recovers; then the DDL is absent, the migration is pending, the history has
# no entry for it, and a fresh apply works. The script waits until the cluster
# accepts queries again, so the tests after it find it healthy.
set -eu
db=dbcare_crash
. "$(dirname "$0")/lib/pg.sh"
victim=

# the backend belongs to the owner of the cluster (postgres when we are root)
owner=$(stat -c %U "$PGHOST/.s.PGSQL.$PGPORT")
as_owner=()
[ "$(id -un)" = "$owner" ] || [ "$(id -u)" != 0 ] || as_owner=(runuser -u "$owner" --)

# With synchronous_commit = off a crash loses commits still in the WAL
# buffers: whatever the cluster says, the setup is durable before the kill.
export PGOPTIONS="${PGOPTIONS:-} -c synchronous_commit=on"

"$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" 2>/dev/null
"$B/psql" -X -q -d postgres -c "CREATE DATABASE $db"
q -c "SET client_min_messages = warning" -c "CREATE EXTENSION dbcare" \
  -c "SELECT dbmigrate_add('1', 'one', 'CREATE TABLE one (a int)')" -c "SELECT dbmigrate_apply()" \
  -c "SELECT dbmigrate_add('2', 'slow', 'CREATE TABLE crashed (a int); INSERT INTO crashed SELECT generate_series(1, 1000); SELECT pg_sleep(60)')" \
  >/dev/null
history() { q -c "SELECT string_agg(id || ':' || coalesce(version, '') || ':' || direction || ':' || success, ',' ORDER BY id) FROM dbmigrate_history()"; }
hist_before=$(history)
fp_before=$(q -c "SELECT dbschema_fingerprint()")

PGAPPNAME=dbcare_crash_victim "$B/psql" -X -q -At -d $db -c "SELECT dbmigrate_apply()" >"$work/victim.out" 2>&1 &
victim=$!
pids+=("$victim")

# the victim's backend, once it sleeps (the DDL before the sleep has run)
pid=
for _ in $(seq 1 200); do
  pid=$(q -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'dbcare_crash_victim'
                 AND datname = current_database() AND wait_event = 'PgSleep'")
  [ -n "$pid" ] && break
  sleep 0.05
done
[ -n "$pid" ] || fail "the apply never reached its sleep: $(cat "$work/victim.out")"
[ "$(q -c "SELECT count(*) FROM pg_locks WHERE pid = $pid AND locktype = 'relation' AND mode = 'AccessExclusiveLock'")" -gt 0 ] ||
  fail "the victim holds no lock from its DDL"

"${as_owner[@]}" kill -9 "$pid"
wait "$victim" && fail "the victim's apply succeeded: $(cat "$work/victim.out")"
victim=

# the postmaster reinitialises after a backend crash: wait for it
for _ in $(seq 1 600); do
  if "$B/pg_isready" -q && q -c "SELECT 1" >/dev/null 2>&1; then break; fi
  sleep 0.1
done
[ "$(q -c "SELECT 1" 2>&1)" = 1 ] || fail "the cluster did not come back"
echo "killed backend $pid; the cluster recovered"

[ "$(q -c "SELECT to_regclass('public.crashed') IS NULL")" = t ] || fail "the migration's table survived the crash"
[ "$(q -c "SELECT state FROM dbmigrate_status() WHERE version = '2'")" = pending ] || fail "migration 2 is not pending: $(q -c "SELECT * FROM dbmigrate_status()")"
[ "$(q -c "SELECT state FROM dbmigrate_status() WHERE version = '1'")" = applied ] || fail "migration 1 is not applied"
[ "$(history)" = "$hist_before" ] || fail "the history changed: $(history) (was $hist_before)"
[ "$(q -c "SELECT count(*) FROM dbmigrate_history() WHERE version = '2'")" = 0 ] || fail "history has an entry for 2"
[ "$(q -c "SELECT dbschema_fingerprint()")" = "$fp_before" ] || fail "the schema fingerprint changed"
[ "$(q -c "SELECT count(*) FROM dbmigrate_validate()")" = 0 ] || fail "validate: $(q -c "SELECT * FROM dbmigrate_validate()")"
[ "$(q -c "SELECT dbmigrate_current()")" = 1 ] || fail "current is not 1"

# a fresh apply of the repaired migration works
q -c "SELECT dbmigrate_add('2', 'fast', 'CREATE TABLE crashed (a int); INSERT INTO crashed SELECT generate_series(1, 1000)')" >/dev/null
[ "$(q -c "SELECT dbmigrate_apply()")" = 1 ] || fail "the fresh apply"
[ "$(q -c "SELECT count(*) FROM crashed")" = 1000 ] || fail "the fresh apply's table"
[ "$(q -c "SELECT dbmigrate_current()")" = 2 ] || fail "current is not 2"
echo "ok: after SIGKILL mid-apply schema and history agree, the migration was pending and applies afresh"
