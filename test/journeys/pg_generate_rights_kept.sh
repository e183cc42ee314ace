#!/usr/bin/env bash
# A DBA grants the application role by hand and keeps schema.sql free of
# GRANTs (issue 64): `dbcare generate` from it writes no REVOKE, and after
# `dbcare migrate` the application still reads the table and calls its
# SECURITY DEFINER function, which PUBLIC still may not. A changed function
# is made again by the migration and gets its rights back. Before, every
# hand-given right was a REVOKE step of the migration.
set -eu
db=dbcare_j_generate_rights_kept
. "$(dirname "$0")/lib/pg.sh"
py=/usr/bin/python3
. "$(dirname "$0")/lib/cli.sh"
app=${db}_app
url="postgresql:///$db?host=$PGHOST&port=$PGPORT"
drop_app() {
  "$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
  "$B/psql" -X -q -d postgres -c "DROP ROLE IF EXISTS $app" >/dev/null 2>&1 || true
  cleanup
}
trap drop_app EXIT
fresh_db
"$B/psql" -X -q -d postgres -c "SET client_min_messages = warning" -c "DROP ROLE IF EXISTS $app" -c "CREATE ROLE $app" >/dev/null

mkdir migrations
cat >migrations/V1__init.sql <<'SQL'
CREATE TABLE accounts (id bigint PRIMARY KEY, cents bigint NOT NULL);
CREATE FUNCTION credit(n bigint) RETURNS bigint LANGUAGE sql SECURITY DEFINER
  SET search_path = pg_catalog AS 'SELECT n';
REVOKE ALL ON FUNCTION credit(bigint) FROM PUBLIC;
SQL
run 0 migrate --db "$url"
q -c "GRANT SELECT, INSERT ON accounts TO $app" -c "GRANT EXECUTE ON FUNCTION credit(bigint) TO $app" >/dev/null
rights() {
  q -c "SELECT has_table_privilege('$app', 'accounts', 'SELECT'), has_table_privilege('$app', 'accounts', 'INSERT'),
    has_function_privilege('$app', 'credit(bigint)', 'EXECUTE'),
    (SELECT count(*) FROM pg_proc p, aclexplode(p.proacl) a WHERE p.proname = 'credit' AND a.grantee = 0)"
}
[ "$(rights)" = 't|t|t|0' ] || fail "the hand-given rights are not in place: $(rights)"

cat >schema.sql <<'SQL'
CREATE TABLE accounts (id bigint PRIMARY KEY, cents bigint NOT NULL, note text);
CREATE FUNCTION credit(n bigint) RETURNS bigint LANGUAGE sql SECURITY DEFINER
  SET search_path = pg_catalog AS 'SELECT n';
SQL
run 0 generate --to schema.sql add_note --db "$url"
new=$(ls migrations/V*.sql | grep -v V1__init)
grep -l 'ADD COLUMN' $new >/dev/null || fail "no migration adds the column: $(cat $new)"
grep -E '^(GRANT|REVOKE)' $new && fail "a migration from a file without GRANTs plans rights"
run 0 migrate --db "$url"
[ "$(rights)" = 't|t|t|0' ] || fail "after the migration, the application lost a right or PUBLIC got one: $(rights)"

# the function changed: made again, and given its live rights back
sed -i "s/AS 'SELECT n'/AS 'SELECT n + 0'/" schema.sql
run 0 generate --to schema.sql credit_again --db "$url"
f=$(grep -l 'DROP FUNCTION public.credit' migrations/V*.sql) || fail "the changed function is not made again: $(cat migrations/V*.sql)"
grep -q "^REVOKE EXECUTE ON FUNCTION public.credit(n bigint) FROM PUBLIC" $f || fail "PUBLIC's EXECUTE is not taken again in $f: $(cat $f)"
grep -q "^GRANT EXECUTE ON FUNCTION public.credit(n bigint) TO $app" $f || fail "the application's EXECUTE is not given back in $f: $(cat $f)"
run 0 migrate --db "$url"
[ "$(rights)" = 't|t|t|0' ] || fail "after the function was made again: $(rights)"
run 0 generate --to schema.sql nothing --db "$url"
has "nothing to write" err
echo ok
