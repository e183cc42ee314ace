#!/usr/bin/env bash
# dbcare migrate run where there is no migrations/ folder (no --dir): with
# nothing registered in the database either, it is an error that names the
# folder (and points to dbmate's db/migrations when that is here), never
# "0 migration(s) applied" with exit 0; with migrations registered in the
# database, they are applied with a warning that the folder was not found.
# status --exit-code (what cron and monitors run, from HOME or /) holds to
# the same rule: no "0 pending" with exit 0 from the wrong folder. A failed
# migrate leaves no file where it created one (a typo in --db once left an
# empty database that later reported healthy).
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"
db="$work/app.db"
run 1 migrate --db "sqlite:$db"
has 'dbcare: no migration folder "migrations" here, and no migration is registered in' err
has 'nothing to migrate' err
! grep -q 'applied' out || fail "reported as applied: $(cat out)"
[ ! -e "$db" ] || fail "the failed migrate left the database file it created"
run 1 status --db "sqlite:$db" --exit-code
has 'does not exist' err
sqlite3 "$db" "CREATE TABLE app (a)"
run 1 status --db "sqlite:$db" --exit-code
has 'dbcare: no migration folder "migrations" here, and no migration is registered in' err
has 'nothing to check' err
! grep -q '0 pending' out err || fail "status passed as 0 pending: $(cat out err)"
# a look without --exit-code (a new project) is warned, not refused
run 0 status --db "sqlite:$db"
has 'dbcare: no migration folder "migrations" here, and no migration is registered in' err
mkdir -p db/migrations
run 1 migrate --db "sqlite:$db"
has 'HINT: Name the folder with --dir (db/migrations is here: --dir db/migrations).' err
# registered in the database (by SQL): applied, with the warning
q "SELECT dbmigrate_add('1', 'create t', 'CREATE TABLE t (id INTEGER PRIMARY KEY)')" >/dev/null
run 0 migrate --db "sqlite:$db"
has 'dbcare: no migration folder "migrations" here: only the migrations registered in' err
has '1 migration(s) applied' out
q "SELECT dbmigrate_add('2', 'create u', 'CREATE TABLE u (id INTEGER PRIMARY KEY)')" >/dev/null
run 1 status --db "sqlite:$db" --exit-code
has 'only the migrations registered in' err
has '1 pending' err
# --dir that does not exist was and stays an error
run 1 migrate --db "sqlite:$db" --dir nope
has 'could not open migration directory "nope"' err
echo ok
