# select.sh — sourced by the suites (sqlite_suite.sh, pg_suite.sh): which of
# its tests a suite's run takes. A test is named "suite/name"
# (script/sqlite_pitr, pg_regress/NAME, ...).
#
# in_share NAME: whether NAME is in the share of the suite this run takes.
# run_tests.sh may split a suite in two shares run in two lanes at once:
# one regex of its test names gives one share DBC_SHARE_IN=REGEX (the tests
# it matches) and the other DBC_SHARE_OUT=REGEX (the others), so each test
# runs in exactly one share. Neither set: the whole suite.
in_share() {
  { [ -z "${DBC_SHARE_IN:-}" ] || [[ "$1" =~ $DBC_SHARE_IN ]]; } &&
    { [ -z "${DBC_SHARE_OUT:-}" ] || ! [[ "$1" =~ $DBC_SHARE_OUT ]]; }
}

# in_run NAME: whether the test NAME runs: in the share, and matched by
# DBC_ONLY=REGEX when the caller set it (to run a few tests while working
# on one part), which so applies within each share.
in_run() {
  { [ -z "${DBC_ONLY:-}" ] || [[ "$1" =~ $DBC_ONLY ]]; } && in_share "$1"
}
