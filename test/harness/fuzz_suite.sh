#!/usr/bin/env bash
# Fuzz suite: builds the libFuzzer targets (test/fuzz/fuzz_<name>.c, clang)
# and runs each for FUZZ_SECONDS (default 3 in the suite) from its seed corpus
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
seconds=${FUZZ_SECONDS:-3}
build=build/fuzz
status=0

seconds_since() { # start_ns: the seconds since then, as 12.3
  local ns=$(($(date +%s%N) - $1))
  echo "$((ns / 1000000000)).$((ns / 100000000 % 10))"
}
record() { # verdict name start_ns
  echo "$1 $2" >> "$DBC_RESULTS"
  # The targets run side by side: each shows its own seconds.
  printf '%-4s %s (%ss)\n' "$([ "$1" = PASS ] && echo ok || echo "$1")" "$2" "$(seconds_since "$3")"
}

# How many targets may run at once: FUZZ_JOBS when set; under run_tests.sh,
# the cores no other running lane holds (asked again before each target, so
# the suite widens when the other lanes end); else every core.
jobs_now() {
  local cores lanes
  if [ -n "${FUZZ_JOBS:-}" ]; then echo "$FUZZ_JOBS"; return; fi
  cores=$(nproc)
  if [ -n "${DBC_LANES_DIR:-}" ] && [ -d "$DBC_LANES_DIR" ]; then
    lanes=$(find "$DBC_LANES_DIR" -mindepth 1 -maxdepth 1 | wc -l)
    [ "$lanes" -ge 1 ] || lanes=1
    cores=$((cores - (lanes - 1)))
  fi
  echo $((cores < 1 ? 1 : cores))
}

mkdir -p "$build"
# The instrumented core and the targets build on every core (a core another
# lane holds is shared, none is left idle if that lane ends meanwhile), or
# were built ahead by run_tests.sh (test/harness/build_step.sh).
start=$(date +%s%N)
if ! test/harness/build_step.sh fuzz-build > "$build/build.log" 2>&1; then
  record FAIL "fuzz/build" "$start"; tail -30 "$build/build.log" | sed 's/^/    /'; exit 1
fi
echo "     fuzz targets built ($(seconds_since "$start")s)"

# Runs one target; records PASS or FAIL.
run_target() {
  local bin=$1 target name seeds work crashes log start
  target=$(basename "$bin")
  name=${target#fuzz_}
  seeds="test/fuzz/corpus/$name"
  work="$build/corpus/$name"
  crashes="$build/crashes/$name/"
  mkdir -p "$work" "$crashes" "$seeds"
  log="$build/$name.log"
  start=$(date +%s%N)
  # One process per target, no forking inside it. Leak detection stays on.
  if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
       -print_final_stats=1 -artifact_prefix="$crashes" "$work" "$seeds" > "$log" 2>&1; then
    record PASS "fuzz/$name" "$start"
  else
    record FAIL "fuzz/$name" "$start"
    grep -E -A20 'ERROR:|runtime error|fuzz invariant|Test unit written' "$log" | head -40 | sed 's/^/    /'
  fi
}

# Each target runs on a core of its own for its full time: as many at once
# as jobs_now says, which is looked at again every half second while the
# suite waits for a free slot.
for bin in "$build"/fuzz_*; do
  [ -x "$bin" ] || continue
  while [ "$(jobs -rp | wc -l)" -ge "$(jobs_now)" ]; do
    sleep 0.5
  done
  run_target "$bin" &
done
wait
grep -q '^FAIL fuzz/' "$DBC_RESULTS" && status=1

if [ -n "${standalone:-}" ]; then
  echo "$(grep -c '^PASS ' "$DBC_RESULTS") passed, $(grep -c '^FAIL ' "$DBC_RESULTS") failed"
fi
exit $status
