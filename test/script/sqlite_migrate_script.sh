#!/usr/bin/env bash
# dbmigrate_script() on SQLite: the generated script, piped into sqlite3,
# applies pending migrations at top level (a non-transactional VACUUM too)
# with history recorded; again it applies nothing; a failure stops it and the
# history tells the truth.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
db="$work/app.db"

q "SELECT dbmigrate_add('1', 'create notes', 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)');" >/dev/null
q "SELECT dbmigrate_add('2', 'compact', '-- dbcare:no-transaction
VACUUM;');" >/dev/null
q "SELECT dbmigrate_add('3', 'index notes', 'CREATE INDEX notes_body ON notes (body);');" >/dev/null
q "SELECT dbmigrate_add_repeatable('note count', 'DROP VIEW IF EXISTS note_count; CREATE VIEW note_count AS SELECT count(*) AS n FROM notes');" >/dev/null

q "SELECT dbmigrate_script();" > "$work/s1.sql"
grep -q '^\.bail on' "$work/s1.sql" || fail "script does not stop on errors"
[ "$(grep -c '^BEGIN IMMEDIATE;' "$work/s1.sql")" = 3 ] || fail "expected 3 transactional steps"
q < "$work/s1.sql" > "$work/out1" 2>&1 || { cat "$work/out1"; fail "script failed"; }
[ ! -s "$work/out1" ] || { cat "$work/out1"; fail "script printed output"; }

[ "$(q "SELECT group_concat(coalesce(version, name) || ':' || state, ' ') FROM dbmigrate_status")" = \
  "1:applied 2:applied 3:applied note count:applied" ] || fail "not all applied: $(q 'SELECT * FROM dbmigrate_status')"
[ "$(q "SELECT count(*) FROM dbmigrate_history WHERE success AND direction = 'up'")" = 4 ] || fail "history"
[ "$(q "SELECT count(*) FROM dbmigrate_history WHERE duration_ms IS NULL")" = 0 ] || fail "durations"
[ "$(q "SELECT count(*) FROM dbmigrate_validate")" = 0 ] || fail "validate: $(q 'SELECT * FROM dbmigrate_validate')"
[ "$(q "SELECT dbmigrate_current()")" = 3 ] || fail "current"

# A fresh script has nothing to do, and running it changes nothing.
q "SELECT dbmigrate_script();" > "$work/s2.sql"
grep -q '0 pending migration' "$work/s2.sql" || fail "second script not empty"
q < "$work/s2.sql" || fail "empty script failed"
[ "$(q "SELECT count(*) FROM dbmigrate_history")" = 4 ] || fail "empty script changed history"

# The old script again: it stops at the first step, nothing runs twice.
if q < "$work/s1.sql" > "$work/out3" 2>&1; then fail "stale script succeeded"; fi
grep -q 'already applied; this script is stale' "$work/out3" || { cat "$work/out3"; fail "stale message"; }
[ "$(q "SELECT count(*) FROM dbmigrate_history")" = 4 ] || fail "stale script changed history"

# A transactional step that fails leaves no trace.
q "SELECT dbmigrate_add('4', 'broken', 'CREATE TABLE t4 (x); INSERT INTO nowhere VALUES (1);');" >/dev/null
q "SELECT dbmigrate_script();" > "$work/s4.sql"
if q < "$work/s4.sql" > "$work/out4" 2>&1; then fail "broken script succeeded"; fi
[ "$(q "SELECT count(*) FROM sqlite_schema WHERE name = 't4'")" = 0 ] || fail "t4 left behind"
[ "$(q "SELECT state FROM dbmigrate_status WHERE version = '4'")" = pending ] || fail "4 not pending"
[ "$(q "SELECT count(*) FROM dbmigrate_validate")" = 0 ] || fail "validate after tx failure"

# A non-transactional step that fails half way is recorded as failed.
q "SELECT dbmigrate_add('4', 'broken', '-- dbcare:no-transaction
CREATE TABLE t4 (x);
INSERT INTO nowhere VALUES (1);');" >/dev/null
q "SELECT dbmigrate_script();" > "$work/s5.sql"
if q < "$work/s5.sql" > "$work/out5" 2>&1; then fail "broken script succeeded"; fi
[ "$(q "SELECT version || ':' || problem FROM dbmigrate_validate")" = "4:failed" ] || fail "failed not reported: $(q 'SELECT * FROM dbmigrate_validate')"
if q "SELECT dbmigrate_apply();" > "$work/out6" 2>&1; then fail "apply ignored the failed record"; fi
grep -q 'did not finish' "$work/out6" || { cat "$work/out6"; fail "apply message"; }
if q "SELECT dbmigrate_assert('3');" > /dev/null 2>&1; then fail "assert ignored the failed record"; fi

# The DBA cleans up by hand, repairs, and runs it again.
q "DROP TABLE t4;"
q "SELECT dbmigrate_add('4', 'fixed', '-- dbcare:no-transaction
CREATE TABLE t4 (x);');" >/dev/null
[ "$(q "SELECT dbmigrate_repair()")" -ge 1 ] || fail "repair"
q "SELECT dbmigrate_script();" | q || fail "script after repair"
[ "$(q "SELECT dbmigrate_current()")" = 4 ] || fail "current after repair"
[ "$(q "SELECT count(*) FROM dbmigrate_validate")" = 0 ] || fail "validate at the end: $(q 'SELECT * FROM dbmigrate_validate')"
echo "dbmigrate_script on SQLite: ok"
