#!/usr/bin/env bash
# dbcare-test-timeout: 900
# The Debian source package (debian/) builds with dpkg-buildpackage into
# postgresql-15-dbcare, libsqlite3-dbcare and dbcare; unpacked into a clean
# root, each holds its part at the installed path (the SQLite module under
# the multiarch library directory), the module loads from there, and the
# packaged command migrates a database with it. The command's package
# depends on postgresql-client and ships deploy/'s alert rules and dashboard;
# the PostgreSQL package's files load into a PostgreSQL 15.0 server tree. Built from a copy of the
# tree, so the tree's own build is untouched. The copy keeps the tree's
# compiled modules (make test built them a moment ago, with the same
# pg_config) and dpkg-buildpackage runs without its clean step (-nc): what is
# tested is the packaging (debian/rules, what each package holds, the paths),
# not a second compile of the same sources, which took minutes of the suite.
# So are the command's objects and the npm module, but for the objects
# whose sources read the module path compiled in (DBCARE_MODULE_PATH: the
# package's is the multiarch directory, the tree's /usr/local's): those are
# compiled again, and the command linked again with them.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
root="$(cd "$(dirname "$0")/../.." && pwd)"
command -v dpkg-buildpackage >/dev/null && command -v dh >/dev/null ||
  fail "dpkg-buildpackage or debhelper missing (test/harness/packages.txt)"
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
version=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$root/META.json" | head -n 1)
mkdir "$work/src"
(cd "$root" && { git ls-files -co --exclude-standard -z | grep -zv '^build/'
  printf '%s\0' build/pg build/sqlite build/gen build/cli build/npm dbcare.so dbcare.control "dbcare--$version.sql"; } |
  xargs -0 tar -cf - 2>/dev/null) | tar -xf - -C "$work/src"
# the objects any of whose sources or headers (their .d files list them)
# names DBCARE_MODULE_PATH, and the command itself, go: make builds them
# again with the package's path
path_files=$(cd "$root" && grep -rlw DBCARE_MODULE_PATH cli core sqlite --include='*.[ch]')
[ -n "$path_files" ] || fail "no source names DBCARE_MODULE_PATH (test premise)"
recompiled=0
for d in $(find "$work/src/build/cli" -name '*.d'); do
  if tr -s ' \\\n' '\n\n\n' <"$d" | grep -qxF "$path_files"; then
    rm -f "${d%.d}.o" "$d"; recompiled=$((recompiled + 1))
  fi
done
[ "$recompiled" -gt 0 ] || fail "no object of the command reads DBCARE_MODULE_PATH (test premise)"
rm -f "$work/src/build/cli/dbcare"
start=$(date +%s)
(cd "$work/src" && DEB_BUILD_OPTIONS="nocheck noddebs parallel=2" \
  dpkg-buildpackage -b -nc -us -uc >"$work/build.log" 2>&1) || { tail -30 "$work/build.log"; fail "dpkg-buildpackage"; }
echo "dpkg-buildpackage: $(( $(date +%s) - start )) s"
for p in postgresql-15-dbcare libsqlite3-dbcare dbcare; do
  deb=$(ls "$work"/${p}_*.deb 2>/dev/null | head -n 1)
  [ -n "$deb" ] || fail "no $p package: $(ls "$work")"
  dpkg -x "$deb" "$work/root"
done
r=$work/root
[ -f "$r/usr/lib/postgresql/15/lib/dbcare.so" ] || fail "postgresql-15-dbcare has no dbcare.so"
ls "$r/usr/share/postgresql/15/extension/" | grep -q '^dbcare--[0-9.]*\.sql$' || fail "no install script"
[ -f "$r/usr/share/postgresql/15/extension/dbcare.control" ] || fail "no dbcare.control"
[ -f "$r/usr/lib/$multiarch/dbcare.so" ] || fail "libsqlite3-dbcare: no /usr/lib/$multiarch/dbcare.so"
[ -x "$r/usr/bin/dbcare" ] || fail "dbcare: no /usr/bin/dbcare"
[ -f "$r/usr/share/man/man1/dbcare.1.gz" ] && [ -f "$r/usr/share/bash-completion/completions/dbcare" ] &&
  [ -f "$r/usr/share/zsh/site-functions/_dbcare" ] || fail "dbcare: no manual page or completions"
# what the command runs and ships: pg_dump for dump and backup on
# PostgreSQL, the alert rules and the dashboard of deploy/ (byte for byte)
cmd_deb=$(ls "$work"/dbcare_*.deb)
dpkg-deb -f "$cmd_deb" Depends | tr ',' '\n' | grep -qx ' *postgresql-client' ||
  fail "dbcare does not depend on postgresql-client (pg_dump): $(dpkg-deb -f "$cmd_deb" Depends)"
cmp "$r/usr/share/dbcare/prometheus/dbcare.rules.yml" "$root/deploy/prometheus/dbcare.rules.yml" ||
  fail "dbcare: no alert rules in /usr/share/dbcare/prometheus"
cmp "$r/usr/share/dbcare/grafana/dbcare.json" "$root/deploy/grafana/dbcare.json" ||
  fail "dbcare: no dashboard in /usr/share/dbcare/grafana"
# postgresql-15-dbcare asks for PostgreSQL 15, any minor: the module loads
# on all of them (test/script/pg_minors.sh runs the built module on 15.0,
# 15.8 and 15.18); the packaged module takes the same server symbols
pg_deb=$(ls "$work"/postgresql-15-dbcare_*.deb)
[ "$(dpkg-deb -f "$pg_deb" Depends | tr ',' '\n' | grep -E '^ *postgresql-15( |$)' | tr -d ' ')" = postgresql-15 ] ||
  fail "postgresql-15-dbcare: not a plain Depends on postgresql-15: $(dpkg-deb -f "$pg_deb" Depends)"
undefined() { nm -D --undefined-only "$1" | awk '{print $2}' | sort; }
undefined "$r/usr/lib/postgresql/15/lib/dbcare.so" >"$work/packaged.syms"
undefined "$root/dbcare.so" >"$work/built.syms"
diff "$work/built.syms" "$work/packaged.syms" ||
  fail "the packaged PostgreSQL module is not the one test/script/pg_minors.sh loads"
# the packaged extension, put into the tree of an older PostgreSQL 15 (15.0,
# the oldest minor), loads there and passes the smoke journey
PG_BIN=$(pg_config --bindir) DBC_PG_MINORS=15.0.0-beta.6 \
  DBC_MINORS_PKGLIB="$r/usr/lib/postgresql/15/lib" DBC_MINORS_SHARE="$r/usr/share/postgresql/15" \
  bash "$root/test/script/pg_minors.sh" >"$work/minors.log" 2>&1 ||
  { cat "$work/minors.log"; fail "the packaged extension on PostgreSQL 15.0"; }
grep -q '^PostgreSQL 15.0: dbcare loads' "$work/minors.log" || fail "pg_minors: $(cat "$work/minors.log")"
# each package holds its own part only
dpkg-deb -c "$(ls "$work"/dbcare_*.deb)" | grep -q 'dbcare.so' && fail "the command's package holds a module"
[ "$(dpkg-deb -f "$(ls "$work"/libsqlite3-dbcare_*.deb)" Multi-Arch)" = same ] || fail "libsqlite3-dbcare is not Multi-Arch: same"
# the module loads from its installed path; the command compiled that path in
db=$work/app.db
[ "$(sqlite3 -batch -cmd ".load $r/usr/lib/$multiarch/dbcare.so" "$db" "SELECT count(*) >= 0 FROM dbmigrate_status()")" = 1 ] ||
  fail "the packaged module does not load"
strings "$r/usr/bin/dbcare" | grep -qx "/usr/lib/$multiarch/dbcare.so" || fail "the command's default module path is not the packaged one"
mkdir "$work/m"; echo 'CREATE TABLE t (id INTEGER PRIMARY KEY);' >"$work/m/V1__t.sql"
DBCARE_MODULE="$r/usr/lib/$multiarch/dbcare.so" "$r/usr/bin/dbcare" migrate --db "sqlite:$db" --dir "$work/m" --quiet ||
  fail "the packaged command"
[ "$(sqlite3 -batch -cmd ".load $r/usr/lib/$multiarch/dbcare.so" "$db" "SELECT state FROM dbmigrate_status()")" = applied ] || fail "not migrated"
echo ok
