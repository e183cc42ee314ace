#!/usr/bin/env bash
# `dbcare migrate` on a SQLite file that does not exist yet removes the file
# it created when the run fails (docs/cli.md: "a mistyped --db leaves
# nothing that a later health check could call healthy"); stopped by
# SIGINT, SIGTERM or SIGHUP it does the same, saying so. It once ended of
# the signal with the file and its journal left, which the next open
# rolled back into an empty file. A file that was there before the run
# stays, whatever stops it.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/built_cli.sh"
cd "$work"
unset DATABASE_URL
export DBCARE_MODULE="$module"
mkdir migrations
printf '%s\n' 'CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB);' \
  'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000)' 'INSERT INTO t (v) SELECT randomblob(200) FROM c;' > migrations/V1__big.sql
stopped=0
for sig in INT TERM HUP; do
  rm -f new.db*
  env --default-signal "$cli" migrate --db sqlite:new.db >out 2>err &
  pid=$!
  signal_when 'new.db-journal' "$sig" "$pid"
  set +e; wait "$pid"; rc=$?; set -e
  [ "$rc" != 0 ] || { [ "$(sqlite3 new.db "SELECT count(*) FROM t")" = 2000000 ] || fail "SIG$sig: exit 0, not whole"; continue; }
  [ "$signalled" = 1 ] || fail "SIG$sig: exit $rc with no signal sent: $(cat err)"
  stopped=$((stopped + 1))
  left=$(ls | grep '^new\.db' || true)
  [ -z "$left" ] || fail "SIG$sig (exit $rc) left: $left ($(cat err))"
  grep -q '^dbcare: interrupted; removed new.db, which this run created$' err || fail "SIG$sig: not said: $(cat err)"
done
[ "$stopped" -ge 2 ] || fail "only $stopped runs were stopped before they ended (test premise)"
# a file that was there: kept, whatever stops the run
sqlite3 old.db "CREATE TABLE keep (x); INSERT INTO keep VALUES (1)"
env --default-signal "$cli" migrate --db sqlite:old.db >out 2>err &
pid=$!
signal_when 'old.db-journal' INT "$pid"
set +e; wait "$pid"; set -e
[ "$(sqlite3 old.db "SELECT count(*) FROM keep")" = 1 ] || fail "a file there before the run was removed"
echo "ok: $stopped stopped runs removed the file they created; one there before stays"
