#!/usr/bin/env bash
# `dbcare migrate` as a PostgreSQL role without dbcare's grants (issue 62):
# PostgreSQL's bare "permission denied for function dbmigrate_add" becomes
# an error naming the role, with the GRANT and the recipe of
# docs/migrations.md as its hint; with that recipe granted, the same run
# applies.
set -eu
db=dbcare_cli_role_grants
. "$(dirname "$0")/lib/pg.sh"
py=/usr/bin/python3
. "$(dirname "$0")/lib/cli.sh"
fresh_db
role=dbcare_nogrant_$$
"$B/psql" -X -q -d postgres -c "DROP ROLE IF EXISTS $role" -c "CREATE ROLE $role LOGIN"
trap 'cleanup; "$B/psql" -X -q -d postgres -c "DROP ROLE IF EXISTS $role" >/dev/null 2>&1 || true' EXIT
q -c "GRANT CREATE ON SCHEMA public TO $role"
url="postgresql:///$db?host=$PGHOST&port=$PGPORT&user=$role"
mkdir m
echo 'CREATE TABLE a (id int);' >m/V1__a.sql

run 1 migrate --db "$url" --dir m
has "role \"$role\"" err
has 'permission denied for function dbmigrate_add' err
has "GRANT EXECUTE ON FUNCTION dbmigrate_add(text, text, text, text) TO \"$role\"" err
has 'docs/migrations.md' err
has 'or as the role that installed the extension (it owns its objects).' err # not the database's owner
grep -q "database's owner" err && fail "the hint sends the role to the database's owner: $(cat err)"

# the recipe the hint names, for this role: the run applies
sed -n '/<!-- role-recipe: migrator -->/,/^  ```$/p' "$root/docs/migrations.md" |
  sed '1,2d;$d' | grep -v '^  CREATE ROLE' | sed "s/migrator/$role/g" >grants.sql
[ -s grants.sql ] || fail "no migrator recipe in docs/migrations.md"
q -f grants.sql >/dev/null
run 0 migrate --db "$url" --dir m
has '1 migration(s) applied' out
# a grant of the recipe missing: the hint names the function denied
q -c "REVOKE EXECUTE ON FUNCTION dbmigrate_online_done(text) FROM $role" >/dev/null
run 1 rollback --db "$url" --dir m
has "GRANT EXECUTE ON FUNCTION dbmigrate_online_done TO \"$role\"" err
echo ok
