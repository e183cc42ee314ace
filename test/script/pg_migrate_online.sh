#!/usr/bin/env bash
# dbcare migrate --online (docs/migrations.md, "Online"): the same plain SQL
# file applied with and without --online ends in the same schema
# (fingerprint equal), with the statements the lint finds blocking carried
# out as their lock-safe recipes (CONCURRENTLY, NOT VALID + VALIDATE, the
# NOT NULL column added nullable, filled in batches and proved by a CHECK),
# the history recording the migration once and nothing left behind (no
# invalid index, no temporary check). An invalid index a failed build left
# under the same name is dropped and built again. A session holding the
# table before an exclusive step, or a lock in the way of ADD FOREIGN KEY's
# SHARE ROW EXCLUSIVE, is named; --blockers abort gives up, the default
# waits for it outside the lock queue; a lock not granted in time is
# retried.
set -eu
db=dbcare_migrate_online
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/cli.sh"
url() { echo "postgresql://$PGUSER@/$1?host=$PGHOST&port=$PGPORT"; }
seed() {
  "$B/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$1" <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION dbcare;
CREATE TABLE customers (id int PRIMARY KEY);
INSERT INTO customers SELECT generate_series(1, 100);
CREATE TABLE orders (id bigint PRIMARY KEY, customer_id int, ref text, amount int,
                     placed_at timestamptz);
INSERT INTO orders SELECT g, 1 + g % 100, 'r' || g, g % 50, now() - g * interval '1 s'
  FROM generate_series(1, 20000) g;
ANALYZE orders;
-- what each index build ran with: --online builds CONCURRENTLY in one process
CREATE TABLE build_settings (query text, workers text);
CREATE FUNCTION note_build() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO build_settings VALUES (current_query(),
                                     current_setting('max_parallel_maintenance_workers'));
END $$;
CREATE EVENT TRIGGER note_build ON ddl_command_start WHEN TAG IN ('CREATE INDEX')
  EXECUTE FUNCTION note_build();
SQL
}
for d in ${db}_plain ${db}_online; do
  "$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $d" -c "CREATE DATABASE $d"
  seed $d
done
mkdir m
cat >m/V1__online.sql <<'SQL'
CREATE INDEX orders_placed ON orders (placed_at);
CREATE UNIQUE INDEX orders_ref ON orders (ref);
ALTER TABLE orders ADD CONSTRAINT orders_customer_fk FOREIGN KEY (customer_id)
  REFERENCES customers (id);
ALTER TABLE orders ADD CHECK (amount >= 0); -- a comment after the statement
ALTER TABLE orders ADD COLUMN token uuid NOT NULL DEFAULT gen_random_uuid();
ALTER TABLE orders ADD COLUMN score int NOT NULL DEFAULT (random() * 10)::int CHECK (score >= 0);
COMMENT ON TABLE orders IS 'orders, migrated online';
CREATE TABLE notes (id int PRIMARY KEY, body text);
CREATE INDEX notes_body ON notes (body);
SQL
P=${db}_plain O=${db}_online
qp() { "$B/psql" -X -q -At -v ON_ERROR_STOP=1 -d $P "$@"; }
qo() { "$B/psql" -X -q -At -v ON_ERROR_STOP=1 -d $O "$@"; }

# the plan the module decides, read in a rolled-back registration
plan=$(qp -v s="$(cat m/V1__online.sql)" <<'SQL'
BEGIN;
SELECT dbmigrate_add('1', 'online', :'s') \g /dev/null
SELECT mode || ' | ' || statement FROM dbmigrate_online_plan('1') ORDER BY step;
ROLLBACK;
SQL
)
echo "$plan" >plan.txt
for want in \
  'transaction | ALTER TABLE orders ADD CHECK (amount >= 0) NOT VALID' \
  'transaction | ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_fk' \
  'transaction | ALTER TABLE orders ADD COLUMN token uuid' \
  'transaction | ALTER TABLE orders ALTER COLUMN token SET DEFAULT gen_random_uuid()' \
  'transaction | ALTER TABLE orders ALTER COLUMN token SET NOT NULL' \
  'transaction | ALTER TABLE orders ADD COLUMN score int NOT NULL DEFAULT (random() * 10)::int CHECK (score >= 0)' \
  "transaction | COMMENT ON TABLE orders IS 'orders, migrated online'" \
  'transaction | CREATE INDEX notes_body ON notes (body)'; do
  grep -qxF -- "$want" plan.txt || { cat plan.txt; fail "the online plan lacks: $want"; }
done
# a named index: IF NOT EXISTS only when the index is this migration's (its
# mark, step -k of the build), else as written: one there before fails it
for i in 'INDEX CONCURRENTLY%s orders_placed ON orders (placed_at)' \
  'UNIQUE INDEX CONCURRENTLY%s orders_ref ON orders (ref)'; do
  grep -qF "THEN 'CREATE $(printf "$i" ' IF NOT EXISTS')' ELSE 'CREATE $(printf "$i" '')' END" plan.txt ||
    { cat plan.txt; fail "the online plan lacks the build of: $i"; }
done
grep -qF 'REFERENCES customers (id) NOT VALID' plan.txt || { cat plan.txt; fail "no NOT VALID foreign key"; }
# in SQL the migration cannot run online: refused before anything runs
! qp -c "SELECT dbmigrate_apply(target => NULL, online => true)" 2>err ||
  fail "dbmigrate_apply(online => true) ran"
grep -qF 'dbcare: dbmigrate_apply cannot run a migration online: a function call runs in one transaction' err &&
  grep -qF 'HINT:  Run dbcare migrate --online' err || { cat err; fail "dbmigrate_apply(online => true): no refusal naming the remedy"; }
grep -q '^batches | WITH dbcare_range .*(UPDATE orders SET token = gen_random_uuid() WHERE ctid ' plan.txt ||
  { cat plan.txt; fail "no batched backfill"; }
grep -q '^generated | SELECT .*VALIDATE CONSTRAINT' plan.txt || { cat plan.txt; fail "the unnamed check is not validated"; }
# a column with a clause the recipe would not carry (its CHECK) is added
# as written, never rebuilt from its type alone
! grep -q 'ADD COLUMN score int$' plan.txt || { cat plan.txt; fail "score rebuilt without its CHECK"; }
# the table this migration creates is not rewritten
! grep -q 'CONCURRENTLY notes_body' plan.txt || fail "an index of a new table built concurrently"

# a failed build of this migration (its mark recorded, as by a run that
# stopped) left an invalid index under the name the migration uses
k=$(grep -n "ELSE 'CREATE INDEX CONCURRENTLY orders_placed" plan.txt | cut -d: -f1)
qo -c "SELECT dbmigrate_online_record('1', -$k, 'absent')" >/dev/null
qo -c "INSERT INTO orders VALUES (20001, 1, 'r1', 1, now())" -c "DELETE FROM orders WHERE id = 20001" >/dev/null
! qo -c "CREATE UNIQUE INDEX CONCURRENTLY orders_placed ON orders (customer_id)" 2>/dev/null ||
  fail "the duplicate build did not fail"
[ "$(qo -c "SELECT count(*) FROM pg_index WHERE NOT indisvalid")" = 1 ] || fail "no invalid leftover to rebuild"

# --dry-run --online shows the steps and changes nothing
run 0 migrate --db "$(url $O)" --dir m --online --dry-run
has "CREATE UNIQUE INDEX CONCURRENTLY orders_ref ON orders (ref)" out
has "the existing rows filled, a range of pages at a time" out
! grep -q "no lock_timeout set" err || { cat err; fail "the lock-timeout notice in the online dry run"; }
[ "$(qo -c "SELECT count(*) FROM dbmigrate_status()")" = 0 ] || fail "the dry run registered the files"
run 0 migrate --db "$(url $P)" --dir m
qo -c "TRUNCATE build_settings" # the failed build above is no step's
run 0 migrate --db "$(url $O)" --dir m --online --lock-timeout 1s
has "1 migration(s) applied" out
has "migration 1: 20000 row(s) filled in batches" err
# --online sets the lock timeout itself: the lint does not ask for one
! grep -q "no lock_timeout set" err || { cat err; fail "the lint's lock-timeout notice under --online"; }

fp() { "$B/psql" -X -q -At -d "$1" -c "SELECT dbschema_fingerprint()"; }
[ "$(fp $P)" = "$(fp $O)" ] || {
  "$B/psql" -X -q -At -d $O -c "SELECT dbschema_diff(dbschema_snapshot(), dbschema_snapshot())" >/dev/null
  fail "the online migration's schema differs from the plain one's"; }
[ "$(qo -c "SELECT count(*) FROM dbmigrate_history() WHERE version = '1'")" = 1 ] ||
  fail "the history records migration 1 other than once: $(qo -c 'SELECT * FROM dbmigrate_history()')"
[ "$(qo -c "SELECT state FROM dbmigrate_status() WHERE version = '1'")" = applied ] || fail "not applied"
[ "$(qo -c "SELECT count(*) FROM pg_index WHERE NOT indisvalid")" = 0 ] || fail "an invalid index is left"
[ "$(qo -c "SELECT count(*) FROM pg_constraint WHERE conname LIKE 'dbcare_online%' OR NOT convalidated")" = 0 ] ||
  fail "a temporary or unvalidated check is left"
[ "$(qo -c "SELECT count(*) FROM orders WHERE token IS NULL")" = 0 ] || fail "rows without a token"
[ "$(qo -c "SELECT count(DISTINCT token) FROM orders")" = 20000 ] || fail "the volatile default was not per row"
# the CONCURRENTLY builds ran in one process (a parallel build takes every
# core of a small machine from the clients), the session's setting reset
[ "$(qo -c "SELECT count(*) FROM build_settings WHERE query LIKE '%CONCURRENTLY%' AND workers = '0'")" = 2 ] &&
  [ "$(qo -c "SELECT count(*) FROM build_settings WHERE query LIKE '%CONCURRENTLY%' AND workers <> '0'")" = 0 ] ||
  fail "an online index build ran with parallel workers: $(qo -c 'SELECT * FROM build_settings')"
[ "$(qo -c "SELECT count(*) FROM build_settings WHERE query LIKE '%notes_body%' AND workers = '2'")" = 1 ] ||
  fail "a build inside a transaction ran with the setting changed: $(qo -c 'SELECT * FROM build_settings')"

# a session holding the table in the way of an exclusive step
cat >m/V2__col.sql <<'SQL'
ALTER TABLE orders ADD COLUMN note text;
SQL
# The holders below hold until the test ends them (end_holder), never for
# a fixed time: on a loaded machine a command may reach its step seconds
# later than here.
end_holder() {
  qo -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'holder'" >/dev/null
  wait $holder || true
}
# wait_for_err FILE PID: until FILE names the session holding orders, or
# PID has ended; 60 s at most
wait_for_err() {
  poll_until 60 0.1 named_or_ended "$1" "$2" || true # the caller's checks say what is missing
}
# named_or_ended FILE PID: FILE names the session holding orders, or PID ended.
named_or_ended() {
  grep -q 'holds a lock on orders' "$1" || ! running "$2"
}
PGAPPNAME=holder "$B/psql" -X -q -d $O -c "BEGIN" -c "SELECT count(*) FROM orders" -c "SELECT pg_sleep(600)" >/dev/null 2>&1 &
holder=$!
pids+=($holder)
for _ in $(seq 1 600); do
  [ "$(qo -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'holder' AND query LIKE '%pg_sleep%'")" = 1 ] && break
  sleep 0.1
done
run 1 migrate --db "$(url $O)" --dir m --online --blockers abort
has "holds a lock on orders that the next step's ACCESS EXCLUSIVE lock waits for" err
has "--blockers is abort" err
[ "$(qo -c "SELECT count(*) FROM information_schema.columns WHERE column_name = 'note'")" = 0 ] ||
  fail "the step ran though --blockers is abort"
run 0 repair --db "$(url $O)" --dir m
# waiting (the default): the step runs once the session has ended
"$cli" migrate --db "$(url $O)" --dir m --online --lock-timeout 200ms >col.out 2>col.err &
migrating=$!
pids+=($migrating)
wait_for_err col.err $migrating
end_holder
wait $migrating || fail "migrate --online failed: $(cat col.err)"
grep -q "holds a lock on orders" col.err || fail "the session holding orders was not named: $(cat col.err)"
[ "$(qo -c "SELECT count(*) FROM information_schema.columns WHERE column_name = 'note'")" = 1 ] ||
  fail "the column was not added after the session ended"

# ADD FOREIGN KEY's SHARE ROW EXCLUSIVE keeps the writers out too: a
# session holding SHARE UPDATE EXCLUSIVE (an ANALYZE, as autovacuum's, in
# a transaction) is named and waited for without a queue, so a writer of
# the table meanwhile is not held behind the step's lock request
cat >m/V2.5__fk.sql <<'SQL'
ALTER TABLE orders ADD CONSTRAINT orders_customer_fk2 FOREIGN KEY (customer_id)
  REFERENCES customers (id);
SQL
analyze_holder() {
  PGAPPNAME=holder "$B/psql" -X -q -d $O -c "BEGIN" -c "ANALYZE orders" -c "SELECT pg_sleep(600)" >/dev/null 2>&1 &
  holder=$!
  pids+=($holder)
  for _ in $(seq 1 600); do
    [ "$(qo -c "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'orders' AND l.mode = 'ShareUpdateExclusiveLock' AND l.granted AND l.pid <> pg_backend_pid()")" = 1 ] && break
    sleep 0.1
  done
  sleep 0.2 # past the age of a client's ordinary statement, which is not named
}
fk2() { qo -c "SELECT count(*) FROM pg_constraint WHERE conname = 'orders_customer_fk2'"; }
analyze_holder
run 1 migrate --db "$(url $O)" --dir m --online --blockers abort --lock-timeout 200ms --lock-retries 2
has "holds a lock on orders that the next step's SHARE ROW EXCLUSIVE lock waits for" err
has "--blockers is abort" err
[ "$(fk2)" = 0 ] || fail "the key was added though --blockers is abort"
end_holder
run 0 repair --db "$(url $O)" --dir m
analyze_holder
"$cli" migrate --db "$(url $O)" --dir m --online --lock-timeout 5s >fk.out 2>fk.err &
migrating=$!
pids+=($migrating)
# once the command is at the step: named the holder, or queued for its lock
at_the_step() {
  named_or_ended fk.err $migrating || [ "$(qo -c "SELECT count(*) FROM pg_locks WHERE NOT granted")" != 0 ]
}
poll_until 60 0.1 at_the_step || true # the writer's check below says what it means
qo -c "SET lock_timeout = '1s'" -c "UPDATE orders SET amount = amount WHERE id = 1" >/dev/null 2>writer.err ||
  fail "a writer waited behind the step's lock request: $(cat writer.err)"
end_holder
wait $migrating || fail "migrate --online failed: $(cat fk.err)"
grep -q "holds a lock on orders that the next step's SHARE ROW EXCLUSIVE lock waits for" fk.err ||
  fail "the session holding orders was not named: $(cat fk.err)"
[ "$(fk2)" = 1 ] || fail "the key was not added after the session ended"

# a lock not granted in time: retried with backoff, then given up on, named
"$B/psql" -X -q -d $O -c "BEGIN" -c "LOCK TABLE customers IN ROW EXCLUSIVE MODE" -c "SELECT pg_sleep(30)" >/dev/null &
pids+=($!)
cat >m/V3__col.sql <<'SQL'
ALTER TABLE customers ADD COLUMN flag int;
SQL
for _ in $(seq 1 100); do
  [ "$(qo -c "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'customers' AND l.granted AND l.pid <> pg_backend_pid()")" -ge 1 ] && break
  sleep 0.1
done
run 1 migrate --db "$(url $O)" --dir m --online --lock-timeout 100ms --lock-retries 3
has "canceling statement due to lock timeout" err
has "The lock was not granted in 3 tries of 100 ms" err
[ "$(qo -c "SELECT count(*) FROM pg_locks WHERE NOT granted")" = 0 ] || fail "a lock request is still queued"

# the options of --online are not ignored without it
run 2 migrate --db "$(url $O)" --dir m --lock-timeout 1s
has "are --online's: add --online" err

# the backfill's work is linear (issue 70): the table's pages read while
# it ran (five rows a page, no autovacuum), per row of the table, do not
# grow with its size (one pass by
# ranges of pages, one pass finding nothing, the VALIDATE)
pages_per_1000_rows() {
  local d=${db}_lin$1 prev=-1 now
  "$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $d" -c "CREATE DATABASE $d"
  "$B/psql" -X -q -d $d -c "CREATE EXTENSION dbcare" \
    -c "CREATE TABLE t (id int, pad text) WITH (autovacuum_enabled = off)" \
    -c "INSERT INTO t SELECT g, repeat('x', 1500) FROM generate_series(1, $1) g" >/dev/null
  mkdir -p lin$1
  echo "ALTER TABLE t ADD COLUMN v uuid NOT NULL DEFAULT gen_random_uuid();" >lin$1/V1__fill.sql
  run 0 migrate --db "$(url $d)" --dir lin$1 --online
  has "migration 1: $1 row(s) filled in batches" err
  # the migration's session reports its counts when it ends: wait for them
  for _ in $(seq 60); do
    now=$("$B/psql" -X -q -At -d $d -c "SELECT i.heap_blks_read + i.heap_blks_hit
      FROM pg_statio_user_tables i JOIN pg_stat_user_tables s USING (relid)
      WHERE s.relname = 't' AND s.n_tup_upd >= $1")
    [ -n "$now" ] && [ "$now" = "$prev" ] && break
    prev=$now
    sleep 1
  done
  [ -n "$now" ] && [ "$now" = "$prev" ] || fail "no settled table statistics in $d"
  echo $((now * 1000 / $1)) >lin$1/pages
}
pages_per_1000_rows 10000
pages_per_1000_rows 40000
small=$(cat lin10000/pages) large=$(cat lin40000/pages)
echo "pages read per 1,000 rows: $small at 10,000 rows, $large at 40,000"
[ "$large" -le $((small * 11 / 10)) ] ||
  fail "the backfill reads more pages per row at 4 times the size: $small, then $large per 1,000 rows"

echo ok
