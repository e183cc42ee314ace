#!/usr/bin/env bash
# build_step.sh TARGET [COMMAND...]: what a suite builds for itself (`make
# -j(nproc) TARGET`: pg-asan, asan, fuzz-build; or COMMAND, e.g. the
# install of a client a test runs), one build of a target at a time (flock
# on build/.build-TARGET.lock). run_tests.sh builds these targets
# ahead, at the lowest CPU priority, while the first suites run (their
# waits for commits, locks and sleeps leave a core idle now and then);
# DBC_PREBUILD is that build's process group, DBC_PREBUILD_NICE the
# suites' priority. A suite that comes to its
# target while it is still being built ahead raises that build back to the
# normal priority first (where the system lets it: as root; its lane waits
# meanwhile and leaves the build its core), waits for it, then makes the
# target itself: nothing is left to do, or the rest is done here, and a
# failed build fails here as it would without the build ahead.
set -u
cd "$(dirname "$0")/../.."
target=$1
mkdir -p build
lock="build/.build-$target.lock"
if [ -n "${DBC_PREBUILD:-}" ] && ! flock -n "$lock" true; then
  renice -n "${DBC_PREBUILD_NICE:-0}" -g "$DBC_PREBUILD" >/dev/null 2>&1 || true
fi
shift
[ $# -gt 0 ] || set -- make --no-print-directory -j"$(nproc)" "$target"
exec flock "$lock" "$@"
