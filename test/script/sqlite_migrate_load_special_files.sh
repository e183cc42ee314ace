#!/usr/bin/env bash
# dbmigrate_load on SQLite reads regular files only (issue 19, finding 11):
# a FIFO named like a migration never blocks the call, a symbolic link is
# never followed (a link to /etc/passwd is not read as a migration); either
# makes the whole load fail at once, naming the file.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
db="$work/app.db"
dir="$work/mig"
mkdir "$dir"
printf 'CREATE TABLE t1 (id INTEGER);\n' > "$dir/V1__ok.sql"
mkfifo "$dir/V2__x.sql"
rc=0
timeout 20 sqlite3 -batch -cmd ".load $module" "$db" "SELECT dbmigrate_load('$dir');" > "$work/fifo.out" 2>&1 || rc=$?
[ $rc != 124 ] || fail "dbmigrate_load blocked on a FIFO"
[ $rc != 0 ] || fail "a FIFO was accepted: $(cat "$work/fifo.out")"
grep -q 'V2__x.sql: not a regular file' "$work/fifo.out" || fail "FIFO message: $(cat "$work/fifo.out")"
rm "$dir/V2__x.sql"

ln -s /etc/passwd "$dir/V3__y.sql"
rc=0
timeout 20 sqlite3 -batch -cmd ".load $module" "$db" "SELECT dbmigrate_load('$dir');" > "$work/link.out" 2>&1 || rc=$?
[ $rc != 0 ] || fail "a symbolic link was read: $(q 'SELECT version, name FROM dbmigrate_status')"
grep -q 'V3__y.sql: a symbolic link' "$work/link.out" || fail "link message: $(cat "$work/link.out")"
[ "$(q "SELECT count(*) FROM dbmigrate_status")" = 0 ] || fail "something was registered"
rm "$dir/V3__y.sql"
[ "$(q "SELECT dbmigrate_load('$dir');")" = 1 ] || fail "a plain directory no longer loads"
echo "dbmigrate_load special files on SQLite: ok"
