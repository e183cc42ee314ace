#!/usr/bin/env bash
# pg_asan_suite.sh — the PostgreSQL module under AddressSanitizer and UBSan
# (make check-pg-asan), as asan_suite.sh runs the SQLite module: dbcare.so is
# built with the sanitizers (make pg-asan, build/pg_asan/src), installed into
# pg_suite.sh's private installation in place of the normal build, and the
# postmaster starts with the sanitizer runtime preloaded (postgres itself is
# not instrumented; the module's memory errors are what is looked for). The
# tests it runs: test/harness/pg_asan_tests.sh.
#
# A test fails as usual; besides, the suite fails when a sanitizer wrote a
# report (one file per process, in a directory of its own: a backend's report
# does not reach the test's output) or a backend died by a signal (an
# ASan abort is SIGABRT, pg_suite.sh reads the server log).
set -u
cd "$(dirname "$0")/../.."
: "${DBC_RESULTS:?run through test/harness/run_tests.sh}"
mkdir -p build

record() { echo "$1 $2" >>"$DBC_RESULTS"; echo "$1 $2"; }

if ! test/harness/build_step.sh pg-asan >build/pg_asan.log 2>&1; then
	record FAIL pg_asan/build
	tail -n 30 build/pg_asan.log | sed 's/^/    /'
	exit 1
fi
libasan=$(gcc -print-file-name=libasan.so)
[ -f "$libasan" ] || { record FAIL pg_asan/libasan; echo "    no $libasan"; exit 1; }

reports=$(mktemp -d "${TMPDIR:-/tmp}/dbcare-pg-asan.XXXXXX") || exit 2
trap 'rm -rf "$reports"' EXIT
[ "$(id -u)" != 0 ] || chown postgres: "$reports"

# detect_leaks=0: postgres frees by memory context, at exit or never, by
# design. abort_on_error: a finding kills the backend (SIGABRT), which fails
# the statement and shows in the server log. verify_asan_link_order=0: the
# runtime is preloaded, not linked first into postgres.
export DBC_PG_TAG=pg_asan/
export DBC_PG_MODULE=build/pg_asan/src/dbcare.so
# The runtime first, then test/asan/pg_nls_shim.c (postgres would hang in
# bindtextdomain); LD_PRELOAD's list is separated by colons here, as the
# environment words are split at spaces.
export DBC_PG_SERVER_ENV="LD_PRELOAD=$libasan:$(pwd)/build/pg_asan/nls_shim.so \
ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:verify_asan_link_order=0:log_path=$reports/asan \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:abort_on_error=1:log_path=$reports/ubsan"
. test/harness/pg_asan_tests.sh
export DBC_PG_FILTER=$PG_ASAN_FILTER
export DBC_PG_EXCLUDE=$PG_ASAN_EXCLUDE
status=0
test/harness/pg_suite.sh || status=1

if compgen -G "$reports/*" >/dev/null; then
	record FAIL pg_asan/sanitizer_reports
	for f in "$reports"/*; do
		echo "    --- $(basename "$f")"
		head -n 60 "$f" | sed 's/^/    /'
	done
	status=1
else
	record PASS pg_asan/sanitizer_reports
fi
exit $status
