#!/usr/bin/env bash
# dbmigrate_script() in psql: applies pending migrations at top level with
# the history recorded, including CREATE INDEX CONCURRENTLY in a
# -- dbcare:no-transaction migration; running it again applies nothing; a
# failure stops the script and validate reports it as failed.
set -eu
db=dbcare_migrate_script
. "$(dirname "$0")/lib/pg.sh"
fresh_db

q -c "SELECT dbmigrate_add('1', 'create events', 'CREATE TABLE events (id bigint PRIMARY KEY, kind text NOT NULL, body jsonb)')" > /dev/null
q -c "SELECT dbmigrate_add('2', 'index kind', '-- dbcare:no-transaction
CREATE INDEX CONCURRENTLY events_kind ON events (kind);')" \
  -c "SELECT dbmigrate_add('3', 'seed', 'INSERT INTO events VALUES (1, ''boot'', ''{}'');')" \
  -c "SELECT dbmigrate_add_repeatable('event kinds', 'CREATE OR REPLACE VIEW event_kinds AS SELECT DISTINCT kind FROM events')" > /dev/null

# apply refuses the non-transactional one and points at dbmigrate_script
if q -c "SELECT dbmigrate_apply()" > "$work/apply.out" 2>&1; then fail "apply ran a no-transaction migration"; fi
grep -q 'dbmigrate_script' "$work/apply.out" || fail "apply hint: $(cat "$work/apply.out")"

q -c "SELECT dbmigrate_script()" > "$work/s1.sql"
"$B/psql" -X -q -d $db -f "$work/s1.sql" > "$work/run1.out" 2>&1 || { cat "$work/run1.out"; fail "script failed"; }
[ "$(q -c "SELECT string_agg(coalesce(version, name) || ':' || state, ' ') FROM dbmigrate_status()")" = \
  "1:applied 2:applied 3:applied event kinds:applied" ] || fail "status: $(q -c 'SELECT * FROM dbmigrate_status()')"
[ "$(q -c "SELECT indisvalid FROM pg_index WHERE indexrelid = 'events_kind'::regclass")" = t ] || fail "index not built"
[ "$(q -c "SELECT count(*) FROM dbmigrate_history() WHERE success AND duration_ms IS NOT NULL")" = 4 ] || fail "history"
[ "$(q -c "SELECT count(*) FROM dbmigrate_validate()")" = 0 ] || fail "validate: $(q -c 'SELECT * FROM dbmigrate_validate()')"

# the same script again skips every step; a fresh one is empty
"$B/psql" -X -q -d $db -f "$work/s1.sql" > "$work/run2.out" 2>&1 || { cat "$work/run2.out"; fail "second run failed"; }
[ "$(q -c "SELECT count(*) FROM dbmigrate_history()")" = 4 ] || fail "second run changed history"
q -c "SELECT dbmigrate_script()" | grep -q '0 pending migration' || fail "fresh script not empty"

# a non-transactional failure half way: the script stops, validate says failed
q -c "SELECT dbmigrate_add('4', 'two indexes', '-- dbcare:no-transaction
CREATE INDEX CONCURRENTLY events_body ON events USING gin (body);
CREATE INDEX CONCURRENTLY events_oops ON events (no_such_column);')" > /dev/null
q -c "SELECT dbmigrate_script()" > "$work/s3.sql"
if "$B/psql" -X -q -d $db -f "$work/s3.sql" > "$work/run3.out" 2>&1; then fail "failing script succeeded"; fi
grep -q 'no_such_column' "$work/run3.out" || fail "error not shown: $(cat "$work/run3.out")"
[ "$(q -c "SELECT version || ':' || problem FROM dbmigrate_validate()")" = "4:failed" ] || fail "validate: $(q -c 'SELECT * FROM dbmigrate_validate()')"
if q -c "SELECT dbmigrate_assert('3')" > /dev/null 2>&1; then fail "assert ignored the failed migration"; fi

# fix by hand, repair, run again
q -c "DROP INDEX events_body" -c "SELECT dbmigrate_add('4', 'gin index', '-- dbcare:no-transaction
CREATE INDEX CONCURRENTLY events_body ON events USING gin (body);')" -c "SELECT dbmigrate_repair()" > /dev/null
q -c "SELECT dbmigrate_script()" | "$B/psql" -X -q -d $db > "$work/run4.out" 2>&1 || { cat "$work/run4.out"; fail "script after repair"; }
[ "$(q -c "SELECT dbmigrate_current()")" = 4 ] || fail "current"
[ "$(q -c "SELECT count(*) FROM dbmigrate_validate()")" = 0 ] || fail "validate at the end: $(q -c 'SELECT * FROM dbmigrate_validate()')"
echo "dbmigrate_script in psql: ok"
"$B/psql" -X -q -d postgres -c "DROP DATABASE $db"
