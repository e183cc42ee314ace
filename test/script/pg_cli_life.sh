#!/usr/bin/env bash
# The dbcare lifecycle commands on PostgreSQL: lint (a warning is exit 0,
# exit 3 with --fail-on warning; nothing registered), each --json parsed;
# the password never printed.
set -eu
db=dbcare_cli_life
. "$(dirname "$0")/lib/pg.sh"
root="$(cd "$(dirname "$0")/../.." && pwd)"
cli="$root/build/cli/dbcare"
[ -x "$cli" ] || fail "build/cli/dbcare is missing (make cli)"
unset DATABASE_URL
py=/usr/bin/python3
secret=Sup3rS3cretPw
url="postgresql://$PGUSER:$secret@/$db?host=$PGHOST&port=$PGPORT"
cd "$work"

run() {
  local want=$1; shift
  set +e; "$cli" "$@" >"$work/out" 2>"$work/err"; local got=$?; set -e
  [ "$got" = "$want" ] || { cat "$work/out" "$work/err"; fail "dbcare $*: exit $got, want $want"; }
  ! grep -qF "$secret" "$work/out" "$work/err" || fail "the password was printed by dbcare $*"
}
json() { "$py" -c "import json,sys; d=json.load(open('$work/out')); print($1)"; }
has() { grep -qF -- "$1" "$work/$2" || { cat "$work/out" "$work/err"; fail "missing in $2: $1"; }; }

fresh_db
mkdir -p m && chmod 700 "$work" m
echo 'CREATE TABLE accounts (id int PRIMARY KEY, email text);' >m/V1__accounts.sql
run 0 migrate --db "$url" --dir m
q -c "INSERT INTO accounts SELECT g, 'a' || g FROM generate_series(1, 100) g"

# --- lint: the files read on the client (the server cannot read m/)
echo 'CREATE INDEX accounts_email ON accounts (email);' >m/V2__email.sql
run 0 lint --db "$url" --dir m --json
[ "$(json "d['errors'], d['warnings'], [(f['version'], f['rule']) for f in d['findings']]")" = \
  "0 1 [('2', 'index-not-concurrent')]" ] || fail "lint warning: $(cat out)"
run 3 lint --db "$url" --dir m --fail-on warning
has "index-not-concurrent" out
run 0 lint --db "$url" --dir m --version 2
[ "$(q -c "SELECT count(*) FROM dbmigrate_status() WHERE version = '2'")" = 0 ] || fail "lint registered"
rm m/V2__email.sql
