#!/usr/bin/env bash
# Real Prisma histories, as Prisma keeps them, migrated by `dbcare migrate`
# unchanged on PostgreSQL: the prisma/migrations folders of two npm
# packages (@dxheroes/local-mcp-database and @danielcok17/prisma-db,
# pinned; fetched at test time, never committed: lib/histories.sh), each
# <timestamp>_<name>/migration.sql in folder name order. The schema each
# leaves is the one the same files give run in Prisma's order with psql;
# status names the layout and passes --exit-code; a second run applies
# nothing.
set -eu
db=dbcare_j_prisma_history
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/histories.sh"
py=/usr/bin/python3
. "$(dirname "$0")/lib/cli.sh"
url="postgresql:///$db?host=$PGHOST&port=$PGPORT"
ref=${db}_ref
trap '"$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $ref" >/dev/null 2>&1 || true; cleanup' EXIT
dump() { "$B/pg_dump" -s -n public -d "$1" | grep -v -e '^--' -e '^.restrict' -e '^.unrestrict'; }

for history in local-mcp-database prisma-db; do
  migs=$(history_dir $history)/package/prisma/migrations
  n=$(find "$migs" -name migration.sql | wc -l)
  [ "$n" -ge 9 ] || fail "$history has $n migration.sql files, want 9 or more"

  fresh_db
  run 0 migrate --db "$url" -d "$migs"
  has "$n migration(s) applied" out
  run 0 status --db "$url" -d "$migs" --exit-code
  has "layout: Prisma folders (migration.sql), in folder name order" err
  run 0 migrate --db "$url" -d "$migs"
  [ "$(q -c "SELECT count(*) FROM dbmigrate_status() WHERE state = 'applied'")" = "$n" ] ||
    fail "$history: applied: $(q -c 'SELECT version, state FROM dbmigrate_status()')"
  [ "$(q -c "SELECT min(version) FROM dbmigrate_status()")" = "$(cd "$migs" && LC_ALL=C ls -d 2*_* | head -1)" ] ||
    fail "$history: the version is the folder's name"

  # the same files, run by psql in Prisma's order (folder names, bytes)
  "$B/psql" -X -q -d postgres -c "DROP DATABASE IF EXISTS $ref" -c "CREATE DATABASE $ref"
  for f in $(cd "$migs" && LC_ALL=C ls -d 2*_*/migration.sql); do
    "$B/psql" -X -q -v ON_ERROR_STOP=1 -d "$ref" -f "$migs/$f" >/dev/null || fail "psql: $history $f"
  done
  dump "$db" >"$work/dbcare.sql"
  dump "$ref" >"$work/ref.sql"
  diff "$work/ref.sql" "$work/dbcare.sql" >"$work/diff" ||
    fail "$history: the schemas differ: $(head -40 "$work/diff")"
  grep -q 'CREATE TABLE public' "$work/dbcare.sql" || fail "$history: no table in the dump"
done
echo ok
