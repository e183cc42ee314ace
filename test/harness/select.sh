# select.sh — sourced by the suites (sqlite_suite.sh, pg_suite.sh): which of
# its tests a suite's run takes. A test is named "suite/name"
# (script/sqlite_pitr, pg_regress/NAME, ...).
#
# in_share NAME: whether NAME is in the share of the suite this run takes.
# run_tests.sh may split a suite in two shares run in two lanes at once:
# DBC_SHARE_IN=REGEX limits a share to the tests it matches and
# DBC_SHARE_OUT=REGEX leaves out the tests it matches. Neither set: the
# whole suite.
in_share() {
  { [ -z "${DBC_SHARE_IN:-}" ] || [[ "$1" =~ $DBC_SHARE_IN ]]; } &&
    { [ -z "${DBC_SHARE_OUT:-}" ] || ! [[ "$1" =~ $DBC_SHARE_OUT ]]; }
}

# claimed NAME: whether this share runs NAME now. The shares of a suite
# given one pool (DBC_SHARE_POOL=DIR) take their tests from it one at a
# time, the first share from the front of the suite's order and the others
# from the back (share_order), so they end within a test of each other
# however long each test turns out to be: the first to make DIR/NAME runs
# it (mkdir is the atomic claim), the others pass it by. No pool: every
# test of the share.
claimed() {
  [ -z "${DBC_SHARE_POOL:-}" ] || { mkdir -p "$DBC_SHARE_POOL" && mkdir "$DBC_SHARE_POOL/${1//\//:}" 2>/dev/null; }
}

# share_order FILE...: the files in the order this share walks them, one a
# line: as given, or from the last when DBC_SHARE_FROM_END=1 (the shares
# that take a pool's tests from the back).
share_order() {
  if [ "${DBC_SHARE_FROM_END:-}" = 1 ]; then printf '%s\n' "$@" | tac; else printf '%s\n' "$@"; fi
}

# in_run NAME: whether the test NAME runs: in the share, matched by
# DBC_ONLY=REGEX when the caller set it (to run a few tests while working
# on one part), which so applies within each share, and claimed from the
# pool when the share has one. Called right before the test runs.
in_run() {
  { [ -z "${DBC_ONLY:-}" ] || [[ "$1" =~ $DBC_ONLY ]]; } && in_share "$1" && claimed "$1"
}
