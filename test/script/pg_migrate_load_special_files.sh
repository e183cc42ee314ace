#!/usr/bin/env bash
# dbmigrate_load reads regular files only (issue 19, finding 11): a FIFO
# named like a migration must never block the backend (open() on a FIFO
# waits for a writer, beyond every cancel), and a symbolic link is never
# followed (a link to /etc/passwd is not read as a migration). Either makes
# the whole load fail at once, naming the file; nothing is registered.
set -eu
db=dbcare_migrate_load_special
. "$(dirname "$0")/lib/pg.sh"
fresh_db

dir="$work/mig"
mkdir "$dir"
chmod a+rx "$work" "$dir"
printf 'CREATE TABLE t1 (id int);\n' > "$dir/V1__ok.sql"
chmod a+r "$dir/V1__ok.sql"
mkfifo "$dir/V2__x.sql"
rc=0
timeout 20 "$B/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$db" -c "SELECT dbmigrate_load('$dir')" > "$work/fifo.out" 2>&1 || rc=$?
[ $rc != 124 ] || fail "dbmigrate_load blocked on a FIFO"
[ $rc != 0 ] || fail "a FIFO was accepted: $(cat "$work/fifo.out")"
grep -q 'V2__x.sql: not a regular file' "$work/fifo.out" || fail "FIFO message: $(cat "$work/fifo.out")"
rm "$dir/V2__x.sql"

ln -s /etc/passwd "$dir/V3__y.sql"
if timeout 20 "$B/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$db" -c "SELECT dbmigrate_load('$dir')" > "$work/link.out" 2>&1; then
  fail "a symbolic link was read: $(q -c 'SELECT version, name FROM dbmigrate_status()')"
fi
grep -q 'V3__y.sql: a symbolic link' "$work/link.out" || fail "link message: $(cat "$work/link.out")"
[ "$(q -c "SELECT count(*) FROM dbcare.migrations")" = 0 ] || fail "something was registered"
rm "$dir/V3__y.sql"

[ "$(q -c "SELECT dbmigrate_load('$dir')")" = 1 ] || fail "a plain directory no longer loads"
echo "dbmigrate_load special files: ok"
