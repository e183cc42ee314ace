#!/usr/bin/env bash
# Runs the C unit tests of core/ (build/unit/test_*, TAP output) and the
# source checks of core/ (test/script/core_*.sh).
set -u
cd "$(dirname "$0")/../.."
: "${DBC_RESULTS:?run through test/harness/run_tests.sh}"
status=0
if ! ls build/unit/test_* >/dev/null 2>&1; then
  echo "FAIL unit/no-test-binaries (run: make unit)" >> "$DBC_RESULTS"
  exit 1
fi
# Each test binary gets a scratch TMPDIR of its own, which must be empty
# when it ends: a test that leaves files behind fills the disk of every
# machine that runs the suite often.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for bin in build/unit/test_*; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin")
  rm -rf "$scratch" && mkdir -p "$scratch"
  out=$(TMPDIR="$scratch" "$bin" 2>&1)
  rc=$?
  left=$(find "$scratch" -mindepth 1 -maxdepth 1 -printf '%f ' | head -c 300)
  [ -z "$left" ] || out+=$'\nnot ok - the test left in TMPDIR: '"$left"
  if [ $rc = 0 ] && ! grep -q '^not ok' <<<"$out"; then
    echo "PASS unit/$name" >> "$DBC_RESULTS"
    echo "ok   unit/$name ($(grep -c '^ok' <<<"$out") checks)"
    # figures a test reports (the JSON Schema conformance counts)
    grep '^# conformance ' <<<"$out" | sed 's/^# /    /'
  else
    echo "FAIL unit/$name" >> "$DBC_RESULTS"
    echo "FAIL unit/$name"
    grep -A3 '^not ok' <<<"$out" | sed 's/^/    /'
    status=1
  fi
done
for script in test/script/core_*.sh; do
  name=$(basename "$script" .sh)
  if out=$("$script" 2>&1); then
    echo "PASS unit/$name" >> "$DBC_RESULTS"
    echo "ok   unit/$name"
  else
    echo "FAIL unit/$name" >> "$DBC_RESULTS"
    echo "FAIL unit/$name"
    grep '^FAIL' <<<"$out" | sed 's/^/    /'
    status=1
  fi
done
exit $status
