#!/usr/bin/env bash
# dbcare migrate --online through the server's crash (issue 70): a backend
# of the migration killed with SIGKILL in the middle of a statement makes
# the postmaster end every session and recover from the WAL, as a crash of
# the server does. Each online operation is crashed in the middle of its
# steps -- CREATE INDEX CONCURRENTLY waiting for an older snapshot (an
# invalid index left behind), a backfill batch (a slow volatile default or
# USING expression), VALIDATE scanning (a slow CHECK), the NOT NULL column's
# temporary check and the ALTER TYPE swap waiting for their exclusive lock --
# then a copy of the crashed database is resumed by dbcare migrate --online
# (the schema plain migrate gives, fingerprint equal) and the other undone by
# dbcare rollback (the old schema's fingerprint, the migration pending),
# both with 0 leftovers: no invalid index, no shadow column, no trigger or
# function of the recipe, no temporary or unvalidated check, no step record.
set -eu
db=dbcare_migrate_online_crash
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/cli.sh"
tpl=${db}_tpl
url() { echo "postgresql://$PGUSER@/$1?host=$PGHOST&port=$PGPORT"; }
qd() { local d=$1; shift; "$B/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$d" "$@"; }
drop() { "$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $1" >/dev/null 2>&1 || true; }
copy() { drop "$2"; "$B/psql" -X -q -d postgres -c "CREATE DATABASE $2 TEMPLATE $1"; }
trap 'drop $tpl; drop ${db}_new; drop ${db}_undo; cleanup' EXIT
# a crash loses commits still in the WAL buffers under synchronous_commit =
# off: the setup and every step are durable before the kill
export PGOPTIONS="${PGOPTIONS:-} -c synchronous_commit=on"
drop $tpl
"$B/psql" -X -q -d postgres -c "CREATE DATABASE $tpl"
qd $tpl <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION dbcare;
-- 2 ms a row: a batch or a scan runs long enough (0.4 s) to be crashed in
CREATE FUNCTION slow(int) RETURNS int LANGUAGE sql VOLATILE AS
  'SELECT $1 FROM pg_catalog.pg_sleep(0.002)';
CREATE TABLE customers (id int PRIMARY KEY);
INSERT INTO customers SELECT generate_series(0, 99);
CREATE TABLE orders (id int PRIMARY KEY, customer_id int, amount int);
INSERT INTO orders SELECT g, g % 100, g % 7 FROM generate_series(1, 200) g;
ANALYZE;
SQL
mkdir index check column type
echo "CREATE INDEX orders_amount ON orders (amount);" >index/V1__index.sql
echo "ALTER TABLE orders ADD CONSTRAINT orders_slow CHECK (slow(amount) >= 0);" >check/V1__check.sql
echo "ALTER TABLE orders ADD COLUMN n int NOT NULL DEFAULT slow(7);" >column/V1__column.sql
echo "ALTER TABLE orders ALTER COLUMN amount TYPE bigint USING slow(amount);" >type/V1__type.sql
fp() { qd "$1" -c "SELECT dbschema_fingerprint()"; }
leftovers() {
  qd "$1" -c "SELECT (SELECT count(*) FROM pg_index WHERE NOT indisvalid)
    + (SELECT count(*) FROM pg_attribute WHERE attname LIKE 'dbcare_online%' AND NOT attisdropped)
    + (SELECT count(*) FROM pg_trigger WHERE tgname LIKE '%dbcare_online%')
    + (SELECT count(*) FROM pg_proc WHERE proname LIKE 'dbcare_online%')
    + (SELECT count(*) FROM pg_class WHERE relname LIKE 'dbcare_online%')
    + (SELECT count(*) FROM pg_constraint WHERE NOT convalidated OR conname LIKE 'dbcare_online%')
    + (SELECT count(*) FROM dbcare.migrations_online_steps)"
}
state() {
  qd "$1" -c "SELECT (SELECT state FROM dbmigrate_status() WHERE version = '1')
    || (SELECT count(*) FROM dbmigrate_history() WHERE version = '1')"
}
# crash_in DIR WHAT PATTERN [HOLD]: migrate --online of DIR in $db, the
# server crashed once the migration's backend runs a statement matching
# PATTERN (waits for a lock, when HOLD is given: SQL a session runs and
# keeps its transaction open across, started first)
crash_in() {
  local dir=$1 what=$2 pattern=$3 hold=${4:-} holder= pid= mig
  if [ -n "$hold" ]; then
    "$B/psql" -X -q -d $db -c "BEGIN" -c "$hold" -c "SELECT pg_sleep(120)" >/dev/null 2>&1 &
    holder=$!
    pids+=($holder)
    for _ in $(seq 1 100); do
      [ "$(qd $db -c "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(120)'")" = 1 ] && break
      sleep 0.1
    done
  fi
  PGAPPNAME=dbcare_crash_victim "$cli" migrate --db "$(url $db)" --dir $dir --online \
    --lock-timeout 100s --lock-retries 1 >out 2>err &
  mig=$!
  pids+=($mig)
  for _ in $(seq 1 300); do
    pid=$(qd $db -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'dbcare_crash_victim'
                       AND state = 'active' AND query ~ '$pattern'
                       AND (wait_event_type = 'Lock' OR '$hold' = '')")
    [ -n "$pid" ] && break
    sleep 0.05
  done
  [ -n "$pid" ] || { cat err; fail "$dir: the migration never ran a statement like /$pattern/"; }
  kill -9 "$pid"
  ! wait $mig || fail "$dir: migrate --online ended well through the crash"
  [ -z "$holder" ] || wait $holder || true
  sleep 0.2
  wait_ready 300 || fail "$dir: the server did not come back after the crash"
  crashes=$((crashes + 1))
  echo "crashed: $dir, $what "
}
# both ends from the crashed $db: resumed and undone, each on its copy
both_ends() {
  local dir=$1 old=$2 new=$3
  copy $db ${db}_new
  copy $db ${db}_undo
  run 0 migrate --db "$(url ${db}_new)" --dir $dir --online
  [ "$(fp ${db}_new)" = "$new" ] || fail "$dir: resumed, the schema is not the plain one's"
  [ "$(leftovers ${db}_new)" = 0 ] || fail "$dir: leftovers after the resume"
  [ "$(state ${db}_new)" = applied1 ] || fail "$dir: resumed, not applied once: $(state ${db}_new)"
  run 0 rollback --db "$(url ${db}_undo)"
  has "the half-done online run undone" err
  [ "$(fp ${db}_undo)" = "$old" ] || fail "$dir: rolled back, the schema is not the old one"
  [ "$(leftovers ${db}_undo)" = 0 ] || fail "$dir: leftovers after the rollback: $(qd ${db}_undo -c "
    SELECT indexrelid::regclass FROM pg_index WHERE NOT indisvalid" -c "
    SELECT conname FROM pg_constraint WHERE NOT convalidated OR conname LIKE 'dbcare_online%'")"
  [ "$(state ${db}_undo)" = pending0 ] || fail "$dir: rolled back, not pending: $(state ${db}_undo)"
  ends=$((ends + 1))
}
crashes=0 ends=0
old=$(fp $tpl)
for dir in index check column type; do
  copy $tpl $db
  run 0 migrate --db "$(url $db)" --dir $dir
  new=$(fp $db)
  copy $tpl $db
  case $dir in
  index)
    # an older transaction holds the build in its last wait: the index is
    # in the catalog, not valid
    crash_in $dir "CREATE INDEX CONCURRENTLY in its wait for older snapshots" \
      'INDEX CONCURRENTLY' "SELECT pg_current_xact_id()"
    [ "$(qd $db -c "SELECT count(*) FROM pg_index WHERE NOT indisvalid")" = 1 ] ||
      fail "index: no invalid index after the crash"
    ;;
  check)
    crash_in $dir "VALIDATE scanning" 'VALIDATE CONSTRAINT'
    ;;
  column)
    crash_in $dir "a backfill batch" 'dbcare_range'
    [ "$(qd $db -c "SELECT count(*) FROM orders WHERE n IS NULL")" -gt 0 ] ||
      fail "column: no row left unfilled by the crash"
    both_ends $dir "$old" "$new"
    # resumed, the temporary check's exclusive lock waiting for a reader's
    crash_in $dir "the NOT VALID check waiting for its lock" 'NOT VALID' \
      "SELECT count(*) FROM orders"
    ;;
  type)
    crash_in $dir "a backfill batch of the shadow column" 'dbcare_range'
    both_ends $dir "$old" "$new"
    # resumed, the swap waiting for a reader's lock
    crash_in $dir "the swap waiting for its lock" . "SELECT count(*) FROM orders"
    ;;
  esac
  both_ends $dir "$old" "$new"
done
[ $crashes = 6 ] && [ $ends = 6 ] || fail "$crashes crashes, $ends pairs of ends"
echo "ok: $crashes crashes, each resumed and undone"
