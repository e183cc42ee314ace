#!/usr/bin/env bash
# SQLite suites: golden tests (test/sqlite/NAME.sql against
# test/sqlite/expected/NAME.out, run by the sqlite3 shell on a fresh database
# file with the module loaded), script tests (test/script/sqlite_*.sh), and
# the Python load test. Under run_tests.sh it may run in two shares at once
# (test/harness/select.sh; DBC_SHARE the share's number), each with its own
# results directory, taking the script tests from one pool, the second
# share from the back; the golden tests, the matrix and the Python test are
# the first share's (the second takes script tests only).
set -u
cd "$(dirname "$0")/../.."
: "${DBC_RESULTS:?run through test/harness/run_tests.sh}"
root=$(pwd)
module="$root/build/sqlite/dbcare"
out_dir="$root/build/sqlite-results${DBC_SHARE:+-$DBC_SHARE}"
rm -rf "$out_dir"
mkdir -p "$out_dir"
status=0
# DBC_ONLY=REGEX runs only the tests whose "suite/name" matches (in_run).
. test/harness/select.sh

DBC_LAST_NS=$(date +%s%N)
record() { # verdict name [detail file]
  echo "$1 $2" >> "$DBC_RESULTS"
  # The seconds since the previous result: what each test costs the suite.
  local now; now=$(date +%s%N)
  printf '%-4s %s (%d.%ds)\n' "$([ "$1" = PASS ] && echo ok || echo "$1")" "$2" \
    $(((now - DBC_LAST_NS) / 1000000000)) $(((now - DBC_LAST_NS) / 100000000 % 10))
  DBC_LAST_NS=$now
}

for sql in test/sqlite/*.sql; do
  [ -f "$sql" ] || continue
  name=$(basename "$sql" .sql)
  in_run "sqlite/$name" || continue
  work=$(mktemp -d)
  # Line-buffered stdout keeps results and error messages in source order.
  (cd "$work" && stdbuf -oL sqlite3 -batch -cmd ".load $module" "$work/test.db" \
     < "$root/$sql" > "$out_dir/$name.out" 2>&1)
  rm -rf "$work"
  expected="test/sqlite/expected/$name.out"
  if [ ! -f "$expected" ]; then
    record FAIL "sqlite/$name"; echo "    no expected output $expected (got $out_dir/$name.out)"; status=1
  elif diff -u "$expected" "$out_dir/$name.out" > "$out_dir/$name.diff"; then
    record PASS "sqlite/$name"
  else
    record FAIL "sqlite/$name"; sed 's/^/    /' "$out_dir/$name.diff" | head -60; status=1
  fi
done

export DBCARE_SQLITE_MODULE="$module"
. test/harness/test_limit.sh
# Stopped by run_tests.sh (TERM to the lane and to the test's timeout(1))
# or by Ctrl-C (INT), the suite waits for the test to end, then removes
# its scratch directory.
trap test_limit_abandon EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# The matrix: other SQLite versions and distributions' builds (its tests
# are named matrix/..., selected by DBC_ONLY like any; its downloads and
# builds cached under build/, maybe made ahead by run_tests.sh), run once:
# by the first share after its script tests, or by a later share of the
# pool that comes to it first, before its own (a share that joins the pool
# late takes this one long piece while script tests are left to divide,
# so the shares still end together).
run_matrix() {
  [ -n "${DBC_SHARE_POOL:-}" ] || in_share matrix/ || return 0
  claimed matrix/ || return 0
  test/harness/build_step.sh sqlite-matrix test/harness/sqlite_matrix.sh "$module.so" "$out_dir/matrix" || status=1
  # The matrix printed each of its own tests' seconds: the next test's
  # count starts here, not at the last script test (python/test_load
  # showed the whole matrix's time as its own).
  DBC_LAST_NS=$(date +%s%N)
}
[ "${DBC_SHARE_FROM_END:-}" != 1 ] || run_matrix
for script in $(share_order test/script/sqlite_*.sh); do
  [ -f "$script" ] || continue
  name=$(basename "$script" .sh)
  in_run "script/$name" || continue
  if run_limited "$out_dir/$name.log" "$script"; then
    record PASS "script/$name"
  else
    record FAIL "script/$name"; tail -30 "$out_dir/$name.log" | sed 's/^/    /'; status=1
  fi
done

[ "${DBC_SHARE_FROM_END:-}" = 1 ] || run_matrix

# Proves the module loads outside the sqlite3 shell. Debian's python3 is used
# because other builds may leave out enable_load_extension.
if ! in_run python/test_load; then :
elif /usr/bin/python3 test/python/test_load.py "$module" > "$out_dir/python.log" 2>&1; then
  record PASS "python/test_load"
else
  record FAIL "python/test_load"; sed 's/^/    /' "$out_dir/python.log"; status=1
fi
exit $status
