#!/usr/bin/env bash
# ASan/UBSan suite (make check-asan): the C unit tests and the SQLite golden
# tests (test/sqlite/*.sql) run against the sanitizer build in build/asan.
# The golden tests go through test/asan/sqlite_driver.c, which carries the
# sanitizer runtime and prints like `sqlite3 -batch` in list mode, so each
# output must match test/sqlite/expected/NAME.out exactly and the run must
# produce no sanitizer report (leaks included). The programs that drive the
# module through SQLite's C API (test/script/lib/capi_*.c, built here by
# `make asan`) run against the sanitized module too.
set -u
cd "$(dirname "$0")/../.."
: "${DBC_RESULTS:?run through test/harness/run_tests.sh}"
root=$(pwd)
build="$root/build/asan"
out_dir="$build/results"
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

# Built here too, so `make test` needs no separate step (a no-op when fresh,
# or built ahead by run_tests.sh), on every core (test/harness/build_step.sh).
if ! test/harness/build_step.sh asan > "$build.log" 2>&1; then
  record FAIL "asan/build"; tail -30 "$build.log" | sed 's/^/    /'; exit 1
fi
# The build's seconds on a line of their own, not in the first test's.
now=$(date +%s%N)
printf '     asan build (%d.%ds)\n' $(((now - DBC_LAST_NS) / 1000000000)) $(((now - DBC_LAST_NS) / 100000000 % 10))
DBC_LAST_NS=$now
rm -rf "$out_dir"
mkdir -p "$out_dir"

# A sanitizer finding exits with 86, distinct from a test's own failure.
# intercept_tls_get_addr=0: Debian 12's libasan (GCC 12) misreads glibc
# 2.36's dynamic TLS blocks of dlopen'ed libraries; its leak check then
# crashes in its own tracer ("Tracer caught signal 11", DTLS at a bogus
# range) at the exit of a clean run (migrate_verify_states; valgrind finds
# nothing there). Leaks are still checked; only that TLS range is not read.
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=0:exitcode=86:strict_string_checks=1:detect_stack_use_after_return=1:intercept_tls_get_addr=0
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:exitcode=86
sanitizer_report() { grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: (Address|UndefinedBehavior|Leak)Sanitizer' "$1"; }

for bin in "$build"/unit/test_*; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin")
  log="$out_dir/$name.log"
  "$bin" > "$log" 2>&1
  rc=$?
  if [ $rc -eq 0 ] && ! grep -q '^not ok' "$log" && ! sanitizer_report "$log"; then
    record PASS "asan/unit/$name"
  else
    record FAIL "asan/unit/$name"; grep -E -A12 '^not ok|ERROR:|runtime error' "$log" | head -40 | sed 's/^/    /'; status=1
  fi
done

# The programs that drive the module through SQLite's C API
# (test/script/lib/capi_*.c; their script tests run them under valgrind).
for bin in "$build"/capi_*; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin")
  log="$out_dir/$name.log"
  work=$(mktemp -d)
  (cd "$work" && "$bin" "$build/sqlite/dbcare" > "$log" 2>&1)
  rc=$?
  rm -rf "$work"
  if [ $rc -eq 0 ] && ! sanitizer_report "$log"; then
    record PASS "asan/capi/$name"
  else
    record FAIL "asan/capi/$name"; echo "    exit status $rc"
    grep -E -A25 'ERROR:|runtime error|FAIL' "$log" | head -50 | sed 's/^/    /'; status=1
  fi
done

for sql in test/sqlite/*.sql; do
  [ -f "$sql" ] || continue
  name=$(basename "$sql" .sql)
  work=$(mktemp -d)
  (cd "$work" && "$build/sqlite_driver" "$work/test.db" "$build/sqlite/dbcare" \
     < "$root/$sql" > "$out_dir/$name.out" 2>&1)
  rc=$?
  rm -rf "$work"
  expected="test/sqlite/expected/$name.out"
  if [ $rc -eq 86 ] || [ $rc -ge 128 ] || sanitizer_report "$out_dir/$name.out"; then
    record FAIL "asan/sqlite/$name"; echo "    exit status $rc"
    grep -E -A25 'ERROR:|runtime error' "$out_dir/$name.out" | head -50 | sed 's/^/    /'; status=1
  elif [ ! -f "$expected" ]; then
    record FAIL "asan/sqlite/$name"; echo "    no expected output $expected"; status=1
  elif diff -u "$expected" "$out_dir/$name.out" > "$out_dir/$name.diff"; then
    record PASS "asan/sqlite/$name"
  else
    record FAIL "asan/sqlite/$name"; sed 's/^/    /' "$out_dir/$name.diff" | head -60; status=1
  fi
done
exit $status
