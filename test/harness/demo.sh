#!/usr/bin/env bash
# make demo: dbcare on SQLite, end to end, in a fresh demo database under
# build/demo. Each step is a plain SQL file in examples/demo/, run in order
# by the sqlite3 shell from the repository root with the module loaded.
set -euo pipefail
cd "$(dirname "$0")/../.."
db=build/demo/demo.db
mkdir -p build/demo
rm -f "$db" "$db"-journal "$db"-wal
rm -rf build/demo/backups && mkdir build/demo/backups
# backup.dir must be absolute (a relative one would move with each process's
# working directory): the steps read it from the @backup_dir parameter.
backup_dir="$PWD/build/demo/backups"
backup_dir_literal="'${backup_dir//\'/\'\'}'"
for step in examples/demo/*.sql; do
  echo
  echo "### $(sed -n '1s/^-- *//p' "$step")"
  sqlite3 -batch -bail -cmd ".load build/sqlite/dbcare" -cmd ".mode box --wrap 100" \
    -cmd ".parameter set @backup_dir \"$backup_dir_literal\"" "$db" < "$step"
done

# The same migrations through the dbcare command (docs/cli.md), on a second
# database: the files are read by the command, the extension decides.
cli_db=build/demo/cli.db
rm -f "$cli_db" "$cli_db"-journal
export DBCARE_MODULE=build/sqlite/dbcare.so
echo
echo "### The dbcare command: the same migrations on $cli_db"
for cmd in "new add_notes --dir build/demo/new-migrations" \
           "migrate --db sqlite:$cli_db --dir examples/migrations --dry-run" \
           "migrate --db sqlite:$cli_db --dir examples/migrations" \
           "status --db sqlite:$cli_db --dir examples/migrations --exit-code" \
           "maintain --db sqlite:$cli_db" \
           "health --db sqlite:$cli_db --fail-on warning"; do
  echo
  echo "\$ dbcare $cmd"
  rm -rf build/demo/new-migrations
  eval "build/cli/dbcare $cmd"
done
echo
echo "The demo database is $db; open it with: sqlite3 -cmd '.load build/sqlite/dbcare' $db"
