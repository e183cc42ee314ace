#!/usr/bin/env bash
# Clients that never read a large answer do not starve the probes of their
# own address (issue 64, item 6): 80 clients from 127.0.0.1 each ask for
# /metrics of a fleet of 300 (5 MB, a small receive buffer: serve's send
# blocks) and never read it, and come back at once when answered 503 or
# cut; meanwhile /livez is probed from the same address every 0.25 s for
# about 9 s. Kubelet's judgement and more: no two failures in a row, and at
# most one in all. Before the fix 64 of them held the address's limit, the
# rest kept its probes' reserve full, and each new one evicted the probe
# that had connected and not yet sent its head (4 to 6 probes of 34 reset,
# two in a row in most runs).
set -eu
. "$(dirname "$0")/lib/sqlite.sh"
. "$(dirname "$0")/lib/cli.sh"
. "$root/test/script/lib/serve.sh"
export DBCARE_MODULE="$module"

# a fleet whose /metrics is large: 300 members with long names
mkdir fleet
"$py" - <<'PY'
import sqlite3
for i in range(300):
    c = sqlite3.connect("fleet/tenant_%04d_%s.db" % (i, "x" * 60))
    c.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    c.close()
PY
start_serve serve.log --db 'sqlite:fleet/*.db'
get "$base/metrics"; want_code 200 "the first /metrics"
[ "$(wc -c <"$work/body")" -gt 4000000 ] || fail "/metrics is too small to block a send"

"$py" - "$port" <<'PY' || fail "probes beside clients that never read were refused"
import socket, sys, threading, time, urllib.request
port, clients, seconds = int(sys.argv[1]), 80, 12.0
end = time.monotonic() + seconds

def one():  # asks, reads the status line only, holds an answer of 200
    while time.monotonic() < end:
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.settimeout(0.5)
        try:
            s.connect(("127.0.0.1", port))
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            first = b""
            while time.monotonic() < end and len(first) < 12:
                try:
                    b = s.recv(12 - len(first))
                except socket.timeout:
                    continue
                if not b:
                    break
                first += b
            while first.startswith(b"HTTP/1.1 200") and time.monotonic() < end:
                time.sleep(0.2)
        except OSError:
            pass
        s.close()

threads = [threading.Thread(target=one) for _ in range(clients)]
for t in threads:
    t.start()
time.sleep(3)  # the limit held, the reserve churning
made = []
while time.monotonic() < end - 0.5:
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/livez" % port, timeout=1) as r:
            made.append(r.status == 200 and r.read() == b"ok\n")
    except Exception as e:
        print("a probe failed:", type(e).__name__, e)
        made.append(False)
    time.sleep(0.25)
for t in threads:
    t.join()
line = "".join("." if ok else "X" for ok in made)
print("%d probes beside %d clients that never read: %s" % (len(made), clients, line))
sys.exit(1 if len(made) < 20 or "XX" in line or line.count("X") > 1 else 0)
PY
get "$base/livez"; want_code 200 "livez after them"
stop_serve
echo ok
