#!/usr/bin/env bash
# The command calls dbcare's functions by name: a function named like one
# of them on the session's search_path that is not dbcare's (in a schema
# named like the connecting role, "$user", or one a database's
# search_path setting puts first, or an overload beside dbcare's) would
# run in its place with the caller's rights, a superuser's at a backup.
# Such a session is refused at connect, naming the function.
set -eu
db=dbcare_cli_shadowed
. "$(dirname "$0")/lib/pg.sh"
owned_db dbcare_shadow_owner
. "$(dirname "$0")/lib/cli.sh"
"$B/psql" -X -q -v ON_ERROR_STOP=1 -U "$owner" -d "$db" >/dev/null <<SQL
CREATE TABLE items (id int PRIMARY KEY);
CREATE SCHEMA "$PGUSER";
CREATE FUNCTION "$PGUSER".dbschema_fingerprint() RETURNS text LANGUAGE plpgsql AS \$\$ BEGIN
  IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
    RAISE WARNING 'owner code ran as %', current_user; END IF;
  RETURN public.dbschema_fingerprint(); END \$\$;
SQL
url="postgresql://$PGUSER@/$db?host=$PGHOST&port=$PGPORT"
run 1 backup "$work/b.dump" --db "$url"
has "the function $PGUSER.dbschema_fingerprint() of role $owner, on this session's search_path, is named like one of dbcare's and is not dbcare's" err
grep -q "owner code ran" "$work/err" && fail "the shadowing function ran: $(cat "$work/err")"
[ ! -e "$work/b.dump" ] || fail "a refused backup wrote its file"
# the schema gone, the same backup runs
"$B/psql" -X -q -U "$owner" -d "$db" -c "DROP SCHEMA \"$PGUSER\" CASCADE" >/dev/null
run 0 backup "$work/b.dump" --db "$url"
# a database's search_path naming a schema of the owner's first
"$B/psql" -X -q -U "$owner" -d "$db" -c "CREATE SCHEMA own" \
  -c "CREATE FUNCTION own.dbcare_get(text) RETURNS text LANGUAGE sql AS 'SELECT NULL::text'" \
  -c "ALTER DATABASE $db SET search_path = own, public" >/dev/null
run 1 status --db "$url"
has "the function own.dbcare_get(text) of role $owner" err
echo ok
