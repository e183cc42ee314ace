#!/usr/bin/env bash
# Fuzz suite: builds the libFuzzer targets (test/fuzz/fuzz_<name>.c, clang)
# and runs each for FUZZ_SECONDS (default 10 in the suite) from its seed corpus
# test/fuzz/corpus/<name>/ (read only; new inputs go to build/fuzz/corpus/).
# Every file of the seed corpus, including the regression inputs of crashes
# found before, is replayed first, so a regression fails the suite at once.
# A crash leaves its input in build/fuzz/crashes/<name>/ and fails the target.
# `make fuzz FUZZ_SECONDS=60` calls this with --standalone (no run_tests.sh).
set -u
cd "$(dirname "$0")/../.."
if [ "${1:-}" = --standalone ] && [ -z "${DBC_RESULTS:-}" ]; then
  DBC_RESULTS=$(mktemp)
  trap 'rm -f "$DBC_RESULTS"' EXIT
  standalone=1
fi
: "${DBC_RESULTS:?run through test/harness/run_tests.sh}"
seconds=${FUZZ_SECONDS:-10}
build=build/fuzz
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

mkdir -p "$build"
if ! make --no-print-directory fuzz-build > "$build/build.log" 2>&1; then
  record FAIL "fuzz/build"; tail -30 "$build/build.log" | sed 's/^/    /'; exit 1
fi

# Runs one target; records PASS or FAIL.
run_target() {
  local bin=$1 target name seeds work crashes log
  target=$(basename "$bin")
  name=${target#fuzz_}
  seeds="test/fuzz/corpus/$name"
  work="$build/corpus/$name"
  crashes="$build/crashes/$name/"
  mkdir -p "$work" "$crashes" "$seeds"
  log="$build/$name.log"
  # One process per target, no forking inside it. Leak detection stays on.
  if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
       -print_final_stats=1 -artifact_prefix="$crashes" "$work" "$seeds" > "$log" 2>&1; then
    record PASS "fuzz/$name"
  else
    record FAIL "fuzz/$name"
    grep -E -A20 'ERROR:|runtime error|fuzz invariant|Test unit written' "$log" | head -40 | sed 's/^/    /'
  fi
}

# As many targets at once as there are cores (FUZZ_JOBS overrides): each
# still gets its full time on a core of its own, and the suite takes half.
jobs_max=${FUZZ_JOBS:-$(nproc)}
for bin in "$build"/fuzz_*; do
  [ -x "$bin" ] || continue
  run_target "$bin" &
  while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do
    wait -n
  done
done
wait
grep -q '^FAIL fuzz/' "$DBC_RESULTS" && status=1

if [ -n "${standalone:-}" ]; then
  echo "$(grep -c '^PASS ' "$DBC_RESULTS") passed, $(grep -c '^FAIL ' "$DBC_RESULTS") failed"
fi
exit $status
