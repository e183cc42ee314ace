# test_limit.sh — sourced by the suites: run_limited runs one script test
# under a time limit, so that a hung test fails alone instead of eating the
# whole run's budget.
#
# The limit is DBC_TEST_TIMEOUT seconds (default 300), or the script's own
# line "# dbcare-test-timeout: N" for a test that legitimately needs more.
# The test runs in a process group of its own (timeout(1) makes one) with
# a scratch directory of its own as TMPDIR. Past its limit the whole group
# gets SIGTERM (the tests' EXIT traps stop their servers), then SIGKILL
# DBC_TEST_KILL_GRACE seconds later (default 20); any PostgreSQL server
# still running from the test's scratch directory (pg_ctl starts the
# postmaster in a session of its own, out of the group's reach) then gets
# an immediate shutdown. The test is reported "timed out after N s".

# The limit of one test script, in seconds.
test_limit_of() { # script
	local own
	own=$(sed -n 's/^# dbcare-test-timeout: *\([0-9][0-9]*\) *$/\1/p' "$1" | head -n 1)
	echo "${own:-${DBC_TEST_TIMEOUT:-300}}"
}

# Stops every PostgreSQL server whose data directory lies under DIR.
test_limit_stop_servers() { # dir
	local pidfile pid
	while IFS= read -r pidfile; do
		pid=$(head -n 1 "$pidfile" 2>/dev/null)
		case $pid in '' | *[!0-9]*) continue ;; esac
		kill -QUIT "$pid" 2>/dev/null || continue
		echo "    stopped the PostgreSQL server $pid left by the test (${pidfile%/postmaster.pid})"
		for _ in $(seq 1 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
	done < <(find "$1" -name postmaster.pid 2>/dev/null)
}

# The scratch directory of the test running now (test_limit_abandon).
TEST_LIMIT_SCRATCH=

# Runs SCRIPT with bash (after env ASSIGNMENTS...), its output into LOG.
# Returns its status; 124 (and a line in LOG) when it ran out of time.
run_limited() { # log script [NAME=VALUE...]
	local log=$1 script=$2 limit scratch started rc=0
	shift 2
	limit=$(test_limit_of "$script")
	started=$(date +%s)
	scratch=$(mktemp -d "${TMPDIR:-/tmp}/dbc-test.XXXXXX")
	TEST_LIMIT_SCRATCH=$scratch
	chmod 1777 "$scratch"
	# (the braces take bash's "Killed" notice when the group had to be killed)
	{ env "$@" TMPDIR="$scratch" timeout -k "${DBC_TEST_KILL_GRACE:-20}" "$limit" \
		bash "$script" >"$log" 2>&1 </dev/null; } 2>/dev/null || rc=$?
	# 124: it ended within the grace period; 137 past its limit: it had to
	# be killed.
	if [ "$rc" = 124 ] || { [ "$rc" = 137 ] && [ $(($(date +%s) - started)) -ge "$limit" ]; }; then
		rc=124
		echo "timed out after $limit s" >>"$log"
	fi
	test_limit_stop_servers "$scratch" >>"$log"
	rm -rf "$scratch" 2>/dev/null || true
	TEST_LIMIT_SCRATCH=
	return "$rc"
}

# For a suite's EXIT trap: a suite stopped by a signal in the middle of a
# test never comes back to run_limited's cleanup, so this stops what the
# test left running there and removes its scratch directory.
test_limit_abandon() {
	[ -n "$TEST_LIMIT_SCRATCH" ] || return 0
	test_limit_stop_servers "$TEST_LIMIT_SCRATCH" >/dev/null
	rm -rf "$TEST_LIMIT_SCRATCH" 2>/dev/null || true
}
