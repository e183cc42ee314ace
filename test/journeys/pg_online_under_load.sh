#!/usr/bin/env bash
# dbcare migrate --online under load (issue 70): 8 pgbench writers, 400
# transactions a second in all (rounds of 3 s until the migration has
# ended, so a slow machine only lengthens it; the rate bounds the CPU they
# take from the rest of the suite, make bench studies the highest steady
# rate) update
# and insert rows of a 100,000-row table while an online migration builds
# an index, adds a foreign key and a NOT NULL column with a volatile
# default on it. The writers see no error (pgbench: every transaction
# committed, none failed), and none of them waits on a lock for as long as
# the server logs it (log_lock_waits with deadlock_timeout at twice the
# migration's --lock-timeout: the migration never holds or queues for a
# lock longer than that). The migration ends applied, every row filled,
# nothing left behind.
set -eu
db=dbcare_migrate_online_load
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/cli.sh"
url="postgresql://$PGUSER@/$db?host=$PGHOST&port=$PGPORT"
[ -x "$B/pgbench" ] || fail "no pgbench in $B"
fresh_db
# the server's log: the postmaster's standard error
pid=$(head -1 "$(q -c 'SHOW data_directory')/postmaster.pid")
log=$(readlink "/proc/$pid/fd/2") || fail "cannot find the server's log"
[ -f "$log" ] || fail "the server's log $log is not a file"
q -c "ALTER SYSTEM SET log_lock_waits = on" -c "ALTER SYSTEM SET deadlock_timeout = '1s'" \
  -c "SELECT pg_reload_conf()" >/dev/null
restore() { q -c "ALTER SYSTEM RESET log_lock_waits" -c "ALTER SYSTEM RESET deadlock_timeout" \
  -c "SELECT pg_reload_conf()" >/dev/null 2>&1 || true; }
trap 'restore; cleanup' EXIT
q <<'SQL'
CREATE TABLE customers (id int PRIMARY KEY);
INSERT INTO customers SELECT generate_series(0, 99);
CREATE TABLE big (id bigserial PRIMARY KEY, n int NOT NULL DEFAULT 0, customer_id int);
INSERT INTO big (n, customer_id) SELECT g % 1000, g % 100 FROM generate_series(1, 100000) g;
ANALYZE big;
SQL
cat >writer.sql <<'SQL'
\set id random(1, 100000)
UPDATE big SET n = n + 1 WHERE id = :id;
INSERT INTO big (n, customer_id) VALUES (:id % 1000, :id % 100);
SQL
mkdir m
cat >m/V1__online.sql <<'SQL'
CREATE INDEX big_n ON big (n);
ALTER TABLE big ADD CONSTRAINT big_customer FOREIGN KEY (customer_id) REFERENCES customers (id);
ALTER TABLE big ADD COLUMN token uuid NOT NULL DEFAULT gen_random_uuid();
SQL
start=$(wc -c <"$log")
# the writers run in rounds of 3 s until the migration has ended (a round
# started before its end runs on past it), each round's summary kept
writers() {
  local k=0
  while [ ! -e migrated ] || [ $k -lt 2 ]; do
    k=$((k + 1))
    PGAPPNAME=writer "$B/pgbench" -n -c 8 -j 2 -R 400 -T 3 -f writer.sql "$db" >bench.$k.out 2>&1 ||
      { echo "round $k failed" >bench.failed; return 1; }
  done
}
writers &
bench=$!
pids+=($bench)
sleep 2
run 0 migrate --db "$url" --dir m --online --lock-timeout 500ms
touch migrated
wait $bench || { cat bench.*.out; fail "pgbench failed: $(cat bench.failed 2>/dev/null)"; }
done_tx=0
for f in bench.*.out; do
  grep -q '^number of failed transactions: 0 ' "$f" || { cat "$f"; fail "client errors in $f"; }
  n=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$f")
  [ "${n:-0}" -gt 0 ] || { cat "$f"; fail "no writer transaction ran in $f"; }
  done_tx=$((done_tx + n))
done
tail -c +"$((start + 1))" "$log" >server.log
# any lock wait of 1 s: a writer queued behind the migration, or the
# migration waiting past its own lock_timeout
waits=$(grep -c 'still waiting for' server.log || true)
if [ "$waits" -gt 0 ]; then
  grep -B2 -A3 'still waiting for' server.log | head -40
  fail "$waits lock wait(s) of 1 s or more logged while the migration ran"
fi
[ "$(q -c "SELECT state FROM dbmigrate_status() WHERE version = '1'")" = applied ] || fail "not applied"
[ "$(q -c "SELECT count(*) FROM big WHERE token IS NULL")" = 0 ] || fail "rows without a token"
[ "$(q -c "SELECT count(*) FROM pg_index WHERE NOT indisvalid")" = 0 ] || fail "an invalid index is left"
[ "$(q -c "SELECT count(*) FROM pg_constraint WHERE NOT convalidated OR conname LIKE 'dbcare_online%'")" = 0 ] ||
  fail "a temporary or unvalidated constraint is left"
echo "ok: $done_tx writer transactions, 0 failed, no lock wait logged"
