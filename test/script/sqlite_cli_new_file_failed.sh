#!/usr/bin/env bash
# A migrate that fails on a SQLite file it created removes the file (a new
# database is made whole or not at all), even when a migration outside a
# transaction committed before the error; the user is told the file went,
# after "N migration(s) applied before the error", so the count never
# reads as kept.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"
mkdir m
printf -- '-- dbcare:no-transaction\nCREATE TABLE a (id integer PRIMARY KEY);\n' >m/1_a.up.sql
printf 'DROP TABLE a;\n' >m/1_a.down.sql
printf 'CREATE TABLE b (id integer PRIMARY KEY REFERENCES nowhere_at_all(id), x);\nSELECT no_such_function();\n' >m/2_b.up.sql
printf 'DROP TABLE b;\n' >m/2_b.down.sql
export DBCARE_MODULE="$module.so"
run 1 migrate --db sqlite:new.db --dir m
has '1 migration(s) applied before the error' out
has "dbcare: removed new.db, which this failed run created" err
[ ! -e new.db ] && [ ! -e new.db-journal ] || fail "the failed run left new.db"
# a file that was there before is never removed
run 0 migrate --db sqlite:kept.db --dir m --to 1
run 1 migrate --db sqlite:kept.db --dir m
[ -f kept.db ] || fail "a failed run removed a database it did not create"
grep -q 'removed' err && fail "a failed run on an existing file says it removed it"
echo ok
