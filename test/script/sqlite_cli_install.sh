#!/usr/bin/env bash
# make install puts the command and the SQLite module under
# $(DESTDIR)$(PREFIX) (bin/dbcare, lib/dbcare.so); the installed command
# finds its module beside itself, with no option or environment. With a
# wrong PG_CONFIG, `make install` fails before installing anything (as a
# PGXS Makefile does) unless the SQLite part alone is asked for.
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
set +e
make -s --no-print-directory -C "$root" install PG_CONFIG=/wrong/pg_config DESTDIR="$work/nopg" >"$work/make.log" 2>&1
rc=$?
set -e
[ "$rc" != 0 ] || fail "make install with a wrong PG_CONFIG exited 0"
[ ! -e "$work/nopg" ] || fail "make install with a wrong PG_CONFIG installed: $(find "$work/nopg" -type f)"
grep -q "dbcare: cannot install the PostgreSQL extension" "$work/make.log" || { cat "$work/make.log"; fail "no clear error"; }
for how in "install-sqlite" "install DBC_SQLITE_ONLY=1"; do
  rm -rf "$work/nopg"
  # shellcheck disable=SC2086
  make -s --no-print-directory -C "$root" $how PG_CONFIG=/wrong/pg_config DESTDIR="$work/nopg" >"$work/make.log" 2>&1 ||
    { cat "$work/make.log"; fail "make $how"; }
  [ -x "$work/nopg/usr/local/bin/dbcare" ] && [ -f "$work/nopg/usr/local/lib/dbcare.so" ] || fail "make $how installed nothing"
done
unset DBCARE_MODULE
mkdir "$work/migrations"   # the default --dir
echo 'CREATE TABLE t (a INTEGER PRIMARY KEY);' >"$work/migrations/V1__t.sql"
cd "$work"
"$work/root/opt/dbc/bin/dbcare" migrate --db sqlite:app.db --json >out 2>err || { cat err; fail "installed dbcare"; }
db=$work/app.db
[ "$(q "SELECT group_concat(version || state) FROM dbmigrate_status")" = 1applied ] || fail "not migrated"
echo ok
