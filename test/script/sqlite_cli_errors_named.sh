#!/usr/bin/env bash
# Errors of the command on SQLite that name what to fix (issue 62): a
# migrate on a file its user cannot write, or in a folder where SQLite
# cannot make its journal, names the file (or folder) and the remedy instead
# of SQLite's bare "attempt to write a readonly database"; and `dbcare dump`
# writes the same bytes for one schema whatever the file is called (dev.db,
# ci.db), so a diff of two dumps is a schema change.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"
export DBCARE_MODULE="$module"

mkdir m
echo 'CREATE TABLE a (id INTEGER PRIMARY KEY, n TEXT);' >m/V1__a.sql
run 0 migrate --db sqlite:dev.db --dir m
cp dev.db ci.db

# dump: one schema, the same bytes from either file
run 0 dump --db sqlite:dev.db dev.sql
run 0 dump --db sqlite:ci.db ci.sql
cmp dev.sql ci.sql || fail "dumps of one schema differ: $(diff dev.sql ci.sql)"
grep -q 'CREATE TABLE a ' dev.sql || fail "the dump lacks the table: $(cat dev.sql)"

# a writer that may not write: as root, run as nobody (root writes any file)
as_user() {
  if [ "$(id -u)" = 0 ]; then
    command -v setpriv >/dev/null || fail "setpriv (util-linux) is needed to run as another user"
    setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
  else
    "$@"
  fi
}
runas() {
  local want=$1; shift
  set +e; as_user "$cli" "$@" >"$work/out" 2>"$work/err"; local got=$?; set -e
  [ "$got" = "$want" ] || { cat "$work/out" "$work/err"; fail "dbcare $*: exit $got, want $want"; }
}
echo 'CREATE TABLE b (id INTEGER PRIMARY KEY);' >m/V2__b.sql
mkdir ro && cp dev.db ro/app.db
chmod 755 "$work" ro m && chmod 644 ro/app.db m/*
runas 1 migrate --db sqlite:ro/app.db --dir m
has 'app.db' err
has 'HINT: ' err
grep -q '^dbcare: attempt to write a readonly database$' err && fail "the bare SQLite error: $(cat err)"
# the file writable, its folder not: the folder is named
chmod 666 ro/app.db
runas 1 migrate --db sqlite:ro/app.db --dir m
has 'its folder' err
has '/ro ' err
# once both are writable the same run applies
chmod 777 ro
runas 0 migrate --db sqlite:ro/app.db --dir m
has '1 migration(s) applied' out
echo ok
