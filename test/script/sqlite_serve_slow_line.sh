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

"$py" - "$port" <<'PY' || fail "request lines dribbled on the probe's own address locked it out"
import socket, subprocess, sys, textwrap, time, urllib.request
port = int(sys.argv[1])
attacker = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
    import socket, threading, time
    end = time.monotonic() + 5
    def slowloris():
        while time.monotonic() < end:
            s = socket.socket()
            s.settimeout(0.3)
            try:
                s.connect(("127.0.0.1", {port}))
                s.sendall(b"GET /livez HTTP/1.1\\r\\n")
                while time.monotonic() < end:  # held until serve cuts it
                    try:
                        if not s.recv(1):
                            break
                    except socket.timeout:
                        pass
                    s.sendall(b"X-Slow: a\\r\\n")
            except OSError:
                pass
            s.close()
    threads = [threading.Thread(target=slowloris) for _ in range(72)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
""")])
time.sleep(1.5)
lat, bad = [], []
in_a_row = most_in_a_row = 0
while attacker.poll() is None and len(lat) < 10:
    t = time.monotonic()
    failed = None
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/livez", timeout=1) as r:
            if r.status != 200 or r.read() != b"ok\n":
                failed = "not ok"
    except Exception as e:
        failed = repr(e)
    if failed:
        bad.append(failed)
    in_a_row = in_a_row + 1 if failed else 0
    most_in_a_row = max(most_in_a_row, in_a_row)
    lat.append(time.monotonic() - t)
    time.sleep(0.25)
attacker.wait()
print(f"request lines dribbled on the probe's address: {len(lat)} probes, "
      f"max {max(lat) * 1000:.0f} ms, failures {len(bad)} {bad[:3]}")
sys.exit(0 if len(lat) >= 8 and len(bad) <= 2 and most_in_a_row < 2 else 1)
PY
get "$base/livez"; want_code 200 "livez after the slowloris"
stop_serve
echo ok
