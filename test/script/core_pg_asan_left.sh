#!/usr/bin/env bash
# A whole run's plain pg suite leaves to the pg_asan suite the script tests
# that suite runs (test/harness/pg_asan_tests.sh), on the real test files:
# every pg script test runs in such a run, on one build or on both; a test
# the sanitizer suite runs is not run again on the plain build unless its
# header asks for it (dbcare-test-plain-too: a bound of the plain build's
# own); the crash, concurrency and scale tests, which the sanitizer suite
# leaves out, run on the plain build.
set -eu
cd "$(dirname "$0")/../.."
fail() { echo "FAIL: $*"; exit 1; }
. test/harness/pg_asan_tests.sh
asan_picks() { [[ "$1" =~ $PG_ASAN_FILTER ]] && ! [[ "$1" =~ $PG_ASAN_EXCLUDE ]]; }
left=0 both=0 plain=0
for f in test/script/pg_*.sh; do
  n=script/$(basename "$f" .sh)
  if pg_asan_runs "$n" "$f"; then
    asan_picks "$n" || fail "$n is left to pg_asan, which does not run it"
    left=$((left + 1))
  elif asan_picks "$n"; then
    grep -q '^# dbcare-test-plain-too: ..' "$f" || fail "$n runs on both builds without saying why"
    both=$((both + 1))
  else
    plain=$((plain + 1))
  fi
done
# the planted cases, on the files they name
pg_asan_runs script/pg_audit_big test/script/pg_audit_big.sh || fail "pg_audit_big is not left to pg_asan"
! pg_asan_runs script/pg_json_limits test/script/pg_json_limits.sh ||
  fail "pg_json_limits (its memory bound is the plain build's) is left to pg_asan"
! pg_asan_runs script/pg_audit_wal_crash test/script/pg_audit_wal_crash.sh ||
  fail "a crash test is left to pg_asan, which leaves it out"
! pg_asan_runs script/pg_scale_audit test/script/pg_scale_audit.sh || fail "a scale test is left to pg_asan"
[ "$left" -ge 30 ] && [ "$both" -ge 2 ] && [ "$plain" -ge 100 ] ||
  fail "unexpected counts: $left left to pg_asan, $both on both, $plain plain only"
echo "ok: $left script tests on the sanitized build only, $both on both, $plain on the plain build only"
