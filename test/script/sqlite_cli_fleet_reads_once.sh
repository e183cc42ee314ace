#!/usr/bin/env bash
# A SQLite fleet reads the migration files of --dir once, in the command's
# own process before the workers start, not once per database: every worker
# applies what that one read found (each file opened once for four
# databases), and a folder with a bad file is still reported by each
# database, nothing registered anywhere.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"
command -v strace > /dev/null || fail "strace is missing (test/harness/packages.txt)"
export DBCARE_MODULE="$module"
mkdir -p m tenants
echo 'CREATE TABLE t (id INTEGER PRIMARY KEY);' > m/V1__t.sql
echo 'ALTER TABLE t ADD COLUMN name TEXT;' > m/V2__name.sql
for i in 1 2 3 4; do : > tenants/$i.db; done

strace -f -qq -e trace=open,openat -o trace "$cli" migrate --quiet --jobs 2 \
  --db 'sqlite:tenants/*.db' --dir m > out 2> err || { cat err out; fail "fleet migrate"; }
for f in V1__t.sql V2__name.sql; do
  n=$(grep -c "m/$f\"" trace || true)
  [ "$n" = 1 ] || fail "$f was opened $n times for a fleet of 4 (once expected)"
done
for i in 1 2 3 4; do
  db=tenants/$i.db
  [ "$(q "SELECT group_concat(version || state, ',') FROM dbmigrate_status")" = "1applied,2applied" ] ||
    fail "tenants/$i.db not migrated"
done

# a bad file name: each database reports it, none registers anything
mkdir bad
cp m/*.sql bad/
echo 'SELECT 1;' > bad/V3_missing_second_underscore.sql
for i in 1 2; do : > fresh$i.db; done
if "$cli" migrate --jobs 2 --db 'sqlite:fresh*.db' --dir bad > out 2> err; then
  fail "a folder with a bad file migrated"
fi
[ "$(grep -c 'V3_missing_second_underscore' err)" -ge 2 ] || { cat err; fail "not every database reported the bad file"; }
for i in 1 2; do
  [ "$(sqlite3 fresh$i.db "SELECT count(*) FROM sqlite_schema WHERE name LIKE 'dbcare%'")" = 0 ] ||
    fail "fresh$i.db got bookkeeping from a refused folder"
done
echo ok
