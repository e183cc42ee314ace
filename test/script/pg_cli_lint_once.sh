#!/usr/bin/env bash
# `dbcare migrate` says each lint notice once: it plans the pending
# migrations, then applies each part between two no-transaction ones, and
# the lint speaks at each (a warning was printed three times).
set -eu
db=dbcare_cli_lint_once
. "$(dirname "$0")/lib/pg.sh"
fresh_db
. "$(dirname "$0")/lib/cli.sh"
url="postgresql://$PGUSER@/$db?host=$PGHOST&port=$PGPORT"
mkdir m
echo "CREATE TABLE t (a int, b int); INSERT INTO t SELECT g, g FROM generate_series(1, 100) g;" >m/V1__t.sql
run 0 migrate --db "$url" -d m
echo "ALTER TABLE t RENAME COLUMN b TO c;" >m/V2__r.sql
printf -- "-- dbcare:no-transaction\nCREATE INDEX CONCURRENTLY t_a ON t (a);\n" >m/V3__i.sql
echo "CREATE TABLE u (x int);" >m/V4__u.sql
run 0 migrate --db "$url" -d m
has "3 migration(s) applied" out
[ "$(grep -c "lint warning rename-column in migration 2" err)" = 1 ] ||
  fail "the lint notice was not said once: $(cat err)"
[ "$(grep -c "lint warning lock-timeout in migration 2" err)" = 1 ] ||
  fail "the lock-timeout notice was not said once: $(cat err)"
echo ok
