#!/usr/bin/env bash
# Valgrind memcheck suite (make check-valgrind): every SQLite golden test
# (test/sqlite/*.sql) run by the real sqlite3 shell under memcheck with the
# normal build of the module. A test passes when its output still matches
# test/sqlite/expected/NAME.out and memcheck found no error and nothing
# definitely lost. "Still reachable" and "possibly lost" blocks are not counted:
# they are the shell's, libc's and OpenSSL's one-time allocations at exit.
# No suppression file is needed (see docs/security.md).
#
# All the golden tests run in one memcheck process: memcheck's start-up (the
# shell, the module and its libraries read and translated, about 1.7 CPU
# seconds) is paid once, not once a test. Each test still gets what a run of
# its own gives it: a fresh database file in a directory of its own, which is
# the working directory (.open, .cd), a connection of its own with the module
# loaded, the shell's output settings as at start-up, and its own line numbers
# (.read). Its output is cut out of the whole run's at a marker line printed
# before it. A test whose output differs, or a memcheck error or a definite
# leak in the shared run, is run again alone as before, and that run's verdict
# is the test's (a leak in the shared run that no test shows alone still
# fails, as valgrind/shared-run).
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

memcheck=(valgrind -q --tool=memcheck --leak-check=full --errors-for-leak-kinds=definite
  --show-leak-kinds=definite --error-exitcode=99)

# memcheck_failed RC LOG: the run exited as memcheck does on an error, died
# of a signal, or memcheck wrote anything (-q: only errors and leaks).
memcheck_failed() { [ "$1" -eq 99 ] || [ "$1" -ge 128 ] || [ -s "$2" ]; }

# Runs one golden test alone under memcheck and records its verdict.
run_alone() { # name
  local name=$1 sql="test/sqlite/$1.sql" work rc expected
  work=$(mktemp -d)
  # Exit status 99 is memcheck's own; the shell exits 1 after any SQL error,
  # which golden tests provoke on purpose.
  (cd "$work" && stdbuf -oL "${memcheck[@]}" --log-file="$out_dir/$name.valgrind" \
     sqlite3 -batch -cmd ".load $module" "$work/test.db" \
     < "$root/$sql" > "$out_dir/$name.out" 2>&1)
  rc=$?
  rm -rf "$work"
  expected="test/sqlite/expected/$name.out"
  if memcheck_failed "$rc" "$out_dir/$name.valgrind"; then
    record FAIL "valgrind/$name"; echo "    exit status $rc"
    head -60 "$out_dir/$name.valgrind" | sed 's/^/    /'; status=1
  elif [ -f "$expected" ] && ! diff -u "$expected" "$out_dir/$name.out" > "$out_dir/$name.diff"; then
    record FAIL "valgrind/$name"; sed 's/^/    /' "$out_dir/$name.diff" | head -40; status=1
  else
    record PASS "valgrind/$name"
  fi
}

names=()
for sql in test/sqlite/*.sql; do
  [ -f "$sql" ] && names+=("$(basename "$sql" .sql)")
done

# The shared run's script: per test, the shell's settings back to its
# defaults (the golden tests set .headers, .mode and .log), a fresh database
# in a fresh directory, the module, the marker, the test.
shared=$(mktemp -d)
trap 'rm -rf "$shared"' EXIT
marker="-- dbcare valgrind suite: golden test"
for name in "${names[@]}"; do
  mkdir "$shared/$name"
  printf '.headers off\n.mode list\n.log off\n.open "%s/test.db"\n.load "%s"\n.cd "%s"\n.print "%s %s"\n.read "%s"\n' \
    "$shared/$name" "$module" "$shared/$name" "$marker" "$name" "$root/test/sqlite/$name.sql"
done > "$shared/all.sql"
(cd "$shared" && stdbuf -oL "${memcheck[@]}" --log-file="$out_dir/shared-run.valgrind" \
   sqlite3 -batch < "$shared/all.sql" > "$out_dir/shared-run.out" 2>&1)
rc=$?
# Each test's output: the lines after its marker, up to the next.
awk -v dir="$out_dir" -v marker="$marker " '
  index($0, marker) == 1 {if (out) close(out); out = dir "/" substr($0, length(marker) + 1) ".out"; printf "" > out; next}
  out {print > out}' "$out_dir/shared-run.out"
echo "    ${#names[@]} golden tests in one memcheck process, exit status $rc"

if memcheck_failed "$rc" "$out_dir/shared-run.valgrind"; then
  # Which test? Each alone says; if none does, the shared run still fails.
  echo "    memcheck failed in the shared run: each test again alone"
  before=$status
  for name in "${names[@]}"; do run_alone "$name"; done
  if [ "$status" = "$before" ]; then
    record FAIL "valgrind/shared-run"; echo "    exit status $rc; no test alone shows it"
    head -60 "$out_dir/shared-run.valgrind" | sed 's/^/    /'; status=1
  fi
  exit $status
fi
for name in "${names[@]}"; do
  expected="test/sqlite/expected/$name.out"
  if [ ! -f "$out_dir/$name.out" ]; then
    run_alone "$name" # the shared run never reached it
  elif [ -f "$expected" ] && ! diff -u "$expected" "$out_dir/$name.out" > "$out_dir/$name.diff"; then
    run_alone "$name" # alone, as a test run before this change
  else
    record PASS "valgrind/$name"
  fi
done
exit $status
