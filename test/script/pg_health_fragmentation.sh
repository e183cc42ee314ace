#!/usr/bin/env bash
# fragmentation names no table without dead tuples: not in the ok message's
# "highest", and when one table is fragmented, only that one.
set -eu
db=dbcare_health_fragmentation
. "$(dirname "$0")/lib/pg.sh"
fresh_db

q -c "CREATE TABLE clean (id int PRIMARY KEY, v text) WITH (autovacuum_enabled = false)" \
  -c "INSERT INTO clean SELECT i, 'v' || i FROM generate_series(1, 5000) i" \
  -c "SELECT pg_stat_force_next_flush()" >/dev/null # the session's statistics in the shared ones when psql returns
msg=$(q -c "SELECT status || ' | ' || message FROM dbhealth_checks('quick') WHERE name = 'fragmentation'")
echo "$msg"
[ "$msg" = "ok | no fragmented table" ] || fail "a table without dead tuples is named: $msg"
echo "ok: a table without dead tuples is not named"

q -c "CREATE TABLE churn (id int PRIMARY KEY, v text) WITH (autovacuum_enabled = false)" \
  -c "INSERT INTO churn SELECT i, 'v' || i FROM generate_series(1, 3000) i" \
  -c "DELETE FROM churn WHERE id > 1000" -c "SELECT pg_stat_force_next_flush()" >/dev/null
msg=$(q -c "SELECT status || ' | ' || message FROM dbhealth_checks('quick') WHERE name = 'fragmentation'")
echo "$msg"
case "$msg" in "critical | 1 fragmented table, worst 66.67%: public.churn (2000 dead of 3000 tuples)") ;;
  *) fail "fragmentation: $msg" ;; esac
echo "ok: only the fragmented table is named"
