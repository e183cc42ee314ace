#!/usr/bin/env bash
# The performance guard's PostgreSQL paths (test/bench/guard.py;
# docs/testing.md, "The performance guard"): trigger-mode audit of a bulk
# INSERT and UPDATE and the JSON Schema CHECK in one INSERT ... SELECT, each
# counted in instructions of a single-user backend (on a scratch data
# directory of the suite's installation: no client, no other process)
# against the unaudited or unchecked side at 50,000 rows, failing when a
# ratio is more than 10 % above the figure test/bench/guard.json records.
# dbcare-test-timeout: 1200
set -eu
: "${PG_BIN:?}"
fail() { echo "FAIL: $*"; exit 1; }
command -v valgrind > /dev/null || fail "valgrind is not installed (test/harness/packages.txt)"
mode=check
[ "${DBC_GUARD_RECORD:-0}" = 1 ] && mode=record
/usr/bin/python3 "$(dirname "$0")/../bench/guard.py" "$mode" postgresql ||
  fail "the performance guard failed (above)"
echo "ok"
