#!/usr/bin/env bash
# A migration running outside a transaction is told from one that died
# (docs/migrations.md, "Migrations outside a transaction"), the reviewer's
# sequence: dbcare migrate --commit-each runs a -- dbcare:no-transaction
# migration (pg_sleep, then CREATE INDEX CONCURRENTLY) in the background;
# while it runs, a second migrate --commit-each and dbmigrate_apply refuse
# with "is running now in another session: wait for it", dbmigrate_repair
# refuses to remove its record, dbmigrate_assert's hint names it,
# dbmigrate_status and dbmigrate_validate say "running"; the first run then
# applies it once. A run whose backend is terminated inside the step leaves
# a record that did not finish, which repair removes. Before the fix the
# running step was "did not finish in an earlier dbmigrate_script run" and
# repair removed its record, so a third run ran the migration beside it.
# A plain LOGIN role that holds the advisory keys of the old mark ("dbst",
# the event's id) cannot make the dead step read as running (issue 64):
# before the fix apply and repair refused and health said warning for as
# long as that role held them.
set -eu
db=dbcare_step_live
. "$(dirname "$0")/lib/pg.sh"
py=/usr/bin/python3
. "$(dirname "$0")/lib/cli.sh"
url="postgresql:///$db?host=$PGHOST&port=$PGPORT"
fresh_db
mkdir "$work/m"
printf 'CREATE TABLE a (id int PRIMARY KEY, v text);\n' > "$work/m/V1__a.sql"
run 0 migrate --db "$url" --dir "$work/m"
printf -- '-- dbcare:no-transaction\nSELECT pg_sleep(4);\nCREATE INDEX CONCURRENTLY a_id2 ON a (id, v);\n' \
  > "$work/m/V2__idx3.sql"

# wait_started: until the step's started record is visible
wait_started() {
  for _ in $(seq 1 100); do
    [ "$(q -c "SELECT count(*) FROM dbmigrate_history() WHERE NOT success")" = 1 ] && return 0
    sleep 0.05
  done
  fail "the step never started: $(cat "$work/a.err")"
}
# fails_with SQL TEXT: SQL fails and its error contains TEXT
fails_with() {
  if q -c "$1" > "$work/q.out" 2>&1; then fail "$1 succeeded: $(cat "$work/q.out")"; fi
  grep -qF -- "$2" "$work/q.out" || fail "$1: want \"$2\", got: $(cat "$work/q.out")"
}

"$cli" migrate --commit-each --db "$url" --dir "$work/m" > "$work/a.out" 2> "$work/a.err" &
a=$!
pids+=("$a")
wait_started
running='migration 2 (idx3) is running now in another session: wait for it'
run 1 migrate --commit-each --db "$url" --dir "$work/m"
has "cannot migrate: $running" err
fails_with "SELECT dbmigrate_apply()" "cannot migrate: $running"
fails_with "SELECT dbmigrate_repair()" "cannot repair: $running"
fails_with "SELECT dbmigrate_assert('2')" "HINT:  Migration 2 (idx3) is running now in another session"
[ "$(q -c "SELECT state FROM dbmigrate_status() WHERE version = '2'")" = running ] ||
  fail "status: $(q -c 'SELECT * FROM dbmigrate_status()')"
[ "$(q -c "SELECT problem FROM dbmigrate_validate()")" = running ] || fail "validate"
run 0 status --db "$url" --dir "$work/m"
has running out
# health: the running step is no failure (before the fix: "1 failed",
# critical)
health=$(q -c "SELECT c->>'status' || '|' || (c->>'message') || '|' || (c->>'hint')
                 FROM jsonb_array_elements(dbhealth_report('quick')->'checks') c
                WHERE c->>'name' = 'migrations'")
case "$health" in
  "warning|1 pending, 0 changed, 0 missing, 0 failed, 1 running; at version 1|Migration 2 (idx3) is running now in another session"*) ;;
  *) fail "health of a running step: $health" ;;
esac
[ "$(q -c "SELECT dbhealth_report('quick')->>'status'")" != critical ] || fail "health critical"
wait "$a" || fail "the first run failed: $(cat "$work/a.out" "$work/a.err")"
grep -qF '1 migration(s) applied' "$work/a.out" || fail "first run: $(cat "$work/a.out")"
[ "$(q -c "SELECT state FROM dbmigrate_status() WHERE version = '2'")" = applied ] || fail "not applied"
q -c "SELECT dbmigrate_assert('2')" >/dev/null || fail "assert after the step"
# the session let its mark go
[ "$(q -c "SELECT count(*) FROM pg_locks WHERE objsubid = 2 AND classid = 1684173684")" = 0 ] ||
  fail "a mark outlived its step"

# a run whose backend is terminated inside the step: its record did not
# finish, and repair removes it
printf -- '-- dbcare:no-transaction\nSELECT pg_sleep(60);\n' > "$work/m/V3__slow.sql"
"$cli" migrate --commit-each --db "$url" --dir "$work/m" > "$work/a.out" 2> "$work/a.err" &
a=$!
pids+=("$a")
wait_started
q -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
      WHERE datname = current_database() AND query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()" >/dev/null
wait "$a" && fail "the terminated run succeeded"
# the attacker: a role with LOGIN and no grant holds the step's old mark
faker=dbc_step_faker
q -c "SET client_min_messages = warning" -c "DROP ROLE IF EXISTS $faker" -c "CREATE ROLE $faker LOGIN" >/dev/null
id=$(q -c "SELECT id FROM dbmigrate_history() WHERE NOT success")
"$B/psql" -X -q -At -U "$faker" -d "$db" -c "SELECT pg_advisory_lock(1684173684, $id)" \
  -c "SELECT pg_sleep(60)" > /dev/null 2>&1 &
pids+=("$!")
for _ in $(seq 1 100); do
  [ "$(q -c "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity s USING (pid)
             WHERE s.usename = '$faker' AND l.locktype = 'advisory' AND l.granted")" = 1 ] && break
  sleep 0.05
done
[ "$(q -c "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity s USING (pid)
           WHERE s.usename = '$faker' AND l.locktype = 'advisory' AND l.granted")" = 1 ] ||
  fail "the attacker's lock was never taken"
fails_with "SELECT dbmigrate_apply()" "migration 3 (slow) did not finish in an earlier dbmigrate_script run"
[ "$(q -c "SELECT problem FROM dbmigrate_validate()")" = failed ] || fail "validate after the kill"
[ "$(q -c "SELECT dbhealth_report('quick')->>'status'")" = critical ] ||
  fail "health of a dead step under a faked mark: $(q -c "SELECT dbhealth_report('quick')")"
[ "$(q -c "SELECT dbmigrate_repair()")" = 1 ] || fail "repair of the dead step"
q -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '$faker'" >/dev/null
for _ in $(seq 1 100); do
  [ "$(q -c "SELECT count(*) FROM pg_stat_activity WHERE usename = '$faker'")" = 0 ] && break
  sleep 0.05
done
q -c "DROP ROLE $faker" >/dev/null
echo ok
