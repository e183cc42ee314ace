#!/usr/bin/env bash
# The performance guard's SQLite paths (test/bench/guard.py; docs/testing.md,
# "The performance guard"): the audit trail's bulk INSERT and UPDATE, a
# transaction per INSERT and one-row INSERTs in one transaction, the JSON Schema CHECK in one INSERT ... SELECT and
# one prepared row at a time, a migration apply, the full health report, a
# backup and the point-in-time capture, each counted in instructions against
# its unaudited, unchecked or raw side at 50,000 rows, and failing when a
# ratio is more than 10 % above the figure test/bench/guard.json records.
# About a minute and a half of valgrind (cachegrind).
# dbcare-test-timeout: 1200
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
command -v valgrind > /dev/null || fail "valgrind is not installed (test/harness/packages.txt)"
mode=check
[ "${DBC_GUARD_RECORD:-0}" = 1 ] && mode=record
"$py" "$(dirname "$0")/../bench/guard.py" "$mode" sqlite || fail "the performance guard failed (above)"
echo "ok"
