#!/usr/bin/env bash
# The harness's per-test time limit (test/harness/test_limit.sh) on planted
# tests: a test past its limit is reported "timed out after N s" with
# status 124, its whole process group is gone (a child that ignores SIGTERM
# too), a PostgreSQL server it left running from its scratch directory (in
# a session of its own, as pg_ctl starts one) is stopped; a test's own
# "# dbcare-test-timeout: N" line wins over the default; a test in time
# keeps its own status.
set -eu
cd "$(dirname "$0")/../.."
. test/harness/test_limit.sh
fail() { echo "FAIL: $*"; exit 1; }
t=$(mktemp -d)
trap 'kill -KILL $(cat "$t"/*.pid 2>/dev/null) 2>/dev/null || true; rm -rf "$t"' EXIT
export DBC_TEST_TIMEOUT=1 DBC_TEST_KILL_GRACE=1

# a hung test: a child that ignores SIGTERM, a "server" in its own session
cat >"$t/hung.sh" <<'SH'
trap '' TERM
sleep 60 & echo $! >"$PLANT/child.pid"
mkdir "$TMPDIR/data"
# (a postmaster ends on SIGQUIT, its immediate shutdown)
setsid python3 -c 'import signal, sys, time
signal.signal(signal.SIGQUIT, lambda *_: sys.exit(0))
time.sleep(60)' </dev/null >/dev/null 2>&1 & echo $! >"$PLANT/server.pid"
cp "$PLANT/server.pid" "$TMPDIR/data/postmaster.pid"
sleep 60
SH
started=$(date +%s)
rc=0
run_limited "$t/hung.log" "$t/hung.sh" PLANT="$t" || rc=$?
took=$(($(date +%s) - started))
[ "$rc" = 124 ] || fail "a hung test ended with $rc, not 124: $(cat "$t/hung.log")"
grep -qx 'timed out after 1 s' "$t/hung.log" || fail "no 'timed out after 1 s' line: $(cat "$t/hung.log")"
[ "$took" -le 10 ] || fail "the hung test took $took s to stop (limit 1 s, grace 1 s)"
for p in child server; do
  for _ in $(seq 1 50); do kill -0 "$(cat "$t/$p.pid")" 2>/dev/null || break; sleep 0.1; done
  ! kill -0 "$(cat "$t/$p.pid")" 2>/dev/null || fail "the hung test's $p outlived it"
done
grep -q 'stopped the PostgreSQL server' "$t/hung.log" || fail "the left server was not reported"

# its own limit wins: a 3 s test with "# dbcare-test-timeout: 10" passes
printf '# dbcare-test-timeout: 10\nsleep 3\n' >"$t/slow.sh"
run_limited "$t/slow.log" "$t/slow.sh" || fail "a test within its own limit failed: $(cat "$t/slow.log")"

# a test in time keeps its status, its output and its environment
printf 'echo "out $X"; exit 3\n' >"$t/failing.sh"
rc=0
run_limited "$t/failing.log" "$t/failing.sh" X=y || rc=$?
[ "$rc" = 3 ] || fail "a failing test ended with $rc, not 3"
[ "$(cat "$t/failing.log")" = "out y" ] || fail "the failing test's log: $(cat "$t/failing.log")"
echo "ok: hung test stopped in $took s"
