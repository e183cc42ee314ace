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
# every third statement (the first six all), to keep the test short
k=0 killed=0 resumed=0 undone=0 refused=0
while :; do
  k=$((k + (k < 6 ? 1 : 3)))
  new_db $db
  set +e
  DBCARE_TEST_ONLINE_KILL_AT=$k "$cli" migrate --db "$(url $db)" --dir m --online >out 2>err
  rc=$?
  set -e
  if [ $rc = 0 ]; then break; fi
  [ $rc = 137 ] || { cat out err; fail "kill point $k: exit $rc, not killed"; }
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
[ $killed -ge 20 ] || fail "only $killed kill points"
[ $resumed -ge 8 ] || fail "only $resumed runs resumed after recorded steps"
[ $undone -ge 8 ] || fail "only $undone runs undone"
echo "ok: $killed kill points, $resumed resumed after recorded steps, $undone undone"
