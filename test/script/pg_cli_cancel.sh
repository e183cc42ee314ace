#!/usr/bin/env bash
# SIGTERM (or Ctrl-C) to dbcare while a migration runs on PostgreSQL: the
# statement is cancelled on the server, the transaction rolled back and its
# locks released at once, and dbcare ends by that signal. Before, dbcare
# died alone and the server went on running the migration with its
# ACCESS EXCLUSIVE lock held until it next wrote to the closed socket.
set -eu
db=dbcare_cli_cancel
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/cli.sh"
py=/usr/bin/python3
url="postgresql://$PGUSER@/$db?host=$PGHOST&port=$PGPORT"

fresh_db
q -c "CREATE TABLE accounts (id int PRIMARY KEY)"
mkdir m
printf '%s\n' 'ALTER TABLE accounts ADD COLUMN email text;' 'SELECT pg_sleep(30);' >m/V1__slow.sql

"$cli" migrate --db "$url" --dir m >out 2>err &
pid=$!
pids+=($pid)
# until the migration sleeps, holding its lock on accounts
for _ in $(seq 1 100); do
  [ "$(q -c "SELECT count(*) FROM pg_stat_activity WHERE datname = '$db' AND wait_event = 'PgSleep'")" = 1 ] && break
  sleep 0.1
done
[ "$(q -c "SELECT count(*) FROM pg_stat_activity WHERE datname = '$db' AND wait_event = 'PgSleep'")" = 1 ] ||
  fail "the migration never started: $(cat err)"
kill -TERM "$pid"
set +e
wait "$pid"
rc=$?
set -e
[ "$rc" = 143 ] || { cat err; fail "dbcare after SIGTERM: exit $rc, want 143 (ended by SIGTERM)"; }
grep -qF 'dbcare: canceling statement due to user request' err || fail "no cancel message: $(cat err)"
# the lock is free right away (the sleep had 30 s left) and nothing stayed
[ "$(q -c "SET lock_timeout = '3s'" -c "SELECT count(*) FROM accounts")" = 0 ] ||
  fail "accounts still locked after dbcare ended"
[ "$(q -c "SELECT count(*) FROM information_schema.columns WHERE table_name = 'accounts' AND column_name = 'email'")" = 0 ] ||
  fail "the cancelled migration was kept"
[ "$(q -c "SELECT count(*) FROM dbmigrate_status() WHERE state = 'applied'")" = 0 ] ||
  fail "the cancelled migration is recorded as applied"
echo ok
