#!/usr/bin/env bash
# dbmigrate_load on PostgreSQL: server-side directories with Flyway and
# golang-migrate names; all or nothing with every bad file listed; only
# superusers and members of pg_read_server_files may read server files.
set -eu
B="${PG_BIN:?}"
db=dbcare_migrate_load
fail() { echo "FAIL: $*"; exit 1; }
root="$(cd "$(dirname "$0")/../.." && pwd)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# the server reads the files as its own OS user: give it a readable copy
cp -r "$root/test/fixtures/migrations" "$work/m"
chmod -R a+rX "$work"
q() { "$B/psql" -X -q -At -v ON_ERROR_STOP=1 -d $db "$@"; }
"$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" 2>/dev/null
"$B/psql" -X -q -d postgres -c "DROP ROLE IF EXISTS dbcare_loader" -c "DROP ROLE IF EXISTS dbcare_nobody" 2>/dev/null
"$B/psql" -X -q -d postgres -c "CREATE DATABASE $db"
q -c "SET client_min_messages = warning" -c "CREATE EXTENSION dbcare"

# the result counts migrations newly registered or changed, not files
[ "$(q -c "SELECT dbmigrate_load('$work/m/flyway')")" = 4 ] || fail "flyway load"
[ "$(q -c "SELECT string_agg(coalesce(version, 'R') || '=' || name, ';') FROM dbmigrate_status()")" = \
  "1=create authors;1.1=create books;2=add isbn;R=book summary" ] || fail "status: $(q -c 'SELECT * FROM dbmigrate_status()')"
[ "$(q -c "SELECT dbmigrate_apply()")" = 4 ] || fail "apply"
[ "$(q -c "SELECT dbmigrate_rollback('1.1')")" = 1 ] || fail "rollback"
[ "$(q -c "SELECT dbmigrate_load('$work/m/golang')")" = 2 ] || fail "golang load"

n=$(q -c "SELECT count(*) FROM dbmigrate_status()")
if q -c "SELECT dbmigrate_load('$work/m/bad')" > "$work/bad.out" 2>&1; then fail "bad directory loaded"; fi
for what in 'notes.sql: matches none of the accepted layouts' 'U2__orphan.sql: a down script without an up script' \
            'two scripts for version 3' 'COMMIT at line 2'; do
  grep -qF "$what" "$work/bad.out" || { cat "$work/bad.out"; fail "missing: $what"; }
done
for what in 'V4__empty.sql' 'U5__commits.sql'; do
  grep -qF "$what" "$work/bad.out" && { cat "$work/bad.out"; fail "wrongly listed: $what"; }
done
[ "$(q -c "SELECT count(*) FROM dbmigrate_status()")" = "$n" ] || fail "bad load registered something"
if q -c "SELECT dbmigrate_load('$work/nope')" > "$work/nodir.out" 2>&1; then fail "missing directory"; fi
grep -q 'could not open migration directory' "$work/nodir.out" || fail "missing directory message"

# privileges: nobody may not, pg_read_server_files may (with the grants a migration role needs)
"$B/psql" -X -q -d $db -c "CREATE ROLE dbcare_nobody" -c "CREATE ROLE dbcare_loader IN ROLE pg_read_server_files" \
  -c "GRANT EXECUTE ON FUNCTION dbmigrate_load(text) TO dbcare_nobody, dbcare_loader" \
  -c "GRANT USAGE ON SCHEMA dbcare TO dbcare_loader" \
  -c "GRANT SELECT, INSERT, UPDATE ON dbcare.migrations TO dbcare_loader"
if q -v VERBOSITY=verbose -c "SET ROLE dbcare_nobody" -c "SELECT dbmigrate_load('$work/m/flyway')" > "$work/priv.out" 2>&1; then fail "nobody loaded"; fi
grep -q '42501' "$work/priv.out" && grep -q 'pg_read_server_files' "$work/priv.out" || fail "privilege error: $(cat "$work/priv.out")"
[ "$(q -c "SET ROLE dbcare_loader" -c "SELECT dbmigrate_load('$work/m/flyway')")" = 0 ] || fail "loader could not load"
echo "dbmigrate_load on PostgreSQL: ok"
"$B/psql" -X -q -d postgres -c "DROP DATABASE $db" -c "DROP ROLE dbcare_loader" -c "DROP ROLE dbcare_nobody"
