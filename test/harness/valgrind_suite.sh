#!/usr/bin/env bash
# Valgrind memcheck suite (make check-valgrind): every SQLite golden test
# (test/sqlite/*.sql) run by the real sqlite3 shell under memcheck with the
# normal build of the module. A test passes when its output still matches
# test/sqlite/expected/NAME.out and memcheck found no error and nothing
# definitely lost. "Still reachable" and "possibly lost" blocks are not counted:
# they are the shell's, libc's and OpenSSL's one-time allocations at exit.
# No suppression file is needed (see docs/security.md).
set -u
cd "$(dirname "$0")/../.."
: "${DBC_RESULTS:?run through test/harness/run_tests.sh}"
root=$(pwd)
module="$root/build/sqlite/dbcare"
out_dir="$root/build/valgrind-results"
rm -rf "$out_dir"
mkdir -p "$out_dir"
status=0

DBC_LAST_NS=$(date +%s%N)
record() { # verdict name
  echo "$1 $2" >> "$DBC_RESULTS"
  # The seconds since the previous result: what each test costs the suite.
  local now; now=$(date +%s%N)
  printf '%-4s %s (%d.%ds)\n' "$([ "$1" = PASS ] && echo ok || echo "$1")" "$2" \
    $(((now - DBC_LAST_NS) / 1000000000)) $(((now - DBC_LAST_NS) / 100000000 % 10))
  DBC_LAST_NS=$now
}

if ! command -v valgrind > /dev/null; then
  record FAIL "valgrind/not-installed"; exit 1
fi
if [ ! -f "$module.so" ]; then
  record FAIL "valgrind/module-not-built"; exit 1
fi

for sql in test/sqlite/*.sql; do
  [ -f "$sql" ] || continue
  name=$(basename "$sql" .sql)
  work=$(mktemp -d)
  # Exit status 99 is memcheck's own; the shell exits 1 after any SQL error,
  # which golden tests provoke on purpose.
  (cd "$work" && stdbuf -oL valgrind -q --tool=memcheck --leak-check=full \
     --errors-for-leak-kinds=definite --show-leak-kinds=definite --error-exitcode=99 \
     --log-file="$out_dir/$name.valgrind" \
     sqlite3 -batch -cmd ".load $module" "$work/test.db" \
     < "$root/$sql" > "$out_dir/$name.out" 2>&1)
  rc=$?
  rm -rf "$work"
  expected="test/sqlite/expected/$name.out"
  if [ $rc -eq 99 ] || [ $rc -ge 128 ] || [ -s "$out_dir/$name.valgrind" ]; then
    record FAIL "valgrind/$name"; echo "    exit status $rc"
    head -60 "$out_dir/$name.valgrind" | sed 's/^/    /'; status=1
  elif [ -f "$expected" ] && ! diff -u "$expected" "$out_dir/$name.out" > "$out_dir/$name.diff"; then
    record FAIL "valgrind/$name"; sed 's/^/    /' "$out_dir/$name.diff" | head -40; status=1
  else
    record PASS "valgrind/$name"
  fi
done
exit $status
