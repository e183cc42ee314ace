#!/usr/bin/env bash
# A slowloris that sends its request line whole and then the head's other
# lines one at a time (72 connections from the probe's own address, each
# reconnecting as soon as serve cuts it) does not lock /livez out: a
# connection whose request line was read but whose head is not complete
# holds no request, and a new connection from its address may evict it
# like an idle one (the ones without even a line first). Before, a read
# request line made a connection unevictable until its 5 s deadline, and
# every probe from the address was refused (docs/security.md). A probe
# is judged as a kubelet judges it (a restart after 3 failures in a row):
# no two failures in a row, and at most two of ten. One can still fail on
# a loaded machine: a probe whose head was read is evicted when its thread
# waits for a core while every other connection of its address is cut and
# made again after it.
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"
. "$root/test/script/lib/serve.sh"
export DBCARE_MODULE="$module"

sqlite3 a.db "CREATE TABLE t (id INTEGER PRIMARY KEY)"
start_serve serve.log --db sqlite:a.db --scrape-timeout 1s
get "$base/livez"; want_code 200 livez

"$py" - "$port" "$root/test/script/lib" <<'PY' || fail "request lines dribbled on the probe's own address locked it out"
import sys
sys.path.insert(0, sys.argv[2])
import slowloris
made = slowloris.probe_under(int(sys.argv[1]), threads=72, seconds=5,
                             head=b"GET /livez HTTP/1.1\r\n", dribble=b"X-Slow: a\r\n",
                             recv_timeout=0.3, warmup=1.5, probes=10)
bad = [why for _, why in made if why]
in_a_row = most_in_a_row = 0
for _, why in made:
    in_a_row = in_a_row + 1 if why else 0
    most_in_a_row = max(most_in_a_row, in_a_row)
print(f"request lines dribbled on the probe's address: {len(made)} probes, "
      f"max {max(t for t, _ in made) * 1000:.0f} ms, failures {len(bad)} {bad[:3]}")
sys.exit(0 if len(made) >= 8 and len(bad) <= 2 and most_in_a_row < 2 else 1)
PY
get "$base/livez"; want_code 200 "livez after the slowloris"
stop_serve
echo ok
