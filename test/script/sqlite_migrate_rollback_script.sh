#!/usr/bin/env bash
# dbmigrate_script('rollback', target) in sqlite3: a down script marked
# -- dbcare:no-transaction, which dbmigrate_rollback refuses, runs at top
# level and is recorded as a rollback; a stale script (run twice) stops.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
db="$work/test.db"

q "SELECT dbmigrate_add('1', 'events', 'CREATE TABLE events (id INTEGER PRIMARY KEY, kind TEXT);', 'DROP TABLE events;');
   SELECT dbmigrate_add('2', 'compact', 'CREATE INDEX events_kind ON events (kind);', '-- dbcare:no-transaction
DROP INDEX events_kind;
VACUUM;');
   SELECT dbmigrate_apply();" > /dev/null
if q "SELECT dbmigrate_rollback('1')" > "$work/rb.out" 2>&1; then fail "rollback ran a no-transaction down script"; fi
grep -q "dbmigrate_script('rollback'" "$work/rb.out" || fail "rollback hint: $(cat "$work/rb.out")"

q "SELECT dbmigrate_script('rollback', '1')" > "$work/down.sql"
grep -q '^VACUUM;' "$work/down.sql" || fail "down script missing: $(cat "$work/down.sql")"
q < "$work/down.sql" > "$work/down.out" 2>&1 || { cat "$work/down.out"; fail "rollback script failed"; }
[ "$(q "SELECT count(*) FROM sqlite_schema WHERE name = 'events_kind'")" = 0 ] || fail "index still there"
[ "$(q "SELECT group_concat(version || ':' || state, ' ') FROM dbmigrate_status")" = "1:applied 2:pending" ] \
  || fail "status: $(q 'SELECT * FROM dbmigrate_status')"
[ "$(q "SELECT count(*) FROM dbmigrate_history WHERE version = '2' AND direction = 'down' AND success")" = 1 ] \
  || fail "history: $(q 'SELECT * FROM dbmigrate_history')"
[ "$(q "SELECT count(*) FROM dbmigrate_validate")" = 0 ] || fail "validate: $(q 'SELECT * FROM dbmigrate_validate')"

# run again: stale, stops before running anything
if q < "$work/down.sql" > "$work/down2.out" 2>&1; then fail "stale rollback script ran"; fi
grep -q 'is not applied; this rollback script is stale' "$work/down2.out" || fail "stale: $(cat "$work/down2.out")"
[ "$(q "SELECT dbmigrate_rollback('0')")" = 1 ] || fail "rollback of 1"
echo "dbmigrate_script('rollback') in sqlite3: ok"
