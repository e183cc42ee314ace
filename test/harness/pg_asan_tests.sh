# pg_asan_tests.sh — which PostgreSQL tests run on the sanitized module
# (sourced by pg_asan_suite.sh, which runs them, and by pg_suite.sh, which
# leaves their script tests to it in a run that has both suites).
#
# The tests of the parts that handle rows and documents in bulk: the audit
# trail, retention and soft delete, the JSON Schema validators and the
# migration runner's rename log as the generator follows it (their
# pg_regress, pgTAP and script tests). Left out: the crash tests, which kill
# backends on purpose, the many-session concurrency tests, which cost the
# most under the sanitizer, and the scale tier (pg_scale_*: the same code at
# 10^5 rows, a speed and size check; the spill past work_mem is driven here
# by pg_audit_spilled_statement and pg_audit_big); they run in the pg suite.
PG_ASAN_FILTER='audit|retain|softdelete|purge|json|generate_recorded|generate_hostile'
PG_ASAN_EXCLUDE='crash|concurrency|/pg_scale_'

# pg_asan_runs NAME SCRIPT: whether the pg_asan suite runs script test NAME
# ("script/pg_..."), from file SCRIPT, and the plain build need not run it
# again. The sanitized module is the same source (-O1): each of the test's
# checks holds there too, with the memory and undefined behaviour checked
# besides. A test that also checks the plain build's own cost or runs it
# longer (a bound of CPU, more rounds) says so in its header, a line
# "# dbcare-test-plain-too: WHY", and runs on both.
pg_asan_runs() {
  [[ "$1" =~ $PG_ASAN_FILTER ]] && ! [[ "$1" =~ $PG_ASAN_EXCLUDE ]] &&
    ! grep -q '^# dbcare-test-plain-too:' "$2"
}
