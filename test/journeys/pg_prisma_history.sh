#!/usr/bin/env bash
# A real Prisma history, as Prisma keeps it, migrated by `dbcare migrate`
# unchanged on PostgreSQL: the prisma/migrations folder of an npm package
# (@dxheroes/local-mcp-database, pinned; fetched at test time, never
# committed: lib/histories.sh), each <timestamp>_<name>/migration.sql in
# folder name order. The schema it leaves is the one the same files give
# run in Prisma's order with psql; status names the layout and passes
# --exit-code; a second run applies nothing.
set -eu
db=dbcare_j_prisma_history
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/histories.sh"
py=/usr/bin/python3
. "$(dirname "$0")/lib/cli.sh"
url="postgresql:///$db?host=$PGHOST&port=$PGPORT"
migs=$(history_dir local-mcp-database)/package/prisma/migrations
n=$(find "$migs" -name migration.sql | wc -l)
[ "$n" -ge 9 ] || fail "the history has $n migration.sql files, want 9 or more"

fresh_db
run 0 migrate --db "$url" -d "$migs"
has "$n migration(s) applied" out
run 0 status --db "$url" -d "$migs" --exit-code
has "layout: Prisma folders (migration.sql), in folder name order" err
run 0 migrate --db "$url" -d "$migs"
[ "$(q -c "SELECT count(*) FROM dbmigrate_status() WHERE state = 'applied'")" = "$n" ] ||
  fail "applied: $(q -c 'SELECT version, state FROM dbmigrate_status()')"
[ "$(q -c "SELECT min(version) FROM dbmigrate_status()")" = "$(cd "$migs" && LC_ALL=C ls -d 2*_* | head -1)" ] ||
  fail "the version is the folder's name"

# the same files, run by psql in Prisma's order (folder names, bytes)
ref=${db}_ref
"$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $ref" -c "CREATE DATABASE $ref"
trap '"$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $ref" >/dev/null 2>&1 || true; cleanup' EXIT
for f in $(cd "$migs" && LC_ALL=C ls -d 2*_*/migration.sql); do
  "$B/psql" -X -q -v ON_ERROR_STOP=1 -d "$ref" -f "$migs/$f" >/dev/null || fail "psql: $f"
done
"$B/pg_dump" -s -n public -d "$db" | grep -v -e '^--' -e '^.restrict' -e '^.unrestrict' >"$work/dbcare.sql"
"$B/pg_dump" -s -n public -d "$ref" | grep -v -e '^--' -e '^.restrict' -e '^.unrestrict' >"$work/ref.sql"
diff "$work/ref.sql" "$work/dbcare.sql" >"$work/diff" || fail "the schemas differ: $(head -40 "$work/diff")"
grep -q 'CREATE TABLE public.profiles' "$work/dbcare.sql" || fail "no profiles table in the dump"
echo ok
