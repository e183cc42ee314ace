#!/usr/bin/env bash
# Runs every test suite of dbcare and ends with one line "N passed, N failed".
# DBC_SUITES selects suites (default: "unit sqlite journeys pg pg_asan asan valgrind fuzz"). Each suite appends
# "PASS <suite>/<test>" or "FAIL <suite>/<test>" lines to $DBC_RESULTS.
#
# The suites run in two lanes at once (DBC_LANES=1 runs them one after the
# other): the PostgreSQL lane (pg, then pg_asan: they share one private
# installation, into which pg_asan puts its sanitized module, so they never
# overlap) and the lane of everything else. A PostgreSQL test at stock
# settings spends much of its time waiting (fsync at every commit, sessions
# waiting for each other), which the other lane fills; on two cores the suite
# takes about as long as its longer lane. The lane that ends first does not
# leave its core idle: it takes the other lane's next suite nobody has
# started (each suite runs once, in whichever lane claims it first), and the
# fuzz suite, the last, runs as many targets at once as there are cores not
# held by another running lane. Each output line is prefixed with its lane
# ([pg] or [..]); each suite records into a file of its own, added to the
# run's results when it ends.
set -u
cd "$(dirname "$0")/../.."

# The PostgreSQL suites' scratch files (the cluster, its databases, backup
# repositories) go to a directory of this run, in memory where the machine
# has a tmpfs with room (/dev/shm, 4 GiB free): the suites test dbcare's
# behaviour, not the disk's fsync latency, which on a shared virtual disk
# made commit-heavy tests (8 writers, sweeps) several times slower, and the
# PostgreSQL lane is the suite's longer one. Killed processes lose nothing on
# a tmpfs either (their writes are in the page cache). The other suites keep
# the default, in either lane: the SQLite kill tests time their kills for a
# disk. A TMPDIR
# the caller set wins.
scratch=
if [ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ] &&
  [ "$(df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 {print $4}')" -gt 4194304 ] 2>/dev/null; then
  scratch=$(mktemp -d /dev/shm/dbcare-test.XXXXXX) && chmod 1777 "$scratch"
fi
pg_tmpdir=${TMPDIR:-$scratch}

export DBC_RESULTS DBC_LANES_DIR
DBC_RESULTS=$(mktemp)
# One directory per suite claimed, one file per lane still running (the fuzz
# suite counts the lanes to know how many cores it may take).
claims=$(mktemp -d)
DBC_LANES_DIR=$(mktemp -d)
# Every line the lanes print, for the failures' details at the end.
lanes_log=$(mktemp)
DBC_PREBUILD=
trap 'rm -rf "$DBC_RESULTS" "$claims" "$DBC_LANES_DIR" "$lanes_log"; [ -z "$scratch" ] || rm -rf "$scratch"
  [ -z "$DBC_PREBUILD" ] || kill -- -"$DBC_PREBUILD" 2>/dev/null' EXIT

run_suite() { # suite
  local suite=$1 script="test/harness/${1}_suite.sh" results
  echo "== suite: $suite"
  if [ ! -x "$script" ]; then
    echo "FAIL $suite/missing-suite-script" >> "$DBC_RESULTS"
    return
  fi
  # The suite records into a file of its own, added to the run's when it
  # ends. A suite that fails without recording a failure still counts as one.
  # The PostgreSQL suites' scratch files go where pg_tmpdir says.
  results=$(mktemp)
  local env=(DBC_RESULTS="$results")
  case $suite in pg | pg_asan) [ -z "$pg_tmpdir" ] || env+=(TMPDIR="$pg_tmpdir") ;; esac
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

pg_lane=()
other_lane=()
for suite in ${DBC_SUITES:-unit sqlite journeys pg pg_asan asan valgrind fuzz}; do
  case $suite in
  pg | pg_asan) pg_lane+=("$suite") ;;
  *) other_lane+=("$suite") ;;
  esac
done

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
    for suite in "${pg_lane[@]}" "${other_lane[@]}"; do
      [ "$suite" != "${step%%:*}" ] || targets+=("${step#*:}")
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

if [ "${DBC_LANES:-2}" = 1 ] || [ ${#pg_lane[@]} = 0 ] || [ ${#other_lane[@]} = 0 ]; then
  run_lane all "${other_lane[@]}" "${pg_lane[@]}" 2>&1 | tee -a "$lanes_log"
else
  start_prebuild
  # Once its own suites are done, the PostgreSQL lane takes the other lane's
  # remaining ones, in the same order.
  run_lane pg "${pg_lane[@]}" "${other_lane[@]}" 2>&1 | sed -u 's/^/[pg] /' | tee -a "$lanes_log" &
  pg_pid=$!
  run_lane other "${other_lane[@]}" 2>&1 | sed -u 's/^/[..] /' | tee -a "$lanes_log"
  wait "$pg_pid"
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
