#!/usr/bin/env bash
# Runs every test suite of dbcare and ends with one line "N passed, N failed".
# DBC_SUITES selects suites (default: "unit sqlite pg pg_asan asan valgrind fuzz"). Each suite appends
# "PASS <suite>/<test>" or "FAIL <suite>/<test>" lines to $DBC_RESULTS.
set -u
cd "$(dirname "$0")/../.."

export DBC_RESULTS
DBC_RESULTS=$(mktemp)
trap 'rm -f "$DBC_RESULTS"' EXIT

for suite in ${DBC_SUITES:-unit sqlite pg pg_asan asan valgrind fuzz}; do
  script="test/harness/${suite}_suite.sh"
  echo "== suite: $suite"
  if [ ! -x "$script" ]; then
    echo "FAIL $suite/missing-suite-script" >> "$DBC_RESULTS"
    continue
  fi
  # A suite that fails without recording a failure still counts as one.
  before=$(wc -l < "$DBC_RESULTS")
  if ! "$script"; then
    tail -n +"$((before + 1))" "$DBC_RESULTS" | grep -q '^FAIL ' ||
      echo "FAIL $suite/suite-exit-status" >> "$DBC_RESULTS"
  fi
done

echo
grep '^FAIL ' "$DBC_RESULTS" | sed 's/^/  /'
passed=$(grep -c '^PASS ' "$DBC_RESULTS")
failed=$(grep -c '^FAIL ' "$DBC_RESULTS")
skipped=$(grep -c '^SKIP ' "$DBC_RESULTS")
if [ "$skipped" -gt 0 ]; then
  grep '^SKIP ' "$DBC_RESULTS" | sed 's/^/  /'
  echo "$passed passed, $failed failed, $skipped skipped"
else
  echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
