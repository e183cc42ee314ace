#!/usr/bin/env bash
# A `dbcare backup` killed outright (kill -9) takes its pg_dump with it:
# the child ends when the command dies, instead of running on, reparented,
# writing a dump no one records (the same holds for pg_restore: one
# place starts every tool). pg_dump is held on a lock the test takes, so
# it is surely running when the command is killed.
set -eu
db=dbcare_backup_kill_child
. "$(dirname "$0")/lib/pg.sh"
fresh_db
. "$(dirname "$0")/lib/cli.sh"
q -c "CREATE TABLE t (id int PRIMARY KEY)" -c "INSERT INTO t SELECT generate_series(1, 100)" >/dev/null
# the lock pg_dump waits for, held by a session of the test's: on a
# configuration table of dbcare's, whose rows pg_dump dumps and the
# backup's own content read leaves out
long_lived_session
s "BEGIN; LOCK TABLE dbcare.audit_tables IN ACCESS EXCLUSIVE MODE;" >/dev/null
url="postgresql://$PGUSER@/$db?host=$PGHOST&port=$PGPORT"
"$cli" backup "$work/held.dump" --db "$url" >"$work/backup.out" 2>"$work/backup.err" &
pid=$!
pids+=("$pid")
waiting() {
  [ "$(q -c "SELECT count(*) FROM pg_stat_activity WHERE datname = '$db' AND application_name = 'pg_dump' AND wait_event_type = 'Lock'")" = 1 ]
}
poll_until 60 0.1 waiting || fail "pg_dump never waited on the lock: $(running $pid && echo running) $(cat "$work/backup.out" "$work/backup.err") $(q -c "SELECT application_name, state, wait_event_type, wait_event, left(query, 60) FROM pg_stat_activity WHERE datname = '$db'")"
dump=$(pgrep -P "$pid" -x pg_dump) || fail "no pg_dump child of dbcare"
kill -9 "$pid"
gone() { ! running "$dump"; }
poll_until 30 0.1 gone || fail "pg_dump ($dump) runs on after dbcare was killed"
s "ROLLBACK;" >/dev/null
echo ok
