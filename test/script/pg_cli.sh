#!/usr/bin/env bash
# The dbcare command on PostgreSQL: URLs, conninfo strings and libpq's
# environment; a database without the extension gets the CREATE EXTENSION
# to run (--install runs it); passwords never appear in output or errors;
# migration files read on the client (the server cannot read the folder,
# dbmigrate_load could not); the commands and exit codes; --json parsed.
set -eu
db=dbcare_cli
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/cli.sh"
py=/usr/bin/python3
secret=Sup3rS3cretPw
url="postgresql://$PGUSER:$secret@/$db?host=$PGHOST&port=$PGPORT"

"$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" 2>/dev/null
"$B/psql" -X -q -d postgres -c "CREATE DATABASE $db"

# --- connecting: no extension, then --install; every way to name the database
run 1 status --db "$url"
has "dbcare: the dbcare extension is not installed in database \"$db\"" err
has 'CREATE EXTENSION dbcare' err
run 0 status --db "$url" --install --json
[ "$(json "d['engine'], d['database']")" = "postgresql postgresql://$PGUSER:***@/$db?host=$PGHOST&port=$PGPORT" ] ||
  fail "label: $(cat out)"
run 0 status --db "dbname=$db password=$secret" --json
[ "$(json "d['database']")" = "dbname=$db password=***" ] || fail "conninfo label: $(cat out)"
PGDATABASE=$db PGPASSWORD=$secret run 0 status --db postgresql:// --json
PGDATABASE=$db DATABASE_URL=postgres:// run 0 history
run 1 status --db "postgresql://$PGUSER:$secret@/no_such_db?host=$PGHOST&port=$PGPORT"
has 'dbcare: cannot connect to postgresql://' err; has 'no_such_db' err
run 1 status --db "host=$PGHOST port=notaport password=$secret dbname=$db"
run 1 status --db "postgresql://$PGUSER:$secret@/$db?host=$PGHOST&port=$PGPORT&bogus=1"
run 0 wait --db "$url" --timeout 5s
run 1 wait --db "host=$work/nosocket dbname=$db password=$secret" --timeout 300ms
has 'gave up waiting after 0.3s' err

# --- migration files on the client: a folder the server's OS user cannot read
mkdir -p m && chmod 700 "$work" m
run 0 new create_users --dir m
run 0 new add_orders --dir m
echo 'CREATE TABLE users (id int PRIMARY KEY, name text);' >m/V1__create_users.sql
echo 'DROP TABLE users;' >m/U1__create_users.sql
echo 'CREATE TABLE orders (id int PRIMARY KEY, user_id int REFERENCES users);' >m/V2__add_orders.sql
echo 'DROP TABLE orders;' >m/U2__add_orders.sql
if q -c "SELECT dbmigrate_load('$work/m')" >/dev/null 2>&1; then fail "the server read the client's folder"; fi
run 1 status --db "$url" --dir m --exit-code
run 0 migrate --db "$url" --dir m --dry-run --json
[ "$(json "[s['version'] for s in d['plan']]")" = "['1', '2']" ] || fail "dry run"
[ "$(q -c "SELECT count(*) FROM dbmigrate_status()")" = 0 ] || fail "dry run registered"
run 2 migrate --db "$url" --dir m --dryrun
[ "$(q -c "SELECT count(*) FROM dbmigrate_status()")" = 0 ] || fail "a mistyped flag migrated"
run 0 migrate --db "$url" --dir m --json
[ "$(json "d['applied']")" = 2 ] || fail "migrate"
[ "$(q -c "SELECT string_agg(version || state, ',') FROM dbmigrate_status()")" = "1applied,2applied" ] ||
  fail "status after migrate"
run 0 status --db "$url" --dir m --exit-code
# the client registers what dbmigrate_load would: same names and checksums
cp -r "$root/test/fixtures/migrations/flyway" fw && chmod -R a+rX "$work"
run 0 status --db "$url" --dir fw --json
got=$(json "';'.join((m['version'] or '-') + '|' + m['name'] + '|' + m['checksum'] for m in d['migrations'])")
"$B/psql" -X -q -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS ${db}_ref" -c "CREATE DATABASE ${db}_ref"
"$B/psql" -X -q -At -d ${db}_ref -c "SET client_min_messages = warning" -c "CREATE EXTENSION dbcare" \
  -c "SELECT dbmigrate_load('$work/fw')" >/dev/null
want=$("$B/psql" -X -q -At -d ${db}_ref -c "SELECT string_agg(coalesce(version, '-') || '|' || name || '|' || checksum, ';') FROM dbmigrate_status()")
"$B/psql" -X -q -d postgres -c "DROP DATABASE ${db}_ref"
[ "$got" = "$want" ] || fail "CLI registers '$got', dbmigrate_load '$want'"
# a bad folder: nothing registered, every bad file named
cp -r "$root/test/fixtures/migrations/bad" bad
run 1 migrate --db "$url" --dir bad
has 'notes.sql: matches none of the accepted layouts' err; has 'nothing was registered' err
[ "$(q -c "SELECT count(*) FROM dbmigrate_status()")" = 2 ] || fail "bad folder registered something"

run 0 history --db "$url" --json
[ "$(json "len(d['history'])")" = 2 ] || fail "history"
echo 'CREATE INDEX orders_user ON orders (user_id);' >m/V3__index.sql
echo 'DROP INDEX orders_user;' >m/U3__index.sql
run 0 script --db "$url" --dir m; has 'CREATE INDEX orders_user' out
run 0 verify --db "$url" --dir m --json
[ "$(json "[(v['version'], v['up_ok'], v['down_ok'], v['reversible']) for v in d['verified']]")" = \
  "[('3', True, True, True)]" ] || fail "verify: $(cat out)"
run 0 validate --db "$url" --dir m
run 0 migrate --db "$url" --dir m --to 2 --json
[ "$(json "d['applied']")" = 0 ] || fail "--to 2 applied something"
run 0 rollback --db "$url" --steps 2 --json
[ "$(json "d['rolled_back']")" = 2 ] || fail "rollback --steps 2"
run 0 migrate --db "$url" --dir m --quiet
run 0 rollback --db "$url" --to 1 --json
[ "$(json "d['rolled_back']")" = 2 ] || fail "rollback --to 1"
run 1 rollback --db "$url" --to 7; has 'dbcare: ' err
run 0 migrate --db "$url" --dir m --quiet
echo 'CREATE TABLE users (id bigint PRIMARY KEY, name text);' >m/V1__create_users.sql
run 1 validate --db "$url" --dir m --json
[ "$(json "[p['problem'] for p in d['problems']]")" = "['changed']" ] || fail "validate changed"
run 0 repair --db "$url" --dir m
run 0 validate --db "$url" --dir m

# --- health, check, orphans, schema
run 0 health --db "$url" --mode quick --json
[ "$(json "d['engine'], d['mode']")" = "postgresql quick" ] || fail "health json"
run 0 health --db "$url" --mode quick --format prometheus; has 'dbcare_health_score' out
q -c "SELECT dbmigrate_add('1', 'create users', 'CREATE TABLE users (id int PRIMARY KEY);')" >/dev/null
run 3 health --db "$url" --mode quick --fail-on critical
run 0 repair --db "$url" --dir m
run 0 check --db "$url"
q -c "CREATE TABLE prices (amount int)" -c "INSERT INTO prices VALUES (-1)" \
  -c "ALTER TABLE prices ADD CONSTRAINT positive CHECK (amount > 0) NOT VALID"
run 3 check --db "$url" --json
[ "$(json "[c['constraint_name'] for c in d['constraints'] if c['violations']]")" = "['positive']" ] ||
  fail "check: $(cat out)"
run 0 orphans --db "$url" --json
run 0 schema snapshot --db "$url"; cp out a.json
run 0 schema fingerprint --db "$url"
q -c "CREATE TABLE extra (id int)"
run 0 schema snapshot --db "$url"; cp out b.json
run 0 schema diff a.json b.json --db "$url" --json
[ "$(json "[c['change'] for c in d['changes']]")" = "['added']" ] || fail "diff: $(cat out)"

# --- a fleet of two: the summary names both without the password
run 0 status --db "$url" --db "dbname=$db password=$secret" --dir m
has "postgresql://$PGUSER:***@" out; has "dbname=$db password=***" out
echo ok
