#!/usr/bin/env bash
# `dbcare restore` restores into the database it checked, whatever its
# name: pg_restore reads a --dbname holding '=' as a connection string,
# so a restore into the empty database "dbname=X" once went into X, which
# held data (its own rows stayed, the dump's objects were added).
set -eu
db=dbcare_restore_name
. "$(dirname "$0")/lib/pg.sh"
fresh_db
. "$(dirname "$0")/lib/cli.sh"
held=${db}_held
odd="dbname=$held"
drop_both() { "$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $held" -c "DROP DATABASE IF EXISTS \"$odd\"" >/dev/null 2>&1 || true; cleanup; }
trap drop_both EXIT
q -c "CREATE TABLE item (id int PRIMARY KEY, v text)" -c "INSERT INTO item VALUES (1, 'a'), (2, 'b')" >/dev/null
url="postgresql://$PGUSER@/$db?host=$PGHOST&port=$PGPORT"
run 0 backup "$work/app.dump" --db "$url"
"$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $held" -c "CREATE DATABASE $held" \
  -c "DROP DATABASE IF EXISTS \"$odd\"" -c "CREATE DATABASE \"$odd\"" >/dev/null
"$B/psql" -X -q -d "$held" -c "CREATE TABLE important (x int)" -c "INSERT INTO important VALUES (42)" >/dev/null
# a database holding only a function, or a type, is not empty: nothing is mixed with it
"$B/psql" -X -q -d "dbname='$odd'" -c "CREATE FUNCTION mine() RETURNS int LANGUAGE sql AS 'SELECT 1'" \
  -c "CREATE TYPE mood AS ENUM ('ok')" >/dev/null
run 1 restore "$work/app.dump" --db "postgresql://$PGUSER@/dbname%3D$held?host=$PGHOST&port=$PGPORT"
has "is not empty (1 function(s), 1 type(s)): nothing restored" err
"$B/psql" -X -q -d "dbname='$odd'" -c "DROP FUNCTION mine()" -c "DROP TYPE mood" >/dev/null
# a file that is no dump (empty, a text) is said to be none, not a dump without a record
: >"$work/empty.dump"
echo "not a dump" >"$work/text.dump"
for f in empty text; do
  set +e; "$cli" verify "$work/$f.dump" --db "$url" >"$work/out" 2>"$work/err"; got=$?; set -e
  [ "$got" != 0 ] || fail "verify of a $f file succeeded"
  grep -q "$work/$f.dump is not a pg_dump archive (empty, cut short, or another file)" "$work/out" "$work/err" ||
    fail "verify of a $f file: $(cat "$work/out" "$work/err")"
done
# into a database that is not there: the server's words, and what makes it
set +e; "$cli" restore "$work/app.dump" --db "postgresql://$PGUSER@/${db}_nosuch?host=$PGHOST&port=$PGPORT" >"$work/out" 2>"$work/err"; got=$?; set -e
[ "$got" != 0 ] || fail "a restore into a missing database succeeded"
grep -q "database \"${db}_nosuch\" does not exist" "$work/err" || fail "no server words: $(cat "$work/err")"
grep -q "HINT: dbcare create --db URL makes it" "$work/err" || fail "no hint: $(cat "$work/err")"
# a dump that is not there is named, apart from the words before it
run 1 restore "$work/nosuch.dump" --db "postgresql://$PGUSER@/dbname%3D$held?host=$PGHOST&port=$PGPORT"
has "dbcare: cannot read the dump $work/nosuch.dump: No such file or directory" err
# a dump whose record was cut (its footer too) is refused, not restored
# unchecked as a dump pg_dump made alone
for cut in 2 40; do
  head -c "-$cut" "$work/app.dump" >"$work/cut.dump"
  run 1 restore "$work/cut.dump" --db "postgresql://$PGUSER@/dbname%3D$held?host=$PGHOST&port=$PGPORT"
  has "the record at the end of the dump $work/cut.dump: it is damaged" err
done
run 0 restore "$work/app.dump" --db "postgresql://$PGUSER@/dbname%3D$held?host=$PGHOST&port=$PGPORT"
[ "$("$B/psql" -X -At -d "dbname='$odd'" -c "SELECT string_agg(v, ',' ORDER BY id) FROM item")" = "a,b" ] ||
  fail "the dump was not restored into \"$odd\""
[ "$("$B/psql" -X -At -d "$held" -c "SELECT count(*) FROM pg_class WHERE relname = 'item'")" = 0 ] ||
  fail "the dump was restored into $held, which was not the database checked"
[ "$("$B/psql" -X -At -d "$held" -c "SELECT count(*) FROM pg_extension WHERE extname = 'dbcare'")" = 0 ] ||
  fail "dbcare was installed into $held"
echo ok
