#!/usr/bin/env bash
# Runs every test suite of dbcare and ends with one line "N passed, N failed".
# DBC_SUITES selects suites (default: "sqlite unit journeys pg pg_asan asan valgrind fuzz"). Each suite appends
# "PASS <suite>/<test>" or "FAIL <suite>/<test>" lines to $DBC_RESULTS.
#
# The suites run in three lanes at once (DBC_LANES=N sets the number: a
# fourth made the whole run slower on two cores; 2 keeps the pg suite in
# one lane and the sqlite suite whole, 1 runs the suites one after the
# other): the PostgreSQL lane (pg's first share, then
# pg_asan), a lane for each of the pg suite's other shares (below, each on
# a throwaway cluster of its own) and the lane of everything else, the
# sqlite suite first (its first share: the others go to the lanes done with
# their own suites). A PostgreSQL test at stock settings spends
# much of its time waiting (fsync at every commit, sessions waiting for each
# other, a kill loop's sleeps), which the other lanes fill; on two cores the
# suite takes about as long as its longest lane. A lane that ends early does
# not leave its core idle: it takes the next suite nobody has started of the
# lanes it follows (each suite runs once, in whichever lane claims it
# first), and the fuzz suite, the last, runs as many targets at once as
# there are cores not held by another running lane. Each output line is
# prefixed with its lane ([pg], [p2], [p3] or [..]); each suite records into a
# file of its own, added to the run's results when it ends. An interrupted
# run (INT, TERM; with one lane, Ctrl-C) stops its lanes and every server
# of its scratch directory (the pg and pg_asan suites').
set -u
cd "$(dirname "$0")/../.."

# The PostgreSQL suites' scratch files (the clusters, their databases,
# backup repositories) go to a directory of this run, in memory where the
# machine has a tmpfs with room (/dev/shm, 4 GiB free): the suites test
# dbcare's behaviour, not the disk's fsync latency, which on a shared
# virtual disk made commit-heavy tests (8 writers, sweeps) several times
# slower, and the PostgreSQL lanes are the suite's longer ones. Killed
# processes lose nothing on a tmpfs either (their writes are in the page
# cache). The other suites keep the default, in any lane: the SQLite kill
# tests time their kills for a disk. A TMPDIR the caller set wins (the
# directory is made in it). Every server of the pg and pg_asan suites lives
# under this directory, so stopping what runs there stops them all; the
# journeys' servers are stopped by their own scripts' traps.
scratch_base=${TMPDIR:-}
if [ -z "$scratch_base" ] && [ -d /dev/shm ] && [ -w /dev/shm ] &&
  [ "$(df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 {print $4}')" -gt 4194304 ] 2>/dev/null; then
  scratch_base=/dev/shm
fi
scratch=$(mktemp -d "${scratch_base:-/tmp}/dbcare-test.XXXXXX") && chmod 1777 "$scratch" || exit 2
. test/harness/test_limit.sh # test_limit_stop_servers

export DBC_RESULTS DBC_LANES_DIR
# Every valgrind a test starts (memcheck, the guard's cachegrind) translates
# without chasing branches into a block's successors: less CPU spent
# translating the interpreters and servers it starts, the same errors found.
# The counts the guard compares are ratios of runs made the same way. A
# VALGRIND_OPTS the caller set is kept, after this.
export VALGRIND_OPTS="--vex-guest-chase=no${VALGRIND_OPTS:+ $VALGRIND_OPTS}"
DBC_RESULTS=$(mktemp)
# One directory per suite claimed, one file per lane still running (the fuzz
# suite counts the lanes to know how many cores it may take).
claims=$(mktemp -d)
DBC_LANES_DIR=$(mktemp -d)
# Every line the lanes print, for the failures' details at the end.
lanes_log=$(mktemp)
DBC_PREBUILD=
lane_groups=() # the process groups of the lanes running in the background
lane_pids=()
# Stops what the run still runs: the test each lane is in (its timeout(1),
# in a process group of its own, passes TERM on to the test's whole group,
# whose EXIT traps stop their servers), the lanes, the builds ahead, and
# then any PostgreSQL server left in the scratch directory.
stop_run() {
  local group members
  for group in "${lane_groups[@]}"; do
    members=$(pgrep -d, -g "$group") || continue
    pkill -TERM -x timeout -P "$members"
    kill -TERM -- -"$group" 2>/dev/null
  done
  [ -z "$DBC_PREBUILD" ] || kill -TERM -- -"$DBC_PREBUILD" 2>/dev/null
  test_limit_stop_servers "$scratch" >&2
}
trap 'stop_run; rm -rf "$DBC_RESULTS" "$claims" "$DBC_LANES_DIR" "$lanes_log" "$scratch"' EXIT
trap 'echo "run_tests: interrupted, stopping the lanes" >&2; exit 130' INT
trap 'exit 143' TERM
# A suite's share, and what the pg suite leaves to pg_asan, are this
# run's to give (run_suite), never inherited.
unset DBC_SHARE DBC_SHARE_IN DBC_SHARE_OUT DBC_SHARE_POOL DBC_SHARE_FROM_END DBC_PG_LEFT_TO_ASAN

# The pg and sqlite suites each run in shares at once when there are
# three lanes or more (pg in one share fewer than there are lanes, sqlite
# in one a lane): a later share (a throwaway cluster of its own for pg) takes script
# tests only, the first everything else too, and all take their script
# tests from one pool, the first share from the front and the others from
# the back (test/harness/select.sh), so they end within a test of each
# other whatever each test costs on the day. The sqlite suite's later
# shares come last in every lane's order: each lane done with its own
# suites joins the sqlite lane on the tests it has not reached. Each test
# runs once; the servers a test starts itself take free ports in its own
# directory.
run_suite() { # suite[:share]
  local suite=${1%%:*} script results
  local env=()
  script="test/harness/${suite}_suite.sh"
  # A split suite's shares (SUITE:1, SUITE:2, ...; test/harness/select.sh),
  # on the suite's pool of script tests, the first from the front, the
  # others from the back; DBC_SHARE names the share (the sqlite suite's
  # results directory).
  case $1 in
  *:1) env+=(DBC_SHARE=1 DBC_SHARE_POOL="$claims/$suite-pool") ;;
  *:*) env+=(DBC_SHARE="${1#*:}" DBC_SHARE_POOL="$claims/$suite-pool" DBC_SHARE_IN='^script/' DBC_SHARE_FROM_END=1) ;;
  esac
  echo "== suite: $1"
  if [ ! -x "$script" ]; then
    echo "FAIL $suite/missing-suite-script" >> "$DBC_RESULTS"
    return
  fi
  # The suite records into a file of its own, added to the run's when it
  # ends. A suite that fails without recording a failure still counts as one.
  # The PostgreSQL suites' scratch files go to the run's scratch directory.
  results=$(mktemp)
  env+=(DBC_RESULTS="$results")
  case $suite in pg | pg_asan) env+=(TMPDIR="$scratch") ;; esac
  # A whole run's pg suite leaves to pg_asan the script tests pg_asan runs
  # (test/harness/pg_asan_tests.sh); a run of a few tests (DBC_ONLY) runs
  # them on both builds.
  [ "$suite" != pg ] || [ -n "${DBC_ONLY:-}" ] || [[ " $suites_run " != *" pg_asan "* ]] ||
    env+=(DBC_PG_LEFT_TO_ASAN=1)
  if ! env "${env[@]}" "$script"; then
    grep -q '^FAIL ' "$results" || echo "FAIL $suite/suite-exit-status" >> "$results"
  fi
  cat "$results" >> "$DBC_RESULTS"
  rm -f "$results"
}

# Runs each suite nobody has claimed yet (mkdir is the atomic claim).
run_lane() { # lane suites...
  local lane=$1 suite
  shift
  touch "$DBC_LANES_DIR/$lane"
  for suite in "$@"; do
    if mkdir "$claims/$suite" 2>/dev/null; then run_suite "$suite"; fi
  done
  rm -f "$DBC_LANES_DIR/$lane"
}

# The lanes' own suites. The other lane's longest suite (sqlite) comes
# first: it is the run's longest stretch of one lane; the short ones after
# it are taken by the PostgreSQL lanes once theirs are done.
lanes=${DBC_LANES:-3}
suites_run=${DBC_SUITES:-sqlite unit journeys pg pg_asan asan valgrind fuzz}
# With three lanes or more, every lane but the other one starts on a share
# of the pg suite: pg:1 in the PostgreSQL lane, pg:2, pg:3, ... each in a
# lane of its own (pg_more).
pg_shares=1
[ "$lanes" -lt 3 ] || pg_shares=$((lanes - 1))
pg_lane=()
pg_more=()
other_lane=()
for suite in $suites_run; do
  case $suite in
  pg)
    if [ "$pg_shares" -gt 1 ]; then
      pg_lane+=(pg:1)
      for ((share = 2; share <= pg_shares; share++)); do pg_more+=("pg:$share"); done
    else
      pg_lane+=(pg)
    fi
    ;;
  pg_asan) pg_lane+=("$suite") ;;
  *) other_lane+=("$suite") ;;
  esac
done
# The sqlite suite in shares when a PostgreSQL lane is there to join it:
# the first in the other lane, the others last in every lane's order. A
# share taken from its pool is divisible work, so it comes after every
# suite that is not: the lanes that come to it once the rest has started
# end within a test of each other.
last=()
if [ "$lanes" -ge 3 ] && [ ${#pg_lane[@]} -gt 0 ]; then
  suites=("${other_lane[@]}")
  other_lane=()
  for suite in "${suites[@]}"; do
    if [ "$suite" = sqlite ]; then
      other_lane+=(sqlite:1)
      for ((share = 2; share <= lanes; share++)); do last+=("sqlite:$share"); done
    else
      other_lane+=("$suite")
    fi
  done
fi

# The builds of the suites that build for themselves, made ahead at the
# lowest CPU priority while the lanes run: they take the moments a lane
# leaves its core idle (a PostgreSQL test waiting on a commit or a lock, a
# test sleeping) instead of each suite's own time (the whole suite only:
# not with DBC_ONLY), in the order the suites come to them, in a process
# group of their own (not a session: nice works within one), which
# test/harness/build_step.sh raises back to the normal priority if a suite
# comes to its target before it is done. The emulators' installs from npm
# (azurite, s3rver) come early: mostly a wait on the registry, which a
# test would otherwise spend with its lane's core idle.
prebuild() { # targets...
  local target
  mkdir -p build
  for target in "$@"; do
    case $target in
    sqlite-clients) set -- test/harness/sqlite_clients_install.sh ;;
    npm-root) set -- test/harness/npm_root.sh ;;
    azurite) set -- test/harness/azurite_install.sh ;;
    s3rver) set -- test/harness/s3rver_install.sh ;;
    sqlite-matrix) set -- test/harness/sqlite_matrix.sh --drivers ;;
    *) set -- ;;
    esac
    nice -n 19 test/harness/build_step.sh "$target" "$@" > "build/prebuild-$target.log" 2>&1
  done
}
start_prebuild() {
  local targets=() step suite
  [ -z "${DBC_ONLY:-}" ] || return 0 # a run of a few tests builds what it needs
  for step in sqlite:sqlite-clients sqlite:azurite sqlite:s3rver sqlite:npm-root pg_asan:pg-asan sqlite:sqlite-matrix asan:asan fuzz:fuzz-build; do
    for suite in "${pg_lane[@]}" "${other_lane[@]}"; do # once for a split suite
      [ "${suite%%:*}" != "${step%%:*}" ] || { targets+=("${step#*:}") && break; }
    done
  done
  [ ${#targets[@]} -gt 0 ] || return 0
  set -m
  prebuild "${targets[@]}" &
  DBC_PREBUILD=$!
  set +m
  DBC_PREBUILD_NICE=$(nice)
  export DBC_PREBUILD DBC_PREBUILD_NICE
}

# Runs a lane in the background, in a process group of its own (stop_run
# ends it), its lines prefixed with PREFIX.
start_lane() { # prefix lane suites...
  local prefix=$1
  shift
  set -m
  run_lane "$@" </dev/null 2>&1 | sed -u "s/^/$prefix /" | tee -a "$lanes_log" &
  lane_pids+=($!)
  lane_groups+=("$(jobs -p %+)")
  set +m
}
if [ "$lanes" = 1 ] || [ $((${#pg_lane[@]} + ${#pg_more[@]} + ${#other_lane[@]})) = 1 ]; then
  run_lane all "${other_lane[@]}" "${pg_lane[@]}" "${pg_more[@]}" "${last[@]}" 2>&1 | tee -a "$lanes_log"
else
  start_prebuild
  # Once its own suites are done, a PostgreSQL lane takes the remaining
  # ones of the lanes after it in this order (the pg suite's other lanes
  # pg_asan first), the other lane only its own; every lane the sqlite
  # suite's later shares last.
  [ ${#pg_lane[@]} = 0 ] ||
    start_lane '[pg]' pg "${pg_lane[@]}" "${other_lane[@]}" "${last[@]}"
  for share in "${pg_more[@]}"; do
    start_lane "[p${share#pg:}]" "pg${share#pg:}" "$share" "${pg_lane[@]}" "${other_lane[@]}" "${last[@]}"
  done
  [ ${#other_lane[@]} = 0 ] || start_lane '[..]' other "${other_lane[@]}" "${last[@]}"
  wait "${lane_pids[@]}"
  lane_groups=()
fi

# Each failure again with the indented lines its suite printed under it
# (up to 40), so the run's last lines say why, not only what.
failure_details() {
  awk '{lane = substr($0, 1, 5) ~ /^\[..\] $/ ? substr($0, 1, 5) : ""; text = substr($0, length(lane) + 1)}
       text ~ /^FAIL / {show = lane; on = 1; n = 0; print; next}
       on && lane == show && text ~ /^    / {if (n++ < 40) print; next}
       lane == show {on = 0}' "$lanes_log"
}
echo
if grep -q '^FAIL ' "$DBC_RESULTS"; then
  echo "== the failures, with their details"
  failure_details
  echo
fi
grep '^FAIL ' "$DBC_RESULTS" | sed 's/^/  /'
passed=$(grep -c '^PASS ' "$DBC_RESULTS")
failed=$(grep -c '^FAIL ' "$DBC_RESULTS")
skipped=$(grep -c '^SKIP ' "$DBC_RESULTS")
if [ "$skipped" -gt 0 ]; then
  grep '^SKIP ' "$DBC_RESULTS" | sed 's/^/  /'
  echo "$passed passed, $failed failed, $skipped skipped (a test that cannot run fails the run)"
else
  echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ] && [ "$skipped" -eq 0 ] && [ "$passed" -gt 0 ]
