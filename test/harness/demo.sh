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
for step in examples/demo/*.sql; do
  echo
  echo "### $(sed -n '1s/^-- *//p' "$step")"
  sqlite3 -batch -bail -cmd ".load build/sqlite/dbcare" -cmd ".mode box --wrap 100" "$db" < "$step"
done
echo
echo "The demo database is $db; open it with: sqlite3 -cmd '.load build/sqlite/dbcare' $db"
