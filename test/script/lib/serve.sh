# serve.sh — what the `dbcare serve` script tests share (sourced after
# lib/cli.sh). Every server started here is killed when the test ends, on
# every path; each listens on a port the system picks (--listen
# 127.0.0.1:0), read back from the line serve logs when it is ready.
#   start_serve LOG ARGS...  starts `dbcare serve ARGS...`; sets serve_pid,
#                            port and base (http://127.0.0.1:PORT)
#   stop_serve               SIGTERM, then the exit code must be 0
#   get URL [CURL ARGS...]   body in $work/body, headers in $work/headers,
#                            the status in $code
#   timed_get URL [ARGS...]  get, and the time it took in ms in $ms
#   read_in_get AGE          whether a dbcare_metric_age_seconds of AGE fits
#                            in the last timed_get: the member's report was
#                            read during that request, not carried over
#   body_json EXPR           a Python expression over the parsed body (d)
#   hold_lock FILE MODE      another process holds FILE's lock (BEGIN MODE:
#                            IMMEDIATE, EXCLUSIVE) until `kill "$locker"`;
#                            returns once it is held
serve_pids=()
kill_serves() {
  local p
  for p in "${serve_pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
}
_serve_prev_trap=$(trap -p EXIT | sed "s/^trap -- '\(.*\)' EXIT\$/\1/")
# shellcheck disable=SC2064 # the previous trap is expanded now, on purpose
trap "kill_serves; ${_serve_prev_trap:-true}" EXIT

start_serve() {
  local log=$1
  shift
  # made here: the background job opens it when it gets to run, and a
  # read before then would fail the test (set -e)
  : >"$log"
  "$cli" serve --listen 127.0.0.1:0 "$@" 2>"$log" &
  serve_pid=$!
  serve_pids+=("$serve_pid")
  port=
  for _ in $(seq 1 200); do
    port=$(sed -n 's|^dbcare: serving .* on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$log")
    [ -n "$port" ] && break
    kill -0 "$serve_pid" 2>/dev/null || { cat "$log"; fail "dbcare serve $* ended at start"; }
    sleep 0.05
  done
  [ -n "$port" ] || { cat "$log"; fail "dbcare serve $* did not say where it listens"; }
  base=http://127.0.0.1:$port
}

stop_serve() {
  kill -TERM "$serve_pid"
  local rc=0
  wait "$serve_pid" || rc=$?
  [ "$rc" = 0 ] || fail "dbcare serve exited $rc after SIGTERM"
}

get() {
  local url=$1
  shift
  code=$(curl -s -m 30 -o "$work/body" -D "$work/headers" -w '%{http_code}' "$@" "$url") || true
}

timed_get() {
  local t0
  t0=$(date +%s%N)
  get "$@"
  ms=$((($(date +%s%N) - t0) / 1000000))
}

# The age is rendered after the read and before the response ends, to the
# millisecond: a report read during the request is younger than the
# request took (a carried one is older by at least the time since the
# request before it). Load stretches both alike.
read_in_get() { "$py" -c "import sys; sys.exit(0 if float(sys.argv[1]) * 1000 <= $ms + 1 else 1)" "$1"; }

body_json() { "$py" -c "import json,sys; d=json.load(open('$work/body')); print($1)"; }
header() { grep -i "^$1:" "$work/headers" | head -1 | cut -d' ' -f2- | tr -d '\r'; }
want_code() { [ "$code" = "$1" ] || { cat "$work/body"; fail "$2: HTTP $code, want $1"; }; }

# locked_or_ended: hold_lock's locker holds its lock, or has ended.
locked_or_ended() {
  [ -e "$work/locked" ] || ! running "$locker"
}

hold_lock() {
  rm -f "$work/locked"
  "$py" -c "
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute('BEGIN ' + sys.argv[2])
open(sys.argv[3], 'w').close()
time.sleep(60)
" "$1" "$2" "$work/locked" &
  locker=$!
  serve_pids+=("$locker")
  # a loaded machine starts Python slowly: 60 s, or until it has ended
  poll_until 60 0.05 locked_or_ended || true
  [ -e "$work/locked" ] || fail "$1's lock was not taken"
}
