#!/usr/bin/env bash
# dbcare migrate --online, killed (issue 70): the command is killed (SIGKILL,
# as kill -9) before each statement it sends in turn -- inside a step's
# transaction, between steps, between the ranges of the backfill, after a
# step outside a transaction before it is recorded. Then, by turns:
#   - run again, it resumes after the steps recorded done
#     (dbcare.migrations_online_steps) and ends in the schema plain migrate
#     gives (fingerprint equal), applied, recorded once in the history;
#   - dbcare rollback undoes the steps done: the schema as before (its
#     fingerprint), the migration pending, no unfinished event left.
# Both with 0 leftovers: no invalid index, no constraint left NOT VALID, no
# temporary check, no step record.
set -eu
db=dbcare_migrate_online_kill
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/cli.sh"
tpl=${db}_tpl
url() { echo "postgresql://$PGUSER@/$1?host=$PGHOST&port=$PGPORT"; }
qd() { local d=$1; shift; "$B/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$d" "$@"; }
drop() { "$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $1" >/dev/null 2>&1 || true; }
trap 'drop $tpl; drop ${db}_plain; cleanup' EXIT
drop $tpl
"$B/psql" -X -q -d postgres -c "CREATE DATABASE $tpl"
qd $tpl <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION dbcare;
CREATE TABLE customers (id int PRIMARY KEY);
INSERT INTO customers SELECT generate_series(0, 99);
CREATE TABLE orders (id int PRIMARY KEY, customer_id int, amount int, pad text);
INSERT INTO orders SELECT g, g % 100, g % 7, repeat('p', 300) FROM generate_series(1, 1000) g;
ANALYZE;
SQL
mkdir m
cat >m/V1__online.sql <<'SQL'
CREATE INDEX orders_amount ON orders (amount);
ALTER TABLE orders ADD CONSTRAINT orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id);
ALTER TABLE orders ADD COLUMN token uuid NOT NULL DEFAULT gen_random_uuid();
SQL
fp() { qd "$1" -c "SELECT dbschema_fingerprint()"; }
# sessions_gone DB: every session of DB ended. A killed command's backend
# sees its client gone only at its next read, a moment later on a loaded
# machine, and holds the run's mark until then: the next command would be
# told the migration "is running now in another session".
sessions_gone() {
  for _ in $(seq 200); do
    [ "$(qd postgres -c "SELECT count(*) FROM pg_stat_activity WHERE datname = '$1'")" = 0 ] && return 0
    sleep 0.05
  done
  fail "a session of $1 outlived its killed command by 10 s: $(qd postgres -c \
    "SELECT pid, state, query FROM pg_stat_activity WHERE datname = '$1'")"
}
new_db() { drop "$1"; "$B/psql" -X -q -d postgres -c "CREATE DATABASE $1 TEMPLATE $tpl"; }
new_db ${db}_plain
old=$(fp ${db}_plain)
run 0 migrate --db "$(url ${db}_plain)" --dir m
new=$(fp ${db}_plain)
leftovers() {
  qd "$1" -c "SELECT (SELECT count(*) FROM pg_index WHERE NOT indisvalid)
    + (SELECT count(*) FROM pg_constraint WHERE NOT convalidated OR conname LIKE 'dbcare_online%')
    + (SELECT count(*) FROM dbcare.migrations_online_steps)"
}
# the three together: every ninth statement (the first three all); each alone
# at every statement below
k=0 killed=0 resumed=0 undone=0 refused=0
while :; do
  k=$((k + (k < 3 ? 1 : 9)))
  new_db $db
  set +e
  DBCARE_TEST_ONLINE_KILL_AT=$k "$cli" migrate --db "$(url $db)" --dir m --online >out 2>err
  rc=$?
  set -e
  if [ $rc = 0 ]; then break; fi
  [ $rc = 137 ] || { cat out err; fail "kill point $k: exit $rc, not killed"; }
  sessions_gone $db
  killed=$((killed + 1))
  if [ $((killed % 2)) = 0 ]; then
    run 0 rollback --db "$(url $db)"
    has "the half-done online run undone" err
    undone=$((undone + 1))
    [ "$(fp $db)" = "$old" ] || fail "kill point $k: rolled back, the schema is not the old one"
    [ "$(leftovers $db)" = 0 ] || fail "kill point $k: leftovers after the rollback"
    [ "$(qd $db -c "SELECT (SELECT state FROM dbmigrate_status() WHERE version = '1')
        || (SELECT count(*) FROM dbmigrate_history() WHERE version = '1')")" = pending0 ] ||
      fail "kill point $k: rolled back, not pending without events: $(qd $db -c 'SELECT * FROM dbmigrate_history()')"
    continue
  fi
  if [ $refused = 0 ] && [ $k -ge 3 ]; then
    # without --online, the statements as written are refused up front on
    # the half-done schema (the CLI, and dbmigrate_apply in SQL)
    half=$(fp $db)
    run 1 migrate --db "$(url $db)" --dir m
    has "migration 1 (online) was stopped part way by dbcare migrate --online" err
    has "Resume it with dbcare migrate --online, or undo what it did with dbcare rollback" err
    ! qd $db -c "SELECT dbmigrate_apply()" 2>err || fail "dbmigrate_apply ran on a half-done online run"
    grep -qF "was stopped part way by dbcare migrate --online" err || { cat err; fail "dbmigrate_apply: no refusal"; }
    [ "$(fp $db)" = "$half" ] || fail "kill point $k: plain migrate changed the half-done schema"
    refused=1
  fi
  run 0 migrate --db "$(url $db)" --dir m --online
  [ "$(fp $db)" = "$new" ] || fail "kill point $k: resumed, the schema is not the plain one's"
  ! grep -q "resumed, [0-9]* step(s) done by a run that stopped" err || resumed=$((resumed + 1))
  [ "$(leftovers $db)" = 0 ] || fail "kill point $k: leftovers after the resume: $(qd $db -c "
    SELECT indexrelid::regclass FROM pg_index WHERE NOT indisvalid" -c "
    SELECT conname FROM pg_constraint WHERE NOT convalidated OR conname LIKE 'dbcare_online%'" -c "
    SELECT * FROM dbcare.migrations_online_steps")"
  [ "$(qd $db -c "SELECT (SELECT state FROM dbmigrate_status() WHERE version = '1')
      || (SELECT count(*) FROM orders WHERE token IS NULL)
      || (SELECT count(*) FROM dbmigrate_history() WHERE version = '1')")" = applied01 ] ||
    fail "kill point $k: not applied once, or rows without a token"
done
[ $refused = 1 ] || fail "plain migrate was never tried on a half-done run"
# each operation alone, killed before every statement it sends (each step,
# each batch of the backfill), >= 20 kill points each; then by turns resumed
# or rolled back, each checked for the plain or the old schema, 0 leftovers
# (invalid indexes, constraints NOT VALID, shadow columns, triggers,
# functions, temporary checks, step records) and its history. A database
# rolled back is the template's again (its fingerprint and history
# checked): the next kill point reuses it instead of a new copy.
op_state() {
  qd "$1" -c "SELECT dbschema_fingerprint() || ' ' || (
      (SELECT count(*) FROM pg_index WHERE NOT indisvalid)
    + (SELECT count(*) FROM pg_constraint WHERE NOT convalidated OR conname LIKE 'dbcare_online%')
    + (SELECT count(*) FROM pg_attribute WHERE attname LIKE 'dbcare_online%' AND NOT attisdropped)
    + (SELECT count(*) FROM pg_trigger WHERE tgname LIKE '%dbcare_online%')
    + (SELECT count(*) FROM pg_proc WHERE proname LIKE 'dbcare_online%')
    + (SELECT count(*) FROM pg_class WHERE relname LIKE 'dbcare_online%')
    + (SELECT count(*) FROM dbcare.migrations_online_steps)) || ' '
    || (SELECT state FROM dbmigrate_status() WHERE version = '1') || ' '
    || (SELECT count(*) FROM dbmigrate_history() WHERE version = '1')"
}
kill_op() {
  local op=$1 sql=$2 k=0 n=0 rc fresh=0 plain_new total st resumes=0 undos=0
  rm -rf "op_$op" && mkdir "op_$op" && echo "$sql" >"op_$op/V1__$op.sql"
  new_db $db
  run 0 migrate --db "$(url $db)" --dir "op_$op"
  plain_new=$(op_state $db)
  [ "$plain_new" = "$(fp $db) 0 applied 1" ] || fail "$op: plain migrate: $plain_new"
  new_db $db
  DBCARE_TEST_ONLINE_KILL_AT=100000 "$cli" migrate --db "$(url $db)" --dir "op_$op" --online >out 2>err ||
    { cat out err; fail "$op: migrate --online failed"; }
  total=$(sed -n 's/^dbcare: test: \([0-9]*\) statement(s) sent$/\1/p' err)
  [ "$(op_state $db)" = "$plain_new" ] || fail "$op: --online is not the plain schema: $(op_state $db)"
  # 20 distinct statements spread over the run, its last one included
  # (CI's budget); a run of fewer has fewer: the count below fails
  local i=0 points=$((total < 20 ? total : 20))
  while [ $i -lt $points ]; do
    i=$((i + 1)) k=$(((i * total + points - 1) / points))
    [ $fresh = 1 ] || new_db $db
    fresh=0
    set +e
    (DBCARE_TEST_ONLINE_KILL_AT=$k exec "$cli" migrate --db "$(url $db)" --dir "op_$op" --online >out 2>err)
    rc=$?
    set -e
    [ $rc = 137 ] || { cat out err; fail "$op, kill point $k of $total: exit $rc, not killed"; }
    sessions_gone $db
    n=$((n + 1))
    if [ $((n % 2)) = 0 ]; then
      set +e
      "$cli" rollback --db "$(url $db)" >out 2>err
      rc=$?
      set -e
      if [ $rc = 0 ]; then
        grep -qF "the half-done online run undone" err || { cat out err; fail "$op, kill point $k: rollback"; }
        st=$(op_state $db)
        [ "$st" = "$old pending 0" ] || fail "$op, kill point $k: rolled back to $st, not $old 0 pending 0"
        undos=$((undos + 1)) fresh=1
        continue
      fi
      # past a step with no undo (a swap committed): only a resume finishes
      grep -qF "cannot be undone" err || { cat out err; fail "$op, kill point $k: rollback exit $rc"; }
    fi
    run 0 migrate --db "$(url $db)" --dir "op_$op" --online
    st=$(op_state $db)
    [ "$st" = "$plain_new" ] || fail "$op, kill point $k: resumed to $st, not $plain_new"
    resumes=$((resumes + 1))
  done
  echo "$op: $n kill points ($resumes resumed, $undos rolled back)"
  [ $n -ge 20 ] || fail "$op: only $n kill points"
}
new_db $db
old="$(fp $db) 0"
kill_op add_column "ALTER TABLE orders ADD COLUMN token uuid NOT NULL DEFAULT gen_random_uuid();"
# an operation with few statements of its own three times in its migration
kill_op create_index "CREATE INDEX orders_amount ON orders (amount);
CREATE INDEX orders_customer ON orders (customer_id);
CREATE INDEX orders_amount_customer ON orders (amount, customer_id);"
kill_op create_unique_index "CREATE UNIQUE INDEX orders_id_amount ON orders (id, amount);
CREATE UNIQUE INDEX orders_id_customer ON orders (id, customer_id);
CREATE UNIQUE INDEX orders_customer_id ON orders (customer_id, id);"
kill_op add_foreign_key "ALTER TABLE orders ADD CONSTRAINT orders_customer FOREIGN KEY (customer_id) REFERENCES customers (id);
ALTER TABLE orders ADD CONSTRAINT orders_customer2 FOREIGN KEY (customer_id) REFERENCES customers (id);
ALTER TABLE orders ADD CONSTRAINT orders_customer3 FOREIGN KEY (customer_id) REFERENCES customers (id);"
kill_op add_check "ALTER TABLE orders ADD CONSTRAINT orders_amount_small CHECK (amount < 100);
ALTER TABLE orders ADD CONSTRAINT orders_amount_positive CHECK (amount >= 0);
ALTER TABLE orders ADD CONSTRAINT orders_customer_small CHECK (customer_id < 100);"
kill_op rename_column "ALTER TABLE orders RENAME COLUMN amount TO total;
ALTER TABLE orders RENAME COLUMN customer_id TO customer;
ALTER TABLE orders RENAME COLUMN pad TO padding;
ALTER TABLE customers RENAME COLUMN id TO customer_id;
$(for n in 1 2 3 4 5; do echo "ALTER TABLE orders RENAME COLUMN $([ $n = 1 ] && echo total || echo total$((n - 1))) TO total$n;"; done)"
# an index of the migration's name that was there before it: --online fails
# as the plain migration does ("already exists"), keeping that index; a
# resumed run passes over only the index its own step built
new_db $db
qd $db -c "CREATE INDEX orders_amount ON orders (customer_id)"
run 1 migrate --db "$(url $db)" --dir m --online
has '"orders_amount" already exists' err
[ "$(qd $db -c "SELECT pg_get_indexdef('orders_amount'::regclass)")" = \
  "CREATE INDEX orders_amount ON public.orders USING btree (customer_id)" ] ||
  fail "the index that was there before the migration was not kept"
run 1 migrate --db "$(url $db)" --dir m --online
has '"orders_amount" already exists' err
run 0 rollback --db "$(url $db)"
[ "$(qd $db -c "SELECT pg_get_indexdef('orders_amount'::regclass)")" = \
  "CREATE INDEX orders_amount ON public.orders USING btree (customer_id)" ] ||
  fail "the rollback dropped the index that was there before the migration"
# the backfill's pace under real lock waits: the update of a row in the
# middle of the table waits for a lock another session holds (an advisory
# lock its trigger takes: a row lock would hold the table against the
# ADD COLUMN before the backfill) until the backfill has waited for it; the
# batch that waited is said with a smaller next size, the fast ones after
# it with a growing one; meanwhile a writer under the same lock_timeout
# (300 ms) updates rows all over the table, one transaction each, and
# waits longer at most once for each of the batch's refused tries: a row
# the try locked before it began to wait holds the writer for the try's
# head start beyond the lock_timeout (a loaded machine lengthens it), and
# the writer's next update finds the try's end within its own timeout. A
# batch waiting without bound would time it out again and again
pace=${db}_pace
drop $pace
"$B/psql" -X -q -d postgres -c "CREATE DATABASE $pace"
qd $pace <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION dbcare;
CREATE TABLE items (id int PRIMARY KEY, pad text) WITH (autovacuum_enabled = off);
INSERT INTO items SELECT g, repeat('p', 1000) FROM generate_series(1, 4000) g;
CREATE FUNCTION items_gate() RETURNS trigger LANGUAGE plpgsql AS
  $$BEGIN IF NEW.id = 2000 THEN PERFORM pg_advisory_xact_lock(70); END IF; RETURN NEW; END$$;
CREATE TRIGGER items_gate BEFORE UPDATE ON items FOR EACH ROW EXECUTE FUNCTION items_gate();
CREATE TABLE writer_stop (); CREATE TABLE writer_done (updates int, timeouts int);
CREATE PROCEDURE writer() LANGUAGE plpgsql AS $$
DECLARE n int := 0; timeouts int := 0;
BEGIN
  WHILE NOT EXISTS (SELECT FROM writer_stop) AND n < 3000 LOOP
    BEGIN
      UPDATE items SET pad = pad WHERE id = 1 + (random() * 1900)::int * 2;
    EXCEPTION WHEN lock_not_available THEN timeouts := timeouts + 1;
    END;
    n := n + 1;
    COMMIT;
    PERFORM pg_sleep(0.005);
  END LOOP;
  INSERT INTO writer_done VALUES (n, timeouts);
END $$;
SQL
mkdir pace
echo "ALTER TABLE items ADD COLUMN token uuid NOT NULL DEFAULT gen_random_uuid();" >pace/V1__pace.sql
"$B/psql" -X -q -d $pace -c "SELECT pg_advisory_lock(70)" -c "SELECT pg_sleep(60)" >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
  [ "$(qd $pace -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")" = 1 ] && break
  sleep 0.05
done
"$B/psql" -X -q -d $pace -c "SET lock_timeout = '300ms'" -c "CALL writer()" >/dev/null &
writer=$!
pids+=($writer)
PGAPPNAME=dbcare_pace "$cli" migrate --db "$(url $pace)" --dir pace --online --lock-timeout 300ms \
  >out 2>err &
mig=$!
pids+=($mig)
for _ in $(seq 1 400); do
  [ "$(qd $pace -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'dbcare_pace'
    AND wait_event = 'advisory'")" = 1 ] && break
  sleep 0.05
done
# held past the migration's lock_timeout: its batch is refused at least once
sleep 0.5
qd $pace -c "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(60)'" >/dev/null
wait $mig || { cat out err; fail "migrate --online under the row lock failed"; }
qd $pace -c "INSERT INTO writer_stop DEFAULT VALUES"
wait $writer
grep -q "batch [0-9]* waited for a lock [1-9][0-9]* time(s), .*: the next batch [0-9]*% of the plan's" err ||
  { cat err; fail "the batch that waited for the row lock was not said with a smaller next one"; }
grep -q "ran [0-9]* ms with no wait: the next batch [0-9]*% of the plan's (was [0-9]*%), growing" err ||
  { cat err; fail "the batches after the wait were not said growing again"; }
tries=$(grep -o "waited for a lock [0-9]* time" err | awk '{n += $5} END {print n + 0}')
[ "$(qd $pace -c "SELECT (updates > 0 AND timeouts <= $tries)::int FROM writer_done")" = 1 ] ||
  fail "the writer waited longer than the lock_timeout more often than the batch's $tries refused tries: $(qd $pace -c "SELECT * FROM writer_done")"
[ "$(qd $pace -c "SELECT count(*) FROM items WHERE token IS NULL")" = 0 ] || fail "rows left unfilled"
drop $pace
[ $killed -ge 8 ] || fail "only $killed kill points"
[ $resumed -ge 3 ] || fail "only $resumed runs resumed after recorded steps"
[ $undone -ge 3 ] || fail "only $undone runs undone"
echo "ok: $killed kill points, $resumed resumed after recorded steps, $undone undone"
