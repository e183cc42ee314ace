#!/usr/bin/env bash
# dbcare rollback of a migration whose down script is marked
# -- dbcare:no-transaction (dbcare generate writes such ones) is refused,
# nothing rolled back, and the hint names the script to run by hand with
# the target the rollback was asked for.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"
export DBCARE_MODULE="$module"

db="$work/app.db"
mkdir m
echo 'CREATE TABLE a (x);' >m/V1__a.sql
echo 'DROP TABLE a;' >m/U1__a.sql
echo 'CREATE TABLE b (x);' >m/V2__b.sql
printf -- '-- dbcare:no-transaction\nDROP TABLE b;\n' >m/U2__b.sql
run 0 migrate --db "sqlite:$db" --dir m
run 1 rollback --to 1 --db "sqlite:$db" --dir m
has "the down script of migration 2 (b) is marked -- dbcare:no-transaction" err
has "HINT: Roll it back with the script SELECT dbmigrate_script('rollback', '1') writes" err
[ "$(q "SELECT dbmigrate_current();")" = 2 ] || fail "a refused rollback rolled back"
# the script the hint names does it
q "SELECT dbmigrate_script('rollback', '1');" >"$work/rollback.sql"
{ echo ".load $module"; cat "$work/rollback.sql"; } | sqlite3 -bail "$db" >/dev/null
[ "$(q "SELECT dbmigrate_current();")" = 1 ] || fail "the hint's script did not roll back to 1"
echo ok
