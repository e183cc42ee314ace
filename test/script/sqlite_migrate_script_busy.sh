#!/usr/bin/env bash
# dbmigrate_script() on SQLite, run the way an operator runs it (plain
# `sqlite3 db < script`, no busy timeout of their own) while the application
# reads: in rollback-journal mode a reader's shared lock makes the script's
# COMMIT wait, and the script's own busy timeout lets it wait instead of
# failing with "database is locked". The script stays silent.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
db="$work/app.db"

q "PRAGMA journal_mode = DELETE;" >/dev/null
[ "$(q 'PRAGMA journal_mode;')" = delete ] || fail "not in rollback-journal mode"
q "CREATE TABLE app (id INTEGER PRIMARY KEY); INSERT INTO app VALUES (1);"
q "SELECT dbmigrate_add('1', 'notes', 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)');" >/dev/null
q "SELECT dbmigrate_add('2', 'compact', '-- dbcare:no-transaction
CREATE INDEX notes_body ON notes (body);');" >/dev/null
q "SELECT dbmigrate_script();" > "$work/s.sql"

# the reader: a read transaction holding its shared lock for about 1 s
# (.system marks when the lock is held)
{
  printf 'BEGIN;\nSELECT count(*) FROM app;\n.system touch %s\n' "$work/reading"
  sleep 1
  printf 'COMMIT;\n'
} | sqlite3 -batch "$db" > "$work/reader.out" 2>&1 &
reader=$!
for _ in $(seq 100); do [ -e "$work/reading" ] && break; sleep 0.05; done
[ -e "$work/reading" ] || { kill "$reader" 2>/dev/null; fail "the reader never held its lock"; }

start=$(date +%s%N)
if ! sqlite3 -batch -cmd ".load $module" "$db" < "$work/s.sql" > "$work/out" 2>&1; then
  wait "$reader" || true
  cat "$work/out"; fail "the script failed beside a reader"
fi
waited=$(( ($(date +%s%N) - start) / 1000000 ))
wait "$reader" || { cat "$work/reader.out"; fail "the reader failed"; }
[ ! -s "$work/out" ] || { cat "$work/out"; fail "script printed output"; }
[ "$waited" -ge 300 ] || fail "the script did not wait for the reader (${waited} ms): the test proves nothing"
[ "$(q "SELECT group_concat(version || ':' || state, ' ') FROM dbmigrate_status")" = "1:applied 2:applied" ] ||
  fail "not applied: $(q 'SELECT * FROM dbmigrate_status')"
echo "ok: the script waited ${waited} ms for the reader and applied both steps"
