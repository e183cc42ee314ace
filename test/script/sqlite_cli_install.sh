#!/usr/bin/env bash
# make install puts the command and the SQLite module under
# $(DESTDIR)$(PREFIX) (bin/dbcare, lib/dbcare.so); the installed command
# finds its module beside itself, with no option or environment.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
root="$(cd "$(dirname "$0")/../.." && pwd)"
make -s --no-print-directory -C "$root" install-cli DESTDIR="$work/root" >"$work/make.log" 2>&1 ||
  { cat "$work/make.log"; fail "make install-cli"; }
[ -x "$work/root/usr/local/bin/dbcare" ] || fail "no /usr/local/bin/dbcare under DESTDIR"
[ -f "$work/root/usr/local/lib/dbcare.so" ] || fail "no /usr/local/lib/dbcare.so under DESTDIR"
make -s --no-print-directory -C "$root" install-cli DESTDIR="$work/root" PREFIX=/opt/dbc >"$work/make.log" 2>&1 ||
  { cat "$work/make.log"; fail "make install-cli PREFIX=/opt/dbc"; }
[ -x "$work/root/opt/dbc/bin/dbcare" ] && [ -f "$work/root/opt/dbc/lib/dbcare.so" ] || fail "PREFIX not followed"
unset DBCARE_MODULE
mkdir "$work/migrations"   # the default --dir
echo 'CREATE TABLE t (a INTEGER PRIMARY KEY);' >"$work/migrations/V1__t.sql"
cd "$work"
"$work/root/opt/dbc/bin/dbcare" migrate --db sqlite:app.db --json >out 2>err || { cat err; fail "installed dbcare"; }
db=$work/app.db
[ "$(q "SELECT group_concat(version || state) FROM dbmigrate_status")" = 1applied ] || fail "not migrated"
echo ok
