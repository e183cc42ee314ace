#!/usr/bin/env bash
# dbcare migrate on PostgreSQL where there is no migrations/ folder (no
# --dir): an error naming the folder when nothing is registered either,
# never "0 migration(s) applied" with exit 0 (sqlite_cli_migrate_no_folder.sh
# has the SQLite side); with --commit-each the same.
set -eu
db=dbcare_cli_no_folder
. "$(dirname "$0")/lib/pg.sh"
. "$(dirname "$0")/lib/cli.sh"
url="postgresql://$PGUSER@/$db?host=$PGHOST&port=$PGPORT"
fresh_db
run 1 migrate --db "$url"
has 'dbcare: no migration folder "migrations" here, and no migration is registered in' err
has 'nothing to migrate' err
run 1 migrate --db "$url" --commit-each
has 'no migration folder "migrations" here' err
q -c "SELECT dbmigrate_add('1', 'create t', 'CREATE TABLE t (id int PRIMARY KEY)')" >/dev/null
run 0 migrate --db "$url"
has 'only the migrations registered in' err
has '1 migration(s) applied' out
echo ok
