#!/usr/bin/env bash
# The SQLite matrix: the module as built (against Debian's headers) loaded
# into other SQLite versions and into the builds real distributions ship.
# Debian's own 3.40.1 is the sqlite suite's shell; here each other build is
# compiled from the amalgamation better-sqlite3's npm releases carry
# (deps/sqlite3/sqlite3.c; which release carries which version: its
# sqlite3.h), linked into test/harness/sqlite_driver.c, and runs
#   - every golden test (test/sqlite/NAME.sql against expected/NAME.out, or an
#     alternative expected/NAME_N.out: see docs/testing.md for why each exists),
#   - the start-up journey (test/matrix/journey.sql, expected/journey.out).
# Plus: the glue compiles against the oldest supported SQLite's headers (it
# uses no routine a newer SQLite added). The downloads and the builds are
# cached under build/sqlite-matrix (never committed); a download that fails
# is a failed test.
#
#   sqlite_matrix.sh MODULE RESULTS_DIR     (records through $DBC_RESULTS)
#   sqlite_matrix.sh --drivers              (only fills the cache)
# Both run through test/harness/build_step.sh (one at a time on the cache):
# the sqlite suite runs the matrix so, and run_tests.sh fills the cache
# ahead while the first suites run.
set -u
cd "$(dirname "$0")/../.."
root=$(pwd)
module=$1
out_dir=${2:-}
cache="$root/build/sqlite-matrix"
mkdir -p "$cache"
[ "$module" = --drivers ] || mkdir -p "$out_dir"
status=0
selected() { [ -z "${DBC_ONLY:-}" ] || [[ "$1" =~ $DBC_ONLY ]]; }
last_ns=$(date +%s%N)
record() { # verdict name; with the seconds since the previous result
  local now; now=$(date +%s%N)
  echo "$1 $2" >> "$DBC_RESULTS"
  printf '%-4s %s (%d.%ds)\n' "$([ "$1" = PASS ] && echo ok || echo "$1")" "$2" \
    $(((now - last_ns) / 1000000000)) $(((now - last_ns) / 100000000 % 10))
  last_ns=$now
  [ "$1" = PASS ] || status=1
}

# The SQLite version the oldest docs/README.md promises, Debian's options
# for the plain version builds (as `PRAGMA compile_options` of Debian 12's
# libsqlite3 lists them), Python's (python.org's installers build SQLite
# with these), and better-sqlite3's (its deps/defines.gypi, read from the
# release).
debian_opts="-DSQLITE_ENABLE_COLUMN_METADATA -DSQLITE_ENABLE_DBSTAT_VTAB -DSQLITE_ENABLE_FTS3
 -DSQLITE_ENABLE_FTS3_PARENTHESIS -DSQLITE_ENABLE_FTS4 -DSQLITE_ENABLE_FTS5
 -DSQLITE_ENABLE_LOAD_EXTENSION -DSQLITE_ENABLE_MATH_FUNCTIONS -DSQLITE_ENABLE_PREUPDATE_HOOK
 -DSQLITE_ENABLE_RTREE -DSQLITE_ENABLE_SESSION -DSQLITE_ENABLE_STMTVTAB
 -DSQLITE_ENABLE_UNLOCK_NOTIFY -DSQLITE_ENABLE_UPDATE_DELETE_LIMIT -DSQLITE_LIKE_DOESNT_MATCH_BLOBS
 -DSQLITE_MAX_VARIABLE_NUMBER=250000 -DSQLITE_OMIT_LOOKASIDE -DSQLITE_SECURE_DELETE
 -DSQLITE_SOUNDEX -DSQLITE_TEMP_STORE=1 -DSQLITE_THREADSAFE=1 -DSQLITE_USE_URI"
# A build with every optional routine the module uses left out that the
# amalgamation can leave out (SQLITE_OMIT_VIRTUALTABLE cannot be: it would
# refuse the module at load, optional_api.c).
omit_opts="-DSQLITE_OMIT_PROGRESS_CALLBACK -DSQLITE_OMIT_COMPILEOPTION_DIAGS -DSQLITE_MUTEX_OMIT
 -DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_DEPRECATED"
python_opts="-DSQLITE_ENABLE_FTS5 -DSQLITE_ENABLE_FTS4 -DSQLITE_ENABLE_FTS3_PARENTHESIS
 -DSQLITE_ENABLE_MATH_FUNCTIONS -DSQLITE_ENABLE_RTREE -DSQLITE_OMIT_AUTOINIT -DSQLITE_TCL=0"
# name                   better-sqlite3 release  options  tests
builds="sqlite-3.38.2            7.5.1   debian   golden,journey
sqlite-3.53.4            13.0.3  debian   golden,journey
sqlite-3.54.1            13.2.0  debian   golden,journey
better-sqlite3-13.2.0    13.2.0  release  golden,journey
python-sqlite-3.53.4     13.0.3  python   golden,journey
sqlite-3.54.1-omitted    13.2.0  omit     journey
sqlite-3.37.2            7.5.0   debian   refused"
oldest_release=7.5.1

# The amalgamation of a better-sqlite3 release, unpacked once: its directory.
amalgamation() { # release
  local dir="$cache/better-sqlite3-$1"
  if [ ! -f "$dir/done" ]; then
    rm -rf "$dir" && mkdir -p "$dir" || return 1
    (cd "$dir" && npm pack --silent "better-sqlite3@$1" > pack.log 2>&1 &&
       tar -xzf "better-sqlite3-$1.tgz" package/deps/sqlite3 package/deps/defines.gypi &&
       rm "better-sqlite3-$1.tgz" && touch done) || { cat "$dir/pack.log"; return 1; }
  fi
  echo "$dir/package/deps"
}

# The options a build is compiled with.
build_opts() { # kind deps_dir
  case $1 in
  debian) echo "$debian_opts" ;;
  omit) echo "$omit_opts" ;;
  python) echo "$python_opts" ;;
  release) sed -n "s/^ *'\([A-Z_0-9]*\(=[^']*\)\{0,1\}\)',\$/-D\1/p" "$2/defines.gypi" ;;
  esac
}

# One driver per build (-O0: compiling is most of a build's cost).
driver() { # name release kind
  local dir="$cache/$1" deps
  if [ ! -x "$dir/driver" ] || [ "$root/test/harness/sqlite_driver.c" -nt "$dir/driver" ]; then
    deps=$(amalgamation "$2") || return 1
    mkdir -p "$dir" &&
      # shellcheck disable=SC2046 # one word per option
      gcc -O0 -w -I"$deps/sqlite3" $(build_opts "$3" "$deps") -o "$dir/driver.tmp" \
        "$root/test/harness/sqlite_driver.c" "$deps/sqlite3/sqlite3.c" -lm -lpthread -ldl &&
      mv "$dir/driver.tmp" "$dir/driver" || return 1
  fi
  echo "$dir/driver"
}

# Runs one script with a driver on a fresh database; compares with the
# expected output or one of its alternatives.
golden() { # driver sql expected_dir log
  local work name=$(basename "$2" .sql) alt
  work=$(mktemp -d)
  (cd "$work" && "$1" "$work/test.db" "$module" < "$2" > "$work/out" 2>&1)
  for alt in "$3/$name.out" "$3/${name}"_[0-9].out; do
    if [ -f "$alt" ] && cmp -s "$alt" "$work/out"; then rm -rf "$work"; return 0; fi
  done
  { echo "--- $name"; diff -u "$3/$name.out" "$work/out" | head -40; } >> "$4"
  rm -rf "$work"
  return 1
}

# The cache filled ahead: every download and driver, failures left for the
# matrix's own run to record.
if [ "$module" = --drivers ]; then
  amalgamation "$oldest_release" > /dev/null
  while read -r name release kind tests; do
    driver "$name" "$release" "$kind" > /dev/null 2>&1
  done <<< "$builds"
  exit 0
fi

if selected matrix/oldest-headers; then
  if deps=$(amalgamation "$oldest_release"); then
    bad=
    : > "$out_dir/oldest-headers.log"
    for c in sqlite/*/*.c; do
      gcc -std=c11 -D_POSIX_C_SOURCE=200809L -fsyntax-only -Werror -I"$deps/sqlite3" -Icore -I. \
        -DDBC_VERSION='"matrix"' "$c" >> "$out_dir/oldest-headers.log" 2>&1 || bad="$bad $c"
    done
    if [ -z "$bad" ]; then record PASS matrix/oldest-headers
    else record FAIL matrix/oldest-headers; echo "    uses newer routines:$bad"; fi
  else
    record FAIL matrix/oldest-headers
  fi
fi

while read -r name release kind tests; do
  selected "matrix/$name" || continue
  if ! bin=$(driver "$name" "$release" "$kind" 2> "$out_dir/$name.build.log"); then
    record FAIL "matrix/$name/build"; tail -20 "$out_dir/$name.build.log" | sed 's/^/    /'
    continue
  fi
  if [ "$tests" = refused ]; then # older than supported: the load fails, saying why
    got=$(cd "$out_dir" && echo "SELECT 1;" | "$bin" "$out_dir/$name.db" "$module" 2>&1)
    rc=$?
    want="dbcare: needs SQLite 3.38 or newer, this is ${name#sqlite-}"
    if [ $rc = 2 ] && [[ $got == "Error: "*"$want" ]]; then record PASS "matrix/$name/refused"
    else record FAIL "matrix/$name/refused"; echo "    got: $got"; echo "    want: $want"; fi
    continue
  fi
  log="$out_dir/$name.golden.diff"
  : > "$log"
  failed=
  [[ $tests == *golden* ]] || log=
  for sql in ${log:+test/sqlite/*.sql}; do
    golden "$bin" "$root/$sql" "$root/test/sqlite/expected" "$log" || failed="$failed $(basename "$sql" .sql)"
  done
  if [ -z "$log" ]; then :
  elif [ -z "$failed" ]; then record PASS "matrix/$name/golden"
  else record FAIL "matrix/$name/golden"; echo "    failed:$failed"; head -60 "$log" | sed 's/^/    /'; fi
  log="$out_dir/$name.journey.diff"
  : > "$log"
  if golden "$bin" "$root/test/matrix/journey.sql" "$root/test/matrix/expected" "$log"; then
    record PASS "matrix/$name/journey"
  else
    record FAIL "matrix/$name/journey"; sed 's/^/    /' "$log"
  fi
done <<< "$builds"
exit $status
