#!/usr/bin/env bash
# dbmigrate_script('rollback', target) in psql: a down script marked
# -- dbcare:no-transaction (DROP INDEX CONCURRENTLY), which
# dbmigrate_rollback refuses, is rolled back at top level and recorded as a
# rollback: the migration is pending again, the history has its down event,
# validate is clean; the same script again skips the step; older migrations
# roll back afterwards as usual.
set -eu
db=dbcare_migrate_rollback_script
. "$(dirname "$0")/lib/pg.sh"
fresh_db

q -c "SELECT dbmigrate_add('1', 'events', 'CREATE TABLE events (id bigint PRIMARY KEY, kind text)', 'DROP TABLE events')" \
  -c "SELECT dbmigrate_add('2', 'index kind', '-- dbcare:no-transaction
CREATE INDEX CONCURRENTLY events_kind ON events (kind);', '-- dbcare:no-transaction
DROP INDEX CONCURRENTLY events_kind;')" > /dev/null
q -c "SELECT dbmigrate_script()" | "$B/psql" -X -q -d $db > "$work/up.out" 2>&1 || { cat "$work/up.out"; fail "apply script"; }
[ "$(q -c "SELECT dbmigrate_current()")" = 2 ] || fail "not applied"

# the function refuses and points at the script
if q -c "SELECT dbmigrate_rollback('1')" > "$work/rb.out" 2>&1; then fail "rollback ran a no-transaction down script"; fi
grep -q "dbmigrate_script('rollback'" "$work/rb.out" || fail "rollback hint: $(cat "$work/rb.out")"

q -c "SELECT dbmigrate_script('rollback', '1')" > "$work/down.sql"
grep -q 'DROP INDEX CONCURRENTLY' "$work/down.sql" || fail "down script not in the script: $(cat "$work/down.sql")"
if grep -q '^BEGIN' "$work/down.sql"; then fail "a no-transaction down script inside BEGIN"; fi
"$B/psql" -X -q -d $db -f "$work/down.sql" > "$work/down.out" 2>&1 || { cat "$work/down.out"; fail "rollback script failed"; }
[ "$(q -c "SELECT to_regclass('events_kind') IS NULL")" = t ] || fail "index still there"
[ "$(q -c "SELECT string_agg(version || ':' || state, ' ' ORDER BY version) FROM dbmigrate_status()")" = "1:applied 2:pending" ] \
  || fail "status: $(q -c 'SELECT * FROM dbmigrate_status()')"
[ "$(q -c "SELECT count(*) FROM dbmigrate_history() WHERE version = '2' AND direction = 'down' AND success AND fingerprint IS NOT NULL")" = 1 ] \
  || fail "history: $(q -c 'SELECT * FROM dbmigrate_history()')"
[ "$(q -c "SELECT count(*) FROM dbmigrate_validate()")" = 0 ] || fail "validate: $(q -c 'SELECT * FROM dbmigrate_validate()')"

# the same script again skips the step; migration 1 rolls back as usual
"$B/psql" -X -q -d $db -f "$work/down.sql" > "$work/down2.out" 2>&1 || { cat "$work/down2.out"; fail "second run failed"; }
[ "$(q -c "SELECT count(*) FROM dbmigrate_history() WHERE direction = 'down'")" = 1 ] || fail "second run recorded again"
[ "$(q -c "SELECT dbmigrate_rollback('0')")" = 1 ] || fail "rollback of 1"
[ "$(q -c "SELECT dbmigrate_current() IS NULL")" = t ] || fail "current after rollback"

# a bad direction is refused
if q -c "SELECT dbmigrate_script('down', NULL)" > "$work/bad.out" 2>&1; then fail "direction down accepted"; fi
grep -q 'direction must be apply or rollback' "$work/bad.out" || fail "bad direction: $(cat "$work/bad.out")"
echo "dbmigrate_script('rollback') in psql: ok"
"$B/psql" -X -q -d postgres -c "DROP DATABASE $db"
